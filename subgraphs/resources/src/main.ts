// Entry point of the resources subgraph as its own process (Docker); the shared process runner does configuration, MongoDB, pub/sub, seed and shutdown.
import { runSubgraphProcess, subgraphProcessConfigSchema } from "@tsunagu/service-kit";
import { DEFAULT_RESOURCES_PORT, seedDemoResources, startResourcesSubgraph } from "./index";

runSubgraphProcess({
  name: "resources",
  configSchema: subgraphProcessConfigSchema(DEFAULT_RESOURCES_PORT),
  seed: (connection) => seedDemoResources(connection),
  start: (options) => startResourcesSubgraph(options),
});
