// Starts the groups subgraph: its schema from schema/groups.graphql, the models' indexes built, and one context per request.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "graphql";
import type { Connection } from "mongoose";
import { mongoReadinessCheck, startSubgraph } from "@tsunagu/service-kit";
import type { Logger, PubSub, RunningService } from "@tsunagu/service-kit";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper";
import { groupsContextFactory } from "./context";
import type { GroupsContext } from "./context";
import { ensureGroupsIndexes, groupsModels } from "./models";
import { resolvers } from "./resolvers";

/** The port of scripts/compose.ts's DEFAULT_SUBGRAPH_PORTS. */
export const DEFAULT_GROUPS_PORT = 4002;

/** The SDL the subgraph serves, the same file composition reads. */
export const GROUPS_SCHEMA_PATH = join(__dirname, "..", "..", "..", "schema", "groups.graphql");

export interface GroupsSubgraphOptions {
  connection: Connection;
  /** IDENTITY_SECRET, shared only with the gateway. */
  signingSecret: string;
  /** How old a signed identity header may be; default 60 s. */
  identityMaxAgeSeconds?: number;
  logger: Logger;
  /** Where postAdded, postUpdated and commentAdded go once their write is committed. */
  pubsub: PubSub;
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  development?: boolean;
}

/** Builds the indexes, then serves GraphQL on `/graphql` (signed identity required) with `/healthz` and `/readyz`. */
export async function startGroupsSubgraph(options: GroupsSubgraphOptions): Promise<RunningService> {
  const models = groupsModels(options.connection);
  await ensureGroupsIndexes(models);
  return startSubgraph<GroupsContext>({
    name: "groups",
    typeDefs: parse(readFileSync(GROUPS_SCHEMA_PATH, "utf8")),
    // The generated types describe __resolveReference as (reference, context, info), which @apollo/subgraph's map type
    // cannot express; every resolver is still checked against the schema by the generated `Resolvers` type.
    resolvers: resolvers as GraphQLResolverMap<GroupsContext>,
    createContext: groupsContextFactory(models, options.pubsub),
    signingSecret: options.signingSecret,
    identityMaxAgeSeconds: options.identityMaxAgeSeconds,
    logger: options.logger,
    port: options.port,
    host: options.host,
    development: options.development,
    readinessChecks: { mongo: mongoReadinessCheck(options.connection) },
  });
}
