// Public API of @tsunagu/service-kit: one `export *` line per module.
export * from "./config";
export * from "./logger";
export * from "./mongo";
export * from "./health";
export * from "./errors";
export * from "./identity";
export * from "./subgraph-server";
export * from "./japanese-text";
export * from "./pubsub";
export * from "./inputs";
export * from "./idempotency";
export * from "./scalars";
export * from "./pagination";
export * from "./tokyo-time";
export * from "./subgraph-process";
export * from "./subgraph-service";
export * from "./audit-chain";
