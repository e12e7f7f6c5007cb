// The whole system as `npm start` runs it, on free ports over a temporary DATA_DIR, and development tokens minted as the README mints them (`npm run token`).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadSystemConfig, startSystem } from "../../../scripts/start";
import type { RunningSystem, SystemConfig } from "../../../scripts/start";
import { SUBGRAPHS } from "../../../scripts/subgraphs";
import { GraphQLClient } from "./client";
import { silentLogger } from "./logs";

const ROOT = join(__dirname, "..", "..", "..");
const run = promisify(execFile);

export interface TestSystem {
  system: RunningSystem;
  config: SystemConfig;
  /** The variables the system was started with (every port 0, a temporary DATA_DIR, NODE_ENV=test, and the caller's). */
  env: Readonly<Record<string, string>>;
  /** A client of the gateway without credentials. */
  client: GraphQLClient;
  /** `npm run token -- <args>` run as the README runs it, with the system's variables; resolves with the token. */
  token: (args: readonly string[]) => Promise<string>;
  /** Stops the system and removes its DATA_DIR (unless the caller chose DATA_DIR). */
  stop: () => Promise<void>;
}

/** The variables that start every subgraph and the gateway on a free port. */
export function freePortVariables(): Record<string, string> {
  return { PORT: "0", ...Object.fromEntries(SUBGRAPHS.map((subgraph) => [subgraph.portVariable, "0"])) };
}

/**
 * Starts the system as `npm start` does (scripts/start.ts's startSystem) with NODE_ENV=test, every port free and
 * DATA_DIR a fresh temporary directory, then `env` on top; `npm start` seeds the demo city unless SEED_DEMO_DATA=false.
 */
export async function startTestSystem(env: Readonly<Record<string, string>> = {}): Promise<TestSystem> {
  const ownDataDir = env.DATA_DIR === undefined ? mkdtempSync(join(tmpdir(), "tsunagu-system-")) : undefined;
  const variables = { NODE_ENV: "test", ...freePortVariables(), ...(ownDataDir === undefined ? {} : { DATA_DIR: ownDataDir }), ...env };
  const removeDataDir = () => {
    if (ownDataDir !== undefined) rmSync(ownDataDir, { recursive: true, force: true });
  };
  let system: RunningSystem;
  let config: SystemConfig;
  try {
    config = loadSystemConfig(variables);
    system = await startSystem({ config, logger: silentLogger });
  } catch (error) {
    removeDataDir();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    system,
    config,
    env: variables,
    client: new GraphQLClient(system.gatewayUrl),
    token: async (args) => {
      const { stdout } = await run(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "token.ts"), ...args], {
        cwd: ROOT,
        // PORT as the running gateway listens, so `--demo` finds it as it finds `npm start`'s.
        env: { ...process.env, ...variables, PORT: new URL(system.gatewayUrl).port },
        encoding: "utf8",
      });
      return stdout.trim();
    },
    stop: () => (stopping ??= system.stop().finally(removeDataDir)),
  };
}
