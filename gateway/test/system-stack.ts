// Test support for walking features end to end: the whole system as `npm start` runs it (every subgraph, demo data, the gateway) in memory on free ports, signed with the test secrets, and a GraphQL client of its gateway.
import { createLogger } from "@tsunagu/service-kit";
import { loadSystemConfig, startSystem } from "../../scripts/start";
import type { RunningSystem } from "../../scripts/start";
import { SUBGRAPHS } from "../../scripts/subgraphs";
import { TEST_IDENTITY_SECRET, TEST_JWT, postGraphQL } from "./helpers";
import type { HttpAnswer } from "./helpers";

export interface SystemStack {
  system: RunningSystem;
  /** The gateway's origin, e.g. http://127.0.0.1:41234. */
  origin: string;
  /** POSTs `query` with `variables` to the gateway, as a client would; tokens come from `bearer` (TEST_JWT). */
  graphql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<HttpAnswer>;
  /** The data of an answer that must have no errors. */
  data<T>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<T>;
  stop(): Promise<void>;
}

/** The whole system over a fresh in-memory database with demo data; `env` adds or overrides variables (e.g. PUBLIC_ORIGIN). */
export async function startSystemStack(env: Record<string, string> = {}): Promise<SystemStack> {
  const freePorts = Object.fromEntries(SUBGRAPHS.map((subgraph) => [subgraph.portVariable, "0"]));
  const config = loadSystemConfig({
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    ...freePorts,
    IDENTITY_SECRET: TEST_IDENTITY_SECRET,
    JWT_SECRET: TEST_JWT.secret as string,
    JWT_ISSUER: TEST_JWT.issuer,
    JWT_AUDIENCE: TEST_JWT.audience,
    RATE_LIMIT_BURST: "1000000",
    RATE_LIMIT_PER_SECOND: "1000000",
    ...env,
  });
  const system = await startSystem({ config, logger: createLogger({ name: "system-test", level: "silent" }), inMemory: true });
  const graphql = (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    postGraphQL(system.gatewayUrl, { query, variables }, headers);
  return {
    system,
    origin: new URL(system.gatewayUrl).origin,
    graphql,
    async data<T>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<T> {
      const answer = await graphql(query, variables, headers);
      if (answer.body.errors !== undefined) throw new Error(`unexpected errors: ${JSON.stringify(answer.body.errors)}`);
      return answer.body.data as T;
    },
    stop: () => system.stop(),
  };
}
