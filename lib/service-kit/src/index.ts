// Public API of @tsunagu/service-kit: one `export *` line per module.
export * from "./config";
export * from "./logger";
export * from "./mongo";
export * from "./health";
