// `npm start` in-process: the whole system on free ports over a temporary DATA_DIR, queried over HTTP as a client; restarts, bad config, ports in use, the README's variables.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, createLogger } from "@tsunagu/service-kit";
import { issueToken } from "@tsunagu/gateway";
import { DEMO_CITY, DEMO_CITY_COUNTS } from "@tsunagu/resources/src/demo-city";
import { loadSystemConfig, startSystem, startupMessage, systemConfigSchema } from "../scripts/start";
import type { RunningSystem } from "../scripts/start";
import { GraphQLClient, freePortVariables } from "@tsunagu/test-kit";
import { VisitingNursingDocument } from "./generated/operations";
import type { VisitingNursingQuery } from "./generated/operations";

const ROOT = join(__dirname, "..");
const logger = createLogger({ name: "start-test", level: "silent" });
/** Seeding the demo city (twice started) and spawning a Node process take long on a busy machine; no test measures time. */
const SEEDING_TIMEOUT_MS = 300_000;
const PROCESS_TIMEOUT_MS = 120_000;
const DEMO_CITY_SIZE = Object.values(DEMO_CITY_COUNTS).reduce((total, count) => total + count, 0);

let dataDir: string;
let system: RunningSystem | undefined;
let startedConfig: ReturnType<typeof loadSystemConfig> | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "tsunagu-start-"));
});

