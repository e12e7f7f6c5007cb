// Test support: the embedded engine in memory, the resources subgraph and a gateway over the committed supergraph on free ports, and the database commands the subgraph sends.
import { readFileSync } from "node:fs";
import type { CommandStartedEvent } from "mongodb";
import { connectMongo, withUriOptions } from "@tsunagu/service-kit";
import type { MongoHandle, RunningService } from "@tsunagu/service-kit";
import { DEFAULT_SUPERGRAPH_PATH } from "../../../gateway/src/config";
import { mongoApiKeyStore } from "../../../gateway/src/api-keys";
import type { ApiKeyStore } from "../../../gateway/src/api-keys";
import { TokenBucketRateLimiter } from "../../../gateway/src/rate-limit";
import { TEST_IDENTITY_SECRET, postGraphQL, silentLogger, startTestGateway } from "../../../gateway/test/helpers";
import type { HttpAnswer } from "../../../gateway/test/helpers";
import { seedDemoResources, startResourcesSubgraph } from "../src/index";

export interface ResourcesStack {
  /** The subgraph's connection; its driver reports every command it sends (see `commands`). */
  resources: MongoHandle;
  /** Owns the engine; the gateway's API keys live here, so their look-ups are not counted. */
  engine: MongoHandle;
  /** Every command the subgraph's connection started, oldest first; clear it before measuring. */
  commands: CommandStartedEvent[];
  apiKeys: ApiKeyStore;
  subgraph: RunningService;
  gateway: RunningService;
  /** POSTs `query` with `variables` to the gateway, as a client would. */
  graphql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<HttpAnswer>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Seed the demo city relative to this moment. */
  seedDemoAt?: Date;
}

/** Starts everything on free ports over a fresh in-memory database (one per test file, so files never share state). */
export async function startResourcesStack({ seedDemoAt }: StackOptions = {}): Promise<ResourcesStack> {
  const engine = await connectMongo({ dbName: "resources-test", logger: silentLogger });
  const resources = await connectMongo({ uri: withUriOptions(engine.uri, { monitorCommands: "true" }), dbName: "resources-test", logger: silentLogger });
  const commands: CommandStartedEvent[] = [];
  resources.connection.getClient().on("commandStarted", (event) => commands.push(event));
  if (seedDemoAt !== undefined) await seedDemoResources(resources.connection, { now: seedDemoAt });
  const apiKeys = await mongoApiKeyStore(engine.connection);
  const subgraph = await startResourcesSubgraph({
    connection: resources.connection,
    signingSecret: TEST_IDENTITY_SECRET,
    logger: silentLogger,
  });
  const gateway = await startTestGateway(
    { resources: subgraph.url },
    {
      apiKeys,
      supergraphSdl: readFileSync(DEFAULT_SUPERGRAPH_PATH, "utf8"),
      rateLimiter: new TokenBucketRateLimiter({ burst: 1_000_000, perSecond: 1_000_000 }),
    },
  );
  return {
    resources,
    engine,
    commands,
    apiKeys,
    subgraph,
    gateway,
    graphql: (query, variables = {}, headers = {}) => postGraphQL(gateway.url, { query, variables }, headers),
    async stop() {
      await gateway.stop();
      await subgraph.stop();
      await resources.close();
      await engine.close();
    },
  };
}
