// Test support for the transitions subgraph: the embedded engine in memory, the transitions subgraph (its commands recorded) and a gateway (with graphql-ws subscriptions) sharing one in-process pub/sub, on free ports.
import { join } from "node:path";
import type { CommandStartedEvent } from "mongodb";
import { connectMongo, createPubSub, withUriOptions } from "@tsunagu/service-kit";
import type { Identity, MongoHandle, PubSub, RunningService } from "@tsunagu/service-kit";
import { startTransitionsSubgraph } from "@tsunagu/transitions";
import { composeSupergraph, readSubgraphSources } from "../../scripts/compose";
import { mongoApiKeyStore } from "../src/api-keys";
import { TokenBucketRateLimiter } from "../src/rate-limit";
import { TEST_IDENTITY_SECRET, postAsGateway, postGraphQL, silentLogger, startTestGateway } from "./helpers";
import type { HttpAnswer } from "./helpers";

export interface TransitionsStack {
  /** Owns the database; tests read the access log through it. */
  engine: MongoHandle;
  /** Every command the transitions subgraph's own connection started, oldest first; clear it before measuring. */
  commands: CommandStartedEvent[];
  /** Shared by the subgraph (publisher) and the gateway (subscriptions). */
  pubsub: PubSub;
  transitions: RunningService;
  gateway: RunningService;
  graphql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<HttpAnswer>;
  /** POSTs straight to the transitions subgraph, signed as the gateway signs `identity`. */
  direct(query: string, variables: Record<string, unknown>, identity: Identity): Promise<HttpAnswer>;
  stop(): Promise<void>;
}

/** Starts everything over a fresh in-memory database (one per test file). */
export async function startTransitionsStack(): Promise<TransitionsStack> {
  const engine = await connectMongo({ dbName: "transitions-test", logger: silentLogger });
  const transitionsDb = await connectMongo({ uri: withUriOptions(engine.uri, { monitorCommands: "true" }), dbName: "transitions-test", logger: silentLogger });
  const commands: CommandStartedEvent[] = [];
  transitionsDb.connection.getClient().on("commandStarted", (event) => commands.push(event));
  const pubsub = await createPubSub({ logger: silentLogger });
  const transitions = await startTransitionsSubgraph({ connection: transitionsDb.connection, signingSecret: TEST_IDENTITY_SECRET, logger: silentLogger, pubsub, development: true });
  const sources = readSubgraphSources(join(__dirname, "..", "..", "schema")).filter((source) => source.name === "transitions");
  const gateway = await startTestGateway(
    { transitions: transitions.url },
    {
      apiKeys: await mongoApiKeyStore(engine.connection),
      supergraphSdl: composeSupergraph(sources),
      rateLimiter: new TokenBucketRateLimiter({ burst: 1_000_000, perSecond: 1_000_000 }),
      pubsub,
    },
  );
  return {
    engine,
    commands,
    pubsub,
    transitions,
    gateway,
    graphql: (query, variables = {}, headers = {}) => postGraphQL(gateway.url, { query, variables }, headers),
    direct: (query, variables, identity) => postAsGateway(transitions.url, "transitions", { query, variables }, identity),
    async stop() {
      await gateway.stop();
      await transitions.stop();
      await pubsub.close();
      await transitionsDb.close();
      await engine.close();
    },
  };
}
