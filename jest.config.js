// One jest configuration for the whole repository: TypeScript through SWC, tests beside each package.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } } }] },
  testMatch: ["<rootDir>/{lib,subgraphs,gateway,scripts,test}/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/"],
  testTimeout: 30000,
  maxWorkers: 2,
};