afterEach(async () => {
  await system?.stop();
  system = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

/** The system on free ports over `dataDir`, as `npm start` would run it with these variables. */
function start(env: Record<string, string> = {}): Promise<RunningSystem> {
  // Every subgraph on a free port, so the test never collides with a running `npm start`.
  const config = loadSystemConfig({ NODE_ENV: "test", ...freePortVariables(), DATA_DIR: dataDir, ...env });
  startedConfig = config;
  return startSystem({ config, logger });
}

interface Answer {
  status: number;
  body: { data?: Record<string, unknown>; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

async function post(url: string, query: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as Answer["body"] };
}

/** The stations as a professional sees them (who works where is for professionals), with a token signed by the system's own secret. */
async function visitingNursingStations(url: string): Promise<VisitingNursingQuery["resources"]> {
  if (startedConfig === undefined) throw new Error("start() has not run");
  const token = await issueToken(
    { role: "PROFESSIONAL", subject: "start-test" },
    { secret: startedConfig.JWT_SECRET ?? "", issuer: startedConfig.JWT_ISSUER, audience: startedConfig.JWT_AUDIENCE },
  );
  return (await new GraphQLClient(url, { authorization: `Bearer ${token}` }).data(VisitingNursingDocument)).resources;
}

test(
  "the first start seeds the demo city and the gateway serves it; a restart on the same DATA_DIR does not seed again",
  async () => {
    system = await start();
    expect(system.embedded).toBe(true);
    expect(system.seeded.resources).toEqual({ inserted: DEMO_CITY_SIZE, skipped: false });
    expect(system.seeded.groups?.inserted).toBeGreaterThan(0);
    expect(system.seeded.emergency).toEqual({ inserted: 60, skipped: false });
    expect(system.seeded.events?.inserted).toBeGreaterThan(0);
    expect(system.seeded.transitions).toEqual({ inserted: 16, skipped: false });
    // The engine's URI is shown without its password, which is generated into DATA_DIR (readable only by the user).
    expect(system.mongoUri).toMatch(/^mongodb:\/\/\*\*\*@127\.0\.0\.1:\d+\/tsunagu\?authSource=admin$/);
    const engineCredentials = join(dataDir, "engine-credentials.json");
    expect(statSync(engineCredentials).mode & 0o777).toBe(0o600);
    const { password } = JSON.parse(readFileSync(engineCredentials, "utf8")) as { password: string };

    const stations = await visitingNursingStations(system.gatewayUrl);
    expect(stations.totalCount).toBe(7);
    expect(stations.edges).toHaveLength(7);
    for (const { node } of stations.edges) {
      expect(node.category.code).toBe("visiting-nursing");
      expect(node.address.city).toBe(DEMO_CITY.city);
      expect(DEMO_CITY.districts).toContain(node.address.district);
    }
    // The groups seed took its members' affiliations from the resources subgraph: the demo nurses of 訪問看護 work at stations of the city.
    const staff = stations.edges
      .flatMap(({ node }) => (node.staff ?? []).map(({ name, profession }) => ({ name, profession })))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(staff).toEqual([
      { name: "加藤 智子", profession: "NURSE" },
      { name: "小林 直美", profession: "NURSE" },
    ]);

    // The subgraph answers only the gateway.
    const direct = await post(system.subgraphUrls.resources, "{ __typename }");
    expect(direct.status).toBe(401);
    expect(direct.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    const message = startupMessage(system, loadSystemConfig({ DATA_DIR: dataDir }));
    expect(message).toContain(`GraphQL     ${system.gatewayUrl}`);
    expect(message).toContain(`MONGODB_URI='${system.mongoUri}' npm run create-api-key`);
    expect(message).toContain("listening   on 127.0.0.1 only");
    expect(message).not.toContain(password);
    expect(message).toContain(`curl -s ${system.gatewayUrl} -H 'content-type: application/json'`);
    expect(message).toContain("npm run token -- --role COORDINATOR");

    const { gatewayUrl } = system;
    await system.stop();
    await expect(fetch(gatewayUrl)).rejects.toThrow();

    system = await start();
    const skipped = { inserted: 0, skipped: true };
    expect(system.seeded).toEqual({ resources: skipped, groups: skipped, emergency: skipped, events: skipped, transitions: skipped });
    const again = await visitingNursingStations(system.gatewayUrl);
    expect(again.totalCount).toBe(7);
    expect(again.edges.map((edge) => edge.node.names.official).sort()).toEqual(stations.edges.map((edge) => edge.node.names.official).sort());
  },
  SEEDING_TIMEOUT_MS,
);

test("SEED_DEMO_DATA=false starts an empty system", async () => {
  system = await start({ SEED_DEMO_DATA: "false" });
  expect(system.seeded).toEqual({});
  expect((await visitingNursingStations(system.gatewayUrl)).totalCount).toBe(0);
});

test("a port in use is reported as a ConfigError naming its variable, and nothing is left running", async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const { port } = blocker.address() as AddressInfo;
  try {
    const failure = start({ RESOURCES_PORT: String(port), SEED_DEMO_DATA: "false" });
    await expect(failure).rejects.toThrow(ConfigError);
    await expect(failure).rejects.toThrow(`RESOURCES_PORT: port ${port} is already in use`);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
  // The engine released DATA_DIR: another start on it succeeds.
  system = await start({ SEED_DEMO_DATA: "false" });
  expect(system.gatewayUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
});

test("two parts given one port are refused as a ConfigError naming both variables (under node:cluster they would answer each other's requests)", () => {
  const load = () => loadSystemConfig({ NODE_ENV: "test", ...freePortVariables(), DATA_DIR: dataDir, GROUPS_PORT: "4321", EVENTS_PORT: "4321" });
  expect(load).toThrow(ConfigError);
  expect(load).toThrow("GROUPS_PORT: port 4321 is chosen by GROUPS_PORT and EVENTS_PORT; give each part its own port (or 0 for a free one)");
  expect(load).toThrow("EVENTS_PORT: port 4321 is chosen by GROUPS_PORT and EVENTS_PORT");
  // Any number of parts may ask for a free port.
  expect(loadSystemConfig({ NODE_ENV: "test", ...freePortVariables(), DATA_DIR: dataDir }).RESOURCES_PORT).toBe(0);
});

test(
  "npm start with a bad value prints one line naming the variable and exits with code 1",
  () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "start.ts")], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: "test", PORT: "80000", DATA_DIR: dataDir },
      encoding: "utf8",
      timeout: PROCESS_TIMEOUT_MS,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('Invalid configuration: PORT: expected an integer between 0 and 65535, got "80000"\n');
    expect(run.stdout).toBe("");
  },
  PROCESS_TIMEOUT_MS,
);

test("the README's configuration table names every variable npm start reads", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## Project layout"));
  const documented = new Set([...table.matchAll(/^\| `([A-Z][A-Z0-9_]*)`/gm)].map((match) => match[1]));
  const variables = Object.keys(systemConfigSchema.shape);
  expect(variables.length).toBeGreaterThan(20);
  expect(variables.filter((variable) => !documented.has(variable))).toEqual([]);
});
