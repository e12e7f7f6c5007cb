// Some of the real subgraphs and a gateway over them on free ports, over a fresh in-memory engine: what the subgraph tests start.
import { join } from "node:path";
import type { CommandStartedEvent } from "mongodb";
import { connectMongo, createPubSub, withUriOptions } from "@tsunagu/service-kit";
import type { Identity, Logger, MongoHandle, PubSub, RunningService } from "@tsunagu/service-kit";
import { ClientRateLimiter, createGateway, mongoApiKeyStore } from "@tsunagu/gateway";
import type { ApiKeyStore, GatewayOptions } from "@tsunagu/gateway";
import { startEmergencySubgraph } from "@tsunagu/emergency";
import type { EmergencySubgraphOptions } from "@tsunagu/emergency";
import { startEventsSubgraph } from "@tsunagu/events";
import type { EventsSubgraphOptions } from "@tsunagu/events";
import { startGroupsSubgraph } from "@tsunagu/groups";
import type { GroupsSubgraphOptions } from "@tsunagu/groups";
import { startResourcesSubgraph } from "@tsunagu/resources";
import type { ResourcesSubgraphOptions } from "@tsunagu/resources";
import { startTransitionsSubgraph } from "@tsunagu/transitions";
import type { TransitionsSubgraphOptions } from "@tsunagu/transitions";
import { composeSupergraph, readSubgraphSources } from "../../../scripts/compose";
import { GraphQLClient, postAsGateway, postGraphQL } from "./client";
import type { HttpAnswer } from "./client";
import { silentLogger } from "./logs";
import { TEST_IDENTITY_SECRET, TEST_JWT, testSubgraphKeys } from "./tokens";

/** The directory of the subgraphs' SDL (schema/<name>.graphql). */
export const SCHEMA_DIR = join(__dirname, "..", "..", "..", "schema");

/** Each real subgraph's start options. */
export interface SubgraphOptionsByName {
  resources: ResourcesSubgraphOptions;
  groups: GroupsSubgraphOptions;
  events: EventsSubgraphOptions;
  emergency: EmergencySubgraphOptions;
  transitions: TransitionsSubgraphOptions;
}

export type SubgraphName = keyof SubgraphOptionsByName;

const STARTERS: { [N in SubgraphName]: (options: SubgraphOptionsByName[N]) => Promise<RunningService> } = {
  resources: startResourcesSubgraph,
  groups: startGroupsSubgraph,
  events: startEventsSubgraph,
  emergency: startEmergencySubgraph,
  transitions: startTransitionsSubgraph,
};

/** A rate limiter that never refuses: tests send many requests from one address. */
export function generousRateLimiter(): ClientRateLimiter {
  return new ClientRateLimiter({ burst: 1_000_000, perSecond: 1_000_000 });
}

/** The supergraph of the named subgraphs, composed from schema/<name>.graphql. */
export function supergraphOf(names: readonly string[]): string {
  return composeSupergraph(readSubgraphSources(SCHEMA_DIR).filter((source) => names.includes(source.name)));
}

/** Subgraphs a test starts itself beside the kit's (e.g. fixtures): their URLs by name, and how to stop them. */
export interface ExtraSubgraphs {
  urls: Record<string, string>;
  stop(): Promise<void>;
}

export interface StackOptions<N extends SubgraphName> {
  /** The subgraphs to run, in start order. */
  subgraphs: readonly N[];
  /** The subgraph whose own connection's commands `commands` records (the others share the engine's); default the last. */
  measured?: N;
  /** Database name (default `<measured>-test`). */
  dbName?: string;
  /** Runs after the engine starts and before any subgraph does (e.g. seeds). */
  beforeStart?: (engine: MongoHandle) => Promise<void>;
  /** Starts further subgraphs on the engine after `beforeStart`; the gateway routes to them too (composed from schema/ by name unless `gateway.supergraphSdl`). */
  alongside?: (engine: MongoHandle) => Promise<ExtraSubgraphs>;
  /** Start options beyond the kit's, by subgraph (e.g. emergency's clock, or `development: true` for introspection). */
  subgraphOptions?: { [K in N]?: Partial<SubgraphOptionsByName[K]> };
  /** Wraps the in-process pub/sub the subgraphs and the gateway share (e.g. to record what is published). */
  wrapPubSub?: (inner: PubSub) => PubSub;
  /** Gateway options beyond the kit's (a generous rate limiter, TEST_JWT, the supergraph of `subgraphs`). */
  gateway?: Partial<GatewayOptions>;
  /** Loggers by service name (a subgraph's or "gateway"); default silent. */
  loggers?: Partial<Record<N | "gateway", Logger>>;
}

