// Entry point of the events subgraph as its own process (Docker): the shared process runner, plus the public origin of the calendar feeds.
import { z } from "zod";
import { runSubgraphProcess, subgraphProcessConfigSchema } from "@tsunagu/service-kit";
import { DEFAULT_EVENTS_PORT, seedDemoEvents, startEventsSubgraph } from "./index";

runSubgraphProcess({
  name: "events",
  configSchema: subgraphProcessConfigSchema(DEFAULT_EVENTS_PORT).extend({
    /** Where calendar apps reach this service's /calendar routes (the load balancer's origin); unset: this process's own address. */
    EVENTS_PUBLIC_ORIGIN: z.url({ protocol: /^https?$/, error: "expected an http(s) origin such as https://tsunagu.example.jp" }).optional(),
  }),
  seed: (connection) => seedDemoEvents(connection),
  start: (options, config) =>
    startEventsSubgraph({ ...options, calendarOrigin: config.EVENTS_PUBLIC_ORIGIN === undefined ? undefined : new URL(config.EVENTS_PUBLIC_ORIGIN).origin }),
});
