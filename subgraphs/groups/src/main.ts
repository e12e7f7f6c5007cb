// Entry point of the groups subgraph as its own process (Docker); the shared process runner does configuration, MongoDB, pub/sub, seed and shutdown.
import { runSubgraphProcess, subgraphProcessConfigSchema } from "@tsunagu/service-kit";
import { DEFAULT_GROUPS_PORT, seedDemoGroups, startGroupsSubgraph } from "./index";

runSubgraphProcess({
  name: "groups",
  configSchema: subgraphProcessConfigSchema(DEFAULT_GROUPS_PORT),
  seed: (connection) => seedDemoGroups(connection),
  start: (options) => startGroupsSubgraph(options),
});
