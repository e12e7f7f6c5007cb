// Entry point of the events subgraph as its own process (Docker): the shared process runner, plus the public origin of the calendar feeds.
import { runSubgraphProcess, subgraphProcessConfigSchema, publicOriginSchema } from "@tsunagu/service-kit";
import { DEFAULT_EVENTS_PORT, seedDemoEvents, startEventsSubgraph } from "./index";

runSubgraphProcess({
  name: "events",
  configSchema: subgraphProcessConfigSchema(DEFAULT_EVENTS_PORT).extend({
    /** The gateway's public origin, where calendar apps reach the feeds (the gateway routes /calendar here); unset: this process's own address. */
    PUBLIC_ORIGIN: publicOriginSchema.optional(),
  }),
  seed: (connection) => seedDemoEvents(connection),
  start: (options, config) => {
    const origin = config.PUBLIC_ORIGIN;
    return startEventsSubgraph({ ...options, ...(origin === undefined ? {} : { publicOrigin: () => origin }) });
  },
});
