// Entry point of the transitions subgraph as its own process (Docker); the shared process runner does configuration, MongoDB, pub/sub, seed and shutdown.
import { auditHeadDirectory, runSubgraphProcess, subgraphProcessConfigSchema } from "@tsunagu/service-kit";
import { DEFAULT_TRANSITIONS_PORT, seedDemoTransitions, startTransitionsSubgraph } from "./index";

runSubgraphProcess({
  name: "transitions",
  configSchema: subgraphProcessConfigSchema(DEFAULT_TRANSITIONS_PORT),
  seed: (connection) => seedDemoTransitions(connection),
  start: (options, config) => startTransitionsSubgraph({ ...options, auditHeadDirectory: auditHeadDirectory(config.DATA_DIR) }),
});
