// Public API of @tsunagu/test-kit: one `export *` line per module.
export * from "./client";
export * from "./logs";
export * from "./pubsub";
export * from "./redis";
export * from "./stack";
export * from "./system";
export * from "./tokens";
export * from "./wait";
export * from "./ws-client";
