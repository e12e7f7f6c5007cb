// Test support for the transitions subgraph on the test kit: the transitions subgraph (its commands recorded) and a gateway (with graphql-ws subscriptions) sharing one in-process pub/sub, over a fresh in-memory engine.
import type { CommandStartedEvent } from "mongodb";
import type { Identity, MongoHandle, PubSub, RunningService } from "@tsunagu/service-kit";
import { startStack } from "@tsunagu/test-kit";
import type { HttpAnswer } from "@tsunagu/test-kit";

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
  const stack = await startStack({ subgraphs: ["transitions"], subgraphOptions: { transitions: { development: true } } });
  return {
    engine: stack.engine,
    commands: stack.commands,
    pubsub: stack.pubsub,
    transitions: stack.services.transitions,
    gateway: stack.gateway,
    graphql: (query, variables, headers) => stack.graphql(query, variables, headers),
    direct: (query, variables, identity) => stack.direct("transitions", query, variables, identity),
    stop: () => stack.stop(),
  };
}
