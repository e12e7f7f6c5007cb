// Test support for the resources subgraph on the test kit: the resources subgraph and a gateway over the committed supergraph, over a fresh in-memory engine, and the database commands the subgraph sends.
import { readFileSync } from "node:fs";
import type { CommandStartedEvent } from "mongodb";
import type { MongoHandle, RunningService } from "@tsunagu/service-kit";
import { DEFAULT_SUPERGRAPH_PATH } from "@tsunagu/gateway";
import type { ApiKeyStore } from "@tsunagu/gateway";
import { startStack } from "@tsunagu/test-kit";
import type { GraphQLClient, HttpAnswer } from "@tsunagu/test-kit";
import { seedDemoResources } from "../src/index";

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
  /** A client of the gateway for typed documents (./generated/operations). */
  client: GraphQLClient;
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
  const stack = await startStack({
    subgraphs: ["resources"],
    beforeStart: async (engine) => {
      // Seeded through the engine's connection, so the commands recorded are the subgraph's own.
      if (seedDemoAt !== undefined) await seedDemoResources(engine.connection, { now: seedDemoAt });
    },
    // The committed supergraph (every subgraph), as the real gateway serves it; only resources runs.
    gateway: { supergraphSdl: readFileSync(DEFAULT_SUPERGRAPH_PATH, "utf8") },
  });
  return {
    resources: stack.measuredDb,
    engine: stack.engine,
    commands: stack.commands,
    apiKeys: stack.apiKeys,
    subgraph: stack.services.resources,
    gateway: stack.gateway,
    client: stack.client,
    graphql: (query, variables, headers) => stack.graphql(query, variables, headers),
    stop: () => stack.stop(),
  };
}
