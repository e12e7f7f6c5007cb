// Public API of @tsunagu/events for `npm start`, scripts and benchmarks: start the subgraph (GraphQL and the iCalendar feeds) and seed a demo year.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "graphql";
import type { Connection } from "mongoose";
import { mongoReadinessCheck, startSubgraph } from "@tsunagu/service-kit";
import type { Logger, PubSub, RunningService } from "@tsunagu/service-kit";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper";
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

export interface EventsSubgraphOptions {
  connection: Connection;
  /** IDENTITY_SECRET, shared only with the gateway; registration access codes are derived from it too. */
  signingSecret: string;
  logger: Logger;
  /** Default 0 (any free port; the real one is in the returned URL). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  identityMaxAgeSeconds?: number;
  /** Introspection and internal error details; default false. */
  development?: boolean;
  /** Receives registrationPromoted (topic `event:<id>`) when a seat goes to someone on the waiting list; absent: no events. */
  pubsub?: PubSub;
  /**
   * The public origin where this service's /calendar routes are reachable (e.g. `https://tsunagu.example.jp` behind
   * the load balancer), used in feed URLs; default the subgraph's own origin.
   */
  calendarOrigin?: string;
  /** False turns DataLoader batching off (one query per key): only for the benchmark's baseline. Default true. */
  batchLoads?: boolean;
}

/**
 * Starts the events subgraph on `connection`: GraphQL on /graphql (gateway-signed requests only), the iCalendar feeds
 * on /calendar (public feed open, members' feeds by secret token). Indexes are created first.
 */
export async function startEventsSubgraph(options: EventsSubgraphOptions): Promise<RunningService> {
  const models = await openEventModels(options.connection);
  let origin = options.calendarOrigin;
  const service = await startSubgraph<EventsContext>({
    name: "events",
    typeDefs: parse(readFileSync(EVENTS_SCHEMA_PATH, "utf8")),
    // The generated types describe __resolveReference as (reference, context, info), which @apollo/subgraph's map
    // type cannot express; every resolver is still checked against the schema by the generated `Resolvers` type.
    resolvers: resolvers as GraphQLResolverMap<EventsContext>,
    createContext: eventsContextFactory({
      models,
      accessCodes: new AccessCodes(options.signingSecret),
      seatChanges: new KeyedQueue(),
      pubsub: options.pubsub,
      calendarOrigin: () => origin ?? "",
      loaderOptions: { batch: options.batchLoads ?? true },
    }),
    signingSecret: options.signingSecret,
    identityMaxAgeSeconds: options.identityMaxAgeSeconds,
    logger: options.logger,
    port: options.port,
    host: options.host,
    development: options.development,
    readinessChecks: { mongo: mongoReadinessCheck(options.connection) },
    routes: calendarRoutes(models),
  });
  origin ??= new URL(service.url).origin;
  return service;
}
