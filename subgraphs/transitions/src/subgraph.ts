// Starts the transitions subgraph: its schema from schema/transitions.graphql, the collections and indexes created, and one context per request.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "graphql";
import type { Connection } from "mongoose";
import { mongoReadinessCheck, startSubgraph } from "@tsunagu/service-kit";
import type { Logger, PubSub, RunningService } from "@tsunagu/service-kit";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper";
import { transitionsContextFactory } from "./context";
import type { TransitionsContext } from "./context";
import { openTransitionModels } from "./models";
import { resolvers } from "./resolvers";

/** The port of scripts/compose.ts's DEFAULT_SUBGRAPH_PORTS. */
export const DEFAULT_TRANSITIONS_PORT = 4005;

/** The SDL the subgraph serves, the same file composition reads. */
export const TRANSITIONS_SCHEMA_PATH = join(__dirname, "..", "..", "..", "schema", "transitions.graphql");

export interface TransitionsSubgraphOptions {
  connection: Connection;
  /** IDENTITY_SECRET, shared only with the gateway. */
  signingSecret: string;
  logger: Logger;
  /** Receives transitionNoticeReceived (topic `transitions:recipient:<memberId>`) when a notice is sent; absent: none. */
  pubsub?: PubSub;
  /** Default 0 (a free port; the real one is in the returned URL). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Introspection and internal error details; default false. */
  development?: boolean;
  /** How old a signed identity header may be; default 60 s. */
  identityMaxAgeSeconds?: number;
}

/** Creates the collections and indexes, then serves GraphQL on `/graphql` (signed identity required) with `/healthz` and `/readyz`. */
export async function startTransitionsSubgraph(options: TransitionsSubgraphOptions): Promise<RunningService> {
  const models = await openTransitionModels(options.connection);
  return startSubgraph<TransitionsContext>({
    name: "transitions",
    typeDefs: parse(readFileSync(TRANSITIONS_SCHEMA_PATH, "utf8")),
    // The generated types describe __resolveReference as (reference, context, info), which @apollo/subgraph's map type
    // cannot express; every resolver is still checked against the schema by the generated `Resolvers` type.
    resolvers: resolvers as GraphQLResolverMap<TransitionsContext>,
    createContext: transitionsContextFactory(models, options.pubsub),
    signingSecret: options.signingSecret,
    identityMaxAgeSeconds: options.identityMaxAgeSeconds,
    logger: options.logger,
    port: options.port,
    host: options.host,
    development: options.development,
    readinessChecks: { mongo: mongoReadinessCheck(options.connection) },
  });
}
