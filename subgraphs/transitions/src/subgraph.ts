// Starts the transitions subgraph: its schema from schema/transitions.graphql, the collections and indexes created, and one context per request.
import { join } from "node:path";
import { serveSubgraph } from "@tsunagu/service-kit";
import type { RunningService, SubgraphServiceOptions } from "@tsunagu/service-kit";
import { transitionsContextFactory } from "./context";
import type { TransitionsContext } from "./context";
import { openTransitionModels } from "./models";
import { resolvers } from "./resolvers";

/** The port of scripts/compose.ts's DEFAULT_SUBGRAPH_PORTS. */
export const DEFAULT_TRANSITIONS_PORT = 4005;

/** The SDL the subgraph serves, the same file composition reads. */
export const TRANSITIONS_SCHEMA_PATH = join(__dirname, "..", "..", "..", "schema", "transitions.graphql");

export type TransitionsSubgraphOptions = SubgraphServiceOptions;

/** Creates the collections and indexes, then serves GraphQL on `/graphql` (signed identity required) with `/healthz` and `/readyz`. */
export async function startTransitionsSubgraph(options: TransitionsSubgraphOptions): Promise<RunningService> {
  const models = await openTransitionModels(options.connection);
  return serveSubgraph<TransitionsContext>(options, {
    name: "transitions",
    schemaPath: TRANSITIONS_SCHEMA_PATH,
    resolvers,
    createContext: transitionsContextFactory(models, options.pubsub, options.peers),
  });
}
