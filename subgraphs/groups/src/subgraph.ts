// Starts the groups subgraph: its schema from schema/groups.graphql, the models' indexes built, and one context per request.
import { join } from "node:path";
import { serveSubgraph } from "@tsunagu/service-kit";
import type { PubSub, RunningService, SubgraphServiceOptions } from "@tsunagu/service-kit";
import { groupsContextFactory } from "./context";
import type { GroupsContext } from "./context";
import { ensureGroupsIndexes, groupsModels } from "./models";
import { resolvers } from "./resolvers";

/** The port of scripts/compose.ts's DEFAULT_SUBGRAPH_PORTS. */
export const DEFAULT_GROUPS_PORT = 4002;

/** The SDL the subgraph serves, the same file composition reads. */
export const GROUPS_SCHEMA_PATH = join(__dirname, "..", "..", "..", "schema", "groups.graphql");

export interface GroupsSubgraphOptions extends SubgraphServiceOptions {
  /** Receives postAdded, postUpdated and commentAdded after each write commits. */
  pubsub: PubSub;
}

/** Builds the indexes, then serves GraphQL on `/graphql` (signed identity required) with `/healthz` and `/readyz`. */
export async function startGroupsSubgraph(options: GroupsSubgraphOptions): Promise<RunningService> {
  const models = groupsModels(options.connection);
  await ensureGroupsIndexes(models);
  return serveSubgraph<GroupsContext>(options, {
    name: "groups",
    schemaPath: GROUPS_SCHEMA_PATH,
    resolvers,
    createContext: groupsContextFactory(models, options.pubsub, options.peers),
  });
}
