// Public API of @tsunagu/resources for `npm start`, scripts and benchmarks: start the subgraph, seed demo data, import open data.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "graphql";
import type { Connection } from "mongoose";
import { mongoReadinessCheck, startSubgraph } from "@tsunagu/service-kit";
import type { Logger, PubSub, RunningService } from "@tsunagu/service-kit";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper";
import { ensureDefaultTaxonomy } from "./categories";
import { resourcesContextFactory } from "./context";
import type { ResourcesContext } from "./context";
import { openResourceModels } from "./models";
import { resolvers } from "./resolvers";

export { importResourcesFile, seedDemoResources } from "./bulk-load";
export type { ImportOptions, ImportSummary, RejectedRow, SeedOptions } from "./bulk-load";

/** The subgraph's SDL, the source of truth beside the other subgraphs' (schema/resources.graphql). */
export const RESOURCES_SCHEMA_PATH = join(__dirname, "..", "..", "..", "schema", "resources.graphql");
export const DEFAULT_RESOURCES_PORT = 4001;

export interface ResourcesSubgraphOptions {
  connection: Connection;
  /** IDENTITY_SECRET, shared only with the gateway. */
  signingSecret: string;
  logger: Logger;
  /** Default 0 (any free port; the real one is in the returned URL). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  identityMaxAgeSeconds?: number;
  /** Introspection and internal error details; default false. */
  development?: boolean;
  /** Receives availabilityChanged after each availability update (shared with the gateway's subscriptions); absent: no events. */
  pubsub?: PubSub;
}

/** Starts the resources subgraph on `connection`: indexes created and the default taxonomy ensured first. */
export async function startResourcesSubgraph(options: ResourcesSubgraphOptions): Promise<RunningService> {
  const models = await openResourceModels(options.connection);
  await ensureDefaultTaxonomy(models);
  return startSubgraph<ResourcesContext>({
    name: "resources",
    typeDefs: parse(readFileSync(RESOURCES_SCHEMA_PATH, "utf8")),
    // The generated types describe __resolveReference as (reference, context, info), which @apollo/subgraph's map
    // type cannot express; every resolver is still checked against the schema by the generated `Resolvers` type.
    resolvers: resolvers as GraphQLResolverMap<ResourcesContext>,
    createContext: resourcesContextFactory(models, options.pubsub),
    signingSecret: options.signingSecret,
    identityMaxAgeSeconds: options.identityMaxAgeSeconds,
    logger: options.logger,
    port: options.port,
    host: options.host,
    development: options.development,
    readinessChecks: { mongo: mongoReadinessCheck(options.connection) },
  });
}
