// Starts the transitions subgraph: its schema from schema/transitions.graphql, the collections and indexes created, and one context per request.
import { join } from "node:path";
import { openAuditChain, serveSubgraph } from "@tsunagu/service-kit";
import type { RunningService, SubgraphServiceOptions } from "@tsunagu/service-kit";
import { transitionsContextFactory } from "./context";
import type { TransitionsContext } from "./context";
import { ACCESS_LOG_COLLECTION, openTransitionModels } from "./models";
import { resolvers } from "./resolvers";

/** The port of scripts/compose.ts's DEFAULT_SUBGRAPH_PORTS. */
export const DEFAULT_TRANSITIONS_PORT = 4005;

/** The SDL the subgraph serves, the same file composition reads. */
export const TRANSITIONS_SCHEMA_PATH = join(__dirname, "..", "..", "..", "schema", "transitions.graphql");

export interface TransitionsSubgraphOptions extends SubgraphServiceOptions {
  /** Where the access log's chain head is written out (DATA_DIR/audit); unset: kept only in the database. */
  auditHeadDirectory?: string;
  /** How often the head is written out when it moved; default one minute. */
  auditHeadIntervalMs?: number;
}

/** Creates the collections and indexes, then serves GraphQL on `/graphql` (signed identity required) with `/healthz` and `/readyz`. */
export async function startTransitionsSubgraph(options: TransitionsSubgraphOptions): Promise<RunningService> {
  const models = await openTransitionModels(options.connection);
  const accessChain = await openAuditChain(options.connection, ACCESS_LOG_COLLECTION, {
    headDirectory: options.auditHeadDirectory ?? null,
    logger: options.logger,
    intervalMs: options.auditHeadIntervalMs,
  });
  const service = await serveSubgraph<TransitionsContext>(options, {
    name: "transitions",
    schemaPath: TRANSITIONS_SCHEMA_PATH,
    resolvers,
    createContext: transitionsContextFactory(models, options.pubsub, accessChain),
  });
  return {
    url: service.url,
    async stop() {
      await service.stop();
      await accessChain.stop();
    },
  };
}
