// Public API of @tsunagu/resources for `npm start`, scripts and benchmarks: start the subgraph, seed demo data, import open data.
import { join } from "node:path";
import { serveSubgraph } from "@tsunagu/service-kit";
import type { RunningService, SubgraphServiceOptions } from "@tsunagu/service-kit";
import { ensureDefaultTaxonomy } from "./categories";
import { resourcesContextFactory } from "./context";
import type { ResourcesContext } from "./context";
import { hsdsRoutes } from "./hsds/routes";
import { openResourceModels } from "./models";
import { resolvers } from "./resolvers";

export { seedDemoResources } from "./bulk-load";
export type { SeedOptions } from "./bulk-load";
export { formatIssue, importResourcesFile } from "./import/sync";
export type { ImportOptions, ImportReport } from "./import/sync";
export type { ImportIssue, ImportScope } from "./import/rows";
export { MappingFileError, readMappingFile } from "./import/mapping-file";
export { OpenDataHeaderError } from "./import/layouts";
export { OpenDataParseError } from "./import/csv-text";
export { defineDistricts, readDistrictFile } from "./districts";
export type { DistrictFile } from "./districts";
export { openResourceModels } from "./models";
export { HSDS_VERSION } from "./hsds/mapping";
export { HSDS_EXPORT_TABLES, exportHsds } from "./hsds/export";
export type { HsdsExportTable } from "./hsds/export";

/** The subgraph's SDL, the source of truth beside the other subgraphs' (schema/resources.graphql). */
export const RESOURCES_SCHEMA_PATH = join(__dirname, "..", "..", "..", "schema", "resources.graphql");
export const DEFAULT_RESOURCES_PORT = 4001;

export type ResourcesSubgraphOptions = SubgraphServiceOptions;

/** Starts the resources subgraph on `connection`: indexes created and the default taxonomy ensured first. */
export async function startResourcesSubgraph(options: ResourcesSubgraphOptions): Promise<RunningService> {
  const models = await openResourceModels(options.connection);
  await ensureDefaultTaxonomy(models);
  return serveSubgraph<ResourcesContext>(options, {
    name: "resources",
    schemaPath: RESOURCES_SCHEMA_PATH,
    resolvers,
    createContext: resourcesContextFactory(models, options.pubsub),
    routes: hsdsRoutes(models),
  });
}
