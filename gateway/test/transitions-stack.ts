// Test support for the transitions subgraph: the embedded engine in memory, the transitions subgraph and a gateway (with graphql-ws subscriptions) sharing one in-process pub/sub, on free ports.
import { join } from "node:path";
import { connectMongo, createPubSub } from "@tsunagu/service-kit";
import type { MongoHandle, PubSub, RunningService } from "@tsunagu/service-kit";
import { startTransitionsSubgraph } from "@tsunagu/transitions";
import { composeSupergraph, readSubgraphSources } from "../../scripts/compose";
import { mongoApiKeyStore } from "../src/api-keys";
import { TokenBucketRateLimiter } from "../src/rate-limit";
import { TEST_IDENTITY_SECRET, postGraphQL, silentLogger, startTestGateway } from "./helpers";
import type { HttpAnswer } from "./helpers";

export interface TransitionsStack {
  /** Owns the database; tests read the access log through it. */
  engine: MongoHandle;
  /** Shared by the subgraph (publisher) and the gateway (subscriptions). */
  pubsub: PubSub;
  transitions: RunningService;
  gateway: RunningService;
  graphql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<HttpAnswer>;
  stop(): Promise<void>;
}

/** Starts everything over a fresh in-memory database (one per test file). */
export async function startTransitionsStack(): Promise<TransitionsStack> {
  const engine = await connectMongo({ dbName: "transitions-test", logger: silentLogger });
  const pubsub = await createPubSub({ logger: silentLogger });
  const transitions = await startTransitionsSubgraph({ connection: engine.connection, signingSecret: TEST_IDENTITY_SECRET, logger: silentLogger, pubsub, development: true });
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
    pubsub,
    transitions,
    gateway,
    graphql: (query, variables = {}, headers = {}) => postGraphQL(gateway.url, { query, variables }, headers),
    async stop() {
      await gateway.stop();
      await transitions.stop();
      await pubsub.close();
      await engine.close();
    },
  };
}
