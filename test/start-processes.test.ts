// `npm start` as the processes it runs: the engine, each subgraph and the gateway in their own (two workers of each with Redis), queried and subscribed to through the gateway, stopped by one SIGINT or by a process that dies, with no process left behind.
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { LiveSubscription, TEST_IDENTITY_SECRET, TEST_JWT, connectWs, postGraphQL, signedIn, startRedisServer } from "@tsunagu/test-kit";
import type { RedisServer, WsConnection } from "@tsunagu/test-kit";
import { ENGINE_PROCESS_FLAGS } from "@tsunagu/service-kit";

const ROOT = join(__dirname, "..");
/** Starting a dozen Node processes takes long on a busy machine; no test measures time. */
const PROCESS_TIMEOUT_MS = 240_000;

let dataDir: string;
let redis: RedisServer | undefined;
/** The supervisor a test started, stopped afterwards if the test did not (a failed assertion). */
let running: Started | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "tsunagu-processes-"));
});

afterEach(async () => {
  if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill("SIGINT");
    await running.exited;
  }
  running = undefined;
  await redis?.stop();
  redis = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

/** The environment of `npm start` on free ports over `dataDir`, with the test kit's secrets and no Redis unless given. */
function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { REDIS_URL: _inherited, ...inherited } = process.env;
  return {
    ...inherited,
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    PORT: "0",
    RESOURCES_PORT: "0",
    GROUPS_PORT: "0",
    EVENTS_PORT: "0",
    EMERGENCY_PORT: "0",
    TRANSITIONS_PORT: "0",
    SEED_DEMO_DATA: "false",
    IDENTITY_SECRET: TEST_IDENTITY_SECRET,
    JWT_SECRET: TEST_JWT.secret,
    JWT_ISSUER: TEST_JWT.issuer,
    JWT_AUDIENCE: TEST_JWT.audience,
    ...extra,
  };
}

interface Started {
  child: ChildProcess;
  gatewayUrl: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Spawns `scripts/start.ts` and waits for its banner; fails with its output when it exits first. */
async function startProcesses(extra: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "start.ts")], { cwd: ROOT, env: environment(extra) });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  running = { child, gatewayUrl: "", stderr: () => stderr, exited };
  const banner = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /^ {2}GraphQL +(\S+)/m.exec(stdout)?.[1];
      if (url !== undefined && stdout.includes("Stop with Ctrl+C.")) resolve(url);
    });
    void exited.then((code) => reject(new Error(`npm start exited with code ${code} before its banner:\n${stdout}\n${stderr}`)));
  });
  return { ...running, gatewayUrl: await banner };
}

/** Every process below `pid`, with its command line. */
function descendants(pid: number): Map<number, string> {
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      commands.set(Number(name), readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " "));
    } catch {
      // the process ended meanwhile
    }
  }
  const below = new Map<number, string>();
  for (const [candidate, command] of commands) {
    for (let current = parents.get(candidate); current !== undefined && current > 1; current = parents.get(current)) {
      if (current === pid) {
        below.set(candidate, command);
        break;
      }
    }
  }
  return below;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The entry point of each service process among `processes` (the engine, subgraphs and gateway), by pid. */
function services(processes: Map<number, string>): Map<number, string> {
  const entries = new Map<number, string>();
  for (const [pid, command] of processes) {
    const entry = /(scripts\/engine-process\.ts|subgraphs\/[a-z]+\/src\/main\.ts|gateway\/src\/main\.ts)/.exec(command)?.[1];
    if (entry !== undefined) entries.set(pid, entry);
  }
  return entries;
}

/** How many processes run each entry point. */
function entryCounts(entries: Map<number, string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of entries.values()) counts[entry] = (counts[entry] ?? 0) + 1;
  return counts;
}

/** Makes `resource` change availability until the subscription delivers it (the subscription is live once one arrives). */
async function availabilityReaches(
  gatewayUrl: string,
  subscription: LiveSubscription,
  resourceId: string,
  coordinator: Record<string, string>,
): Promise<unknown> {
  for (let attempt = 1; ; attempt += 1) {
    const changed = await postGraphQL(
      gatewayUrl,
      {
        query: "mutation ($id: ID!, $n: Int!) { updateAvailability(id: $id, input: { available: $n, unit: PEOPLE }) { id } }",
        variables: { id: resourceId, n: attempt },
      },
      coordinator,
    );
    expect(changed.body.errors).toBeUndefined();
    try {
      return await subscription.next(2000);
    } catch (error) {
      if (attempt >= 10) throw error;
    }
  }
}

/** The resource categories, as anyone reads them through the gateway. */
function readCategories(gatewayUrl: string) {
  return postGraphQL<{ resourceCategories: Array<{ code: string; kind: string }> }>(gatewayUrl, { query: "{ resourceCategories { code kind } }" });
}

