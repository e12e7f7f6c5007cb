// Public API of @tsunagu/transitions, for `npm start`, scripts and tests; the process entry point is main.ts.
export { DEFAULT_TRANSITIONS_PORT, TRANSITIONS_SCHEMA_PATH, startTransitionsSubgraph } from "./subgraph";
export type { TransitionsSubgraphOptions } from "./subgraph";
export { DEMO_TRANSITION_FIGURES, seedDemoTransitions } from "./seed";
export type { DemoParty, SeedDemoTransitionsOptions } from "./seed";
export { ACCESS_LOG_COLLECTION as TRANSITIONS_ACCESS_LOG, openTransitionModels } from "./models";
export type { TransitionModels } from "./models";
export { recipientTopic } from "./notices";