export interface Stack<N extends SubgraphName> {
  /** Owns the engine; the gateway's API keys and the subgraphs not measured use its connection. */
  engine: MongoHandle;
  /** The measured subgraph's connection; its driver reports every command it sends (see `commands`). */
  measuredDb: MongoHandle;
  /** Every command the measured subgraph's connection started, oldest first; clear it before measuring. */
  commands: CommandStartedEvent[];
  /** What the subgraphs publish to and the gateway's subscriptions listen on. */
  pubsub: PubSub;
  apiKeys: ApiKeyStore;
  services: Record<N, RunningService>;
  gateway: RunningService;
  /** A client of the gateway without credentials; `client.as(await signedIn(...))` for a user. */
  client: GraphQLClient;
  /** POSTs `query` with `variables` to the gateway, as a client would. */
  graphql: (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) => Promise<HttpAnswer>;
  /** POSTs straight to subgraph `name`; with `identity`, signed as the gateway signs it, else unsigned. */
  direct: (name: N, query: string, variables?: Record<string, unknown>, identity?: Identity) => Promise<HttpAnswer>;
  /** Stops everything in reverse start order; safe to call twice (a function, so it may be passed on unbound). */
  stop: () => Promise<void>;
}

type Stoppable = { stop(): Promise<void> } | { close(): Promise<void> };

/**
 * Starts the engine in memory (one per call, so test files never share state), the named subgraphs and a gateway over
 * the supergraph composed from their schemas, all on free ports. When a step fails, what started is stopped.
 */
export async function startStack<N extends SubgraphName>(options: StackOptions<N>): Promise<Stack<N>> {
  const measured = options.measured ?? options.subgraphs[options.subgraphs.length - 1];
  const dbName = options.dbName ?? `${measured}-test`;
  const started: Stoppable[] = [];
  let extraUrls: Record<string, string> = {};
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const service of started.splice(0).reverse()) await ("stop" in service ? service.stop() : service.close());
    })());
  try {
    const engine = await connectMongo({ dbName, logger: silentLogger });
    started.push(engine);
    const measuredDb = await connectMongo({ uri: withUriOptions(engine.uri, { monitorCommands: "true" }), dbName, logger: silentLogger });
    started.push(measuredDb);
    const commands: CommandStartedEvent[] = [];
    measuredDb.connection.getClient().on("commandStarted", (event) => commands.push(event));
    await options.beforeStart?.(engine);
    if (options.alongside !== undefined) {
      const extra = await options.alongside(engine);
      started.push(extra);
      extraUrls = extra.urls;
    }
    const inner = await createPubSub({ logger: silentLogger });
    started.push(inner);
    const pubsub = options.wrapPubSub?.(inner) ?? inner;

    const services = {} as Record<N, RunningService>;
    for (const name of options.subgraphs) {
      const start = STARTERS[name] as (startOptions: SubgraphOptionsByName[N]) => Promise<RunningService>;
      const service = await start({
        connection: (name === measured ? measuredDb : engine).connection,
        keys: testSubgraphKeys(name),
        logger: options.loggers?.[name] ?? silentLogger,
        pubsub,
        ...options.subgraphOptions?.[name],
      });
      started.push(service);
      services[name] = service;
    }
    const apiKeys = await mongoApiKeyStore(engine.connection);
    const gateway = await createGateway({
      supergraphSdl: supergraphOf([...options.subgraphs, ...Object.keys(extraUrls)]),
      subgraphUrls: { ...extraUrls, ...Object.fromEntries(options.subgraphs.map((name) => [name, services[name].url])) },
      port: 0,
      environment: "test",
      identitySecret: TEST_IDENTITY_SECRET,
      jwt: TEST_JWT,
      apiKeys,
      logger: options.loggers?.gateway ?? silentLogger,
      rateLimiter: generousRateLimiter(),
      pubsub,
      // A busy test machine (two cores, two jest workers) may take longer than the production default of 5 s.
      subgraphTimeoutMs: 30_000,
      ...options.gateway,
    });
    started.push(gateway);
    return {
      engine,
      measuredDb,
      commands,
      pubsub,
      apiKeys,
      services,
      gateway,
      client: new GraphQLClient(gateway.url),
      graphql: (query, variables = {}, headers = {}) => postGraphQL(gateway.url, { query, variables }, headers),
      direct: (name, query, variables = {}, identity) =>
        identity === undefined
          ? postGraphQL(services[name].url, { query, variables })
          : postAsGateway(services[name].url, name, { query, variables }, identity),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