/** Creates a resource through the gateway as a coordinator and returns its id. */
async function createResource(gatewayUrl: string, coordinator: Record<string, string>): Promise<string> {
  // The first read of a system that has just started, on a machine busy with the rest of the suite, may meet a
  // subgraph deadline: it is asked again (a few times at most), as a client would; the errors show if it never answers.
  let categories = await readCategories(gatewayUrl);
  for (let attempt = 1; categories.body.errors !== undefined && attempt < 5; attempt += 1) categories = await readCategories(gatewayUrl);
  expect(categories.body.errors).toBeUndefined();
  const category = categories.body.data?.resourceCategories.find((candidate) => candidate.kind === "INFORMAL");
  expect(category).toBeDefined();
  const created = await postGraphQL<{ createResource: { id: string } }>(
    gatewayUrl,
    {
      query: "mutation ($input: ResourceInput!, $key: String!) { createResource(input: $input, idempotencyKey: $key) { id } }",
      variables: {
        input: {
          kind: "INFORMAL",
          category: category?.code,
          names: { official: "みんなの食堂 日の出" },
          address: { prefecture: "石川県", city: "つなぐ市", district: "中央圏域" },
          provenance: { source: "COORDINATOR" },
        },
        key: randomUUID(),
      },
    },
    coordinator,
  );
  expect(created.body.errors).toBeUndefined();
  return created.body.data?.createResource.id as string;
}

test(
  "two workers of each service with Redis: queries and a subscription through the gateway, then one SIGINT stops every process",
  async () => {
    redis = await startRedisServer();
    const started = await startProcesses({ GATEWAY_WORKERS: "2", SUBGRAPH_WORKERS: "2", REDIS_URL: redis.url });
    const processes = services(descendants(started.child.pid!));
    expect(entryCounts(processes)).toEqual({
      "scripts/engine-process.ts": 1,
      "subgraphs/resources/src/main.ts": 2,
      "subgraphs/groups/src/main.ts": 2,
      "subgraphs/events/src/main.ts": 2,
      "subgraphs/emergency/src/main.ts": 2,
      "subgraphs/transitions/src/main.ts": 2,
      "gateway/src/main.ts": 2,
    });

    const coordinator = await signedIn({ role: "COORDINATOR", subject: "processes-test" });
    const resourceId = await createResource(started.gatewayUrl, coordinator);
    for (let request = 0; request < 6; request += 1) {
      const answer = await postGraphQL(started.gatewayUrl, { query: `{ resource(id: "${resourceId}") { names { official } } }` });
      expect(answer.body).toEqual({ data: { resource: { names: { official: "みんなの食堂 日の出" } } } });
    }
    const connection: WsConnection = connectWs(started.gatewayUrl);
    try {
      const subscription = new LiveSubscription(connection.client, { query: "subscription { availabilityChanged { id capacity { unit } } }" });
      expect(await availabilityReaches(started.gatewayUrl, subscription, resourceId, coordinator)).toEqual({
        data: { availabilityChanged: { id: resourceId, capacity: { unit: "PEOPLE" } } },
      });
    } finally {
      await connection.client.dispose();
    }

    started.child.kill("SIGINT");
    expect(await started.exited).toBe(0);
    expect([...processes.keys()].filter(alive)).toEqual([]);
  },
  PROCESS_TIMEOUT_MS,
);

test(
  "one worker of each without Redis: domain events reach subscriptions through the supervisor, and a process that dies stops the others",
  async () => {
    const started = await startProcesses({});
    const commands = descendants(started.child.pid!);
    const processes = services(commands);
    expect(processes.size).toBe(7);
    // The engine, holding every document, runs with its own V8 flags; the others without them.
    for (const [pid, entry] of processes) {
      const flagged = ENGINE_PROCESS_FLAGS.every((flag) => commands.get(pid)?.includes(flag));
      expect([entry, flagged]).toEqual([entry, entry === "scripts/engine-process.ts"]);
    }
    const coordinator = await signedIn({ role: "COORDINATOR", subject: "processes-test" });
    const resourceId = await createResource(started.gatewayUrl, coordinator);
    const connection = connectWs(started.gatewayUrl);
    try {
      const subscription = new LiveSubscription(connection.client, { query: "subscription { availabilityChanged { id } }" });
      expect(await availabilityReaches(started.gatewayUrl, subscription, resourceId, coordinator)).toEqual({
        data: { availabilityChanged: { id: resourceId } },
      });
    } finally {
      await connection.client.dispose();
    }

    const [groupsPid] = [...processes].find(([, entry]) => entry === "subgraphs/groups/src/main.ts") ?? [];
    expect(groupsPid).toBeDefined();
    process.kill(groupsPid!, "SIGKILL");
    expect(await started.exited).toBe(1);
    expect(started.stderr()).toContain(`the groups process (pid ${groupsPid}) exited (SIGKILL); stopping the others`);
    expect([...processes.keys()].filter(alive)).toEqual([]);
  },
  PROCESS_TIMEOUT_MS,
);

test("more than one worker without REDIS_URL is refused with one line before anything starts", () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "start.ts")], {
    cwd: ROOT,
    env: environment({ GATEWAY_WORKERS: "2" }),
    encoding: "utf8",
    timeout: PROCESS_TIMEOUT_MS,
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toBe(
    "Invalid configuration: GATEWAY_WORKERS: 2 workers need REDIS_URL, where they share rate limits, subscriptions' events and replay nonces (without it, use 1)\n",
  );
  expect(run.stdout).toBe("");
});
