// Public API of @tsunagu/gateway, for `npm start`, scripts and tests; the process entry point is main.ts.
export * from "./api-keys";
export * from "./auth";
export * from "./config";
export * from "./limits";
export * from "./rate-limit";
export * from "./server";
export * from "./subgraph-source";
export * from "./subscription-fields";
export * from "./subscriptions";
