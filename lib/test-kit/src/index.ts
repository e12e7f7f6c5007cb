// Public API of @tsunagu/test-kit: one `export *` line per module.
export * from "./redis";
