// Public API of @tsunagu/events for `npm start`, scripts and benchmarks: start the subgraph (GraphQL and the iCalendar feeds) and seed a demo year.
import { join } from "node:path";
import { serveSubgraph } from "@tsunagu/service-kit";
import type { RunningService, SubgraphServiceOptions } from "@tsunagu/service-kit";
import { AccessCodes } from "./access";
import { calendarRoutes } from "./calendar";
import { eventsContextFactory } from "./context";
import type { EventsContext } from "./context";
import { openEventModels } from "./models";
import { resolvers } from "./resolvers";
import { KeyedQueue } from "./serialise";

export { seedDemoEvents, DEMO_EVENT_FIGURES } from "./seed";
export type { DemoMember, SeedDemoEventsOptions } from "./seed";
export { openEventModels } from "./models";

/** The subgraph's SDL, the source of truth beside the other subgraphs' (schema/events.graphql). */
export const EVENTS_SCHEMA_PATH = join(__dirname, "..", "..", "..", "schema", "events.graphql");
export const DEFAULT_EVENTS_PORT = 4003;

export interface EventsSubgraphOptions extends SubgraphServiceOptions {
  /**
   * The gateway's public origin (PUBLIC_ORIGIN, e.g. `https://tsunagu.example.jp`): the gateway serves this service's
   * /calendar routes there, and feed URLs are built on it; default the subgraph's own origin (a subgraph run alone).
   */
  publicOrigin?: () => string;
  /** False turns DataLoader batching off (one query per key): only for the benchmark's baseline. Default true. */
  batchLoads?: boolean;
}

/**
 * Starts the events subgraph on `connection`: GraphQL on /graphql (gateway-signed requests only), the iCalendar feeds
 * on /calendar (public feed open, members' feeds by secret token). Indexes are created first.
 */
export async function startEventsSubgraph(options: EventsSubgraphOptions): Promise<RunningService> {
  const models = await openEventModels(options.connection);
  let ownOrigin = "";
  const service = await serveSubgraph<EventsContext>(options, {
    name: "events",
    schemaPath: EVENTS_SCHEMA_PATH,
    resolvers,
    createContext: eventsContextFactory({
      models,
      accessCodes: new AccessCodes(options.keys.local),
      seatChanges: new KeyedQueue(),
      pubsub: options.pubsub,
      calendarOrigin: options.publicOrigin ?? (() => ownOrigin),
      loaderOptions: { batch: options.batchLoads ?? true },
    }),
    routes: calendarRoutes(models),
  });
  ownOrigin = new URL(service.url).origin;
  return service;
}
