// Public API of @tsunagu/groups, for `npm start`, scripts and tests; the process entry point is main.ts.
export { DEFAULT_GROUPS_PORT, GROUPS_SCHEMA_PATH, startGroupsSubgraph } from "./subgraph";
export type { GroupsSubgraphOptions } from "./subgraph";
export { seedDemoGroups, DEMO_CONSULTATION_FIGURES } from "./seed";
export type { DemoAffiliation, SeedDemoGroupsOptions } from "./seed";
export { CONTACTS_SCOPE } from "./access";
export { groupsModels } from "./models";
export type { GroupsModels } from "./models";
