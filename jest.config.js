// One jest configuration for the whole repository: TypeScript (and ESM-only packages) through SWC.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  transform: { "^.+\\.(ts|js|mjs)$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } } }] },
  // jose and graphql-ws ship only as ES modules; everything else in node_modules is CommonJS already.
  transformIgnorePatterns: ["/node_modules/(?!(jose|graphql-ws)/)"],
  testMatch: ["<rootDir>/{lib,subgraphs,gateway,scripts,test,web}/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/"],
  testTimeout: 30000,
  maxWorkers: 2,
  reporters: ["default", "<rootDir>/scripts/jest-summary-reporter.js"],
};
