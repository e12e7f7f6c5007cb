// Benchmark children: start a TypeScript entry point (or the engine) in its own process, wait for its ready line, stop it, read the CPU time its process tree used, and profile a process from a given moment.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ENGINE_PROCESS_FLAGS, TYPESCRIPT_LOADER_FLAGS } from "@tsunagu/service-kit";
import { connectionString, generateCredentials, type EngineCredentials } from "../../lib/embedded-mongo/src/auth";

export const ROOT = join(__dirname, "..", "..");
/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** A child process running a TypeScript entry point, and the value read from its first matching stdout line. */
export interface Child<T> {
  process: ChildProcess;
  ready: T;
}

/**
 * Starts `entry` (relative to the repository) with `env` added, node `flags` and the entry's `args`, loading TypeScript as
 * npm start's processes do, and waits for the stdout line `readyFrom` accepts.
 */
export async function startChild<T>(
  entry: string,
  env: Record<string, string>,
  readyFrom: (line: string) => T | undefined,
  flags: readonly string[] = [],
  args: readonly string[] = [],
): Promise<Child<T>> {
  const child = spawn(process.execPath, [...flags, ...TYPESCRIPT_LOADER_FLAGS, join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const value = await new Promise<T>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${entry} exited with code ${String(code)} before it was ready`)));
    (async () => {
      for await (const line of lines) {
        const ready = readyFrom(line);
        if (ready !== undefined) return ready;
      }
      throw new Error(`${entry} closed its output before it was ready`);
    })().then(resolve, reject);
  });
  lines.close();
  child.stdout.resume();
  return { process: child, ready: value };
}

/**
 * The gateway as a production process on a free loopback port over the benchmark's engine (`mongoUri`, database
 * `bench`) and the subgraphs at `urls` (name → URL), rate limits out of the way; `env` adds the secrets and settings. Resolves with its URL.
 */
export function startBenchGateway(
  mongoUri: string,
  urls: Readonly<Record<string, string>>,
  env: Record<string, string>,
  flags: readonly string[] = [],
): Promise<Child<string>> {
  return startChild<string>(
    "gateway/src/main.ts",
    {
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      PORT: "0",
      MONGODB_URI: mongoUri,
      MONGODB_DB: "bench",
      SUBGRAPH_URLS: Object.entries(urls)
        .map(([name, url]) => `${name}=${url}`)
        .join(","),
      RATE_LIMIT_BURST: "1000000",
      RATE_LIMIT_PER_SECOND: "1000000",
      ...env,
    },
    (line) => /^Tsunagu gateway: (\S+)$/.exec(line)?.[1],
    flags,
  );
}

/** The embedded engine in a process of its own (its command line), as `npm start` runs it, and how to connect to it. */
export interface EngineProcess extends Child<string> {
  credentials: EngineCredentials;
  /** The URI with the credentials and database `db`. */
  connectionString(db: string): string;
}

/** Node flags writing a `--cpu-prof` profile named `<name>-<time>.cpuprofile` into `dir` when the process stops; none without a directory. */
export function cpuProfileFlags(dir: string | undefined, name: string): string[] {
  return dir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`];
}

/**
 * Starts the engine's command line with `args` (e.g. `--in-memory`, or `--data-dir DIR`) on a free loopback port, with a fresh password and npm start's engine
 * flags; BENCH_ENGINE_PROFILE_DIR writes its `--cpu-prof` profile (from its start to its stop) there.
 */
export async function startEngineProcess(args: readonly string[]): Promise<EngineProcess> {
  const credentials = generateCredentials();
  const child = await startChild<string>(
    "lib/embedded-mongo/src/cli.ts",
    { EMBEDDED_MONGO_PASSWORD: credentials.password },
    (line) => /^(mongodb:\/\/\S+)/.exec(line)?.[1],
    [...ENGINE_PROCESS_FLAGS, ...cpuProfileFlags(process.env.BENCH_ENGINE_PROFILE_DIR, "engine")],
    ["--port", "0", ...args],
  );
  const { hostname, port } = new URL(child.ready);
  return { ...child, credentials, connectionString: (db) => connectionString(hostname, Number(port), credentials, db) };
}

/** Resident memory of a process, from /proc. */
export function residentBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((entry) => entry.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? 0) * 1024;
}

/** Stops a child with SIGTERM and waits for it to exit. */
export async function stopChild(child: Child<unknown>): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill("SIGTERM");
  await once(child.process, "exit");
}

/** User + system CPU milliseconds used so far by a process and every process below it (cluster workers included). */
export function treeCpuMillis(pid: number): number {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // the process ended meanwhile
    }
    // Fields after the command name (which may hold spaces) in parentheses: state ppid ... utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    parents.set(Number(name), Number(fields[1]));
    ticks.set(Number(name), Number(fields[11]) + Number(fields[12]));
  }
  let total = 0;
  const inTree = (candidate: number): boolean => {
    for (let current: number | undefined = candidate; current !== undefined && current > 1; current = parents.get(current)) {
      if (current === pid) return true;
    }
    return false;
  };
  for (const [candidate, used] of ticks) if (inTree(candidate)) total += used;
  return (total * 1000) / TICKS_PER_SECOND;
}

/**
 * Waits until the processes `pids` (with their children) are idle: less than `busyShare` of one core over a second, for
 * at most `maxSeconds`. After seeding, an engine's collector keeps a core busy for a while; measuring before it settles
 * slows every system compared alike and hides their differences. Resolves with the seconds waited.
 */
export async function settled(pids: readonly number[], maxSeconds = 60, busyShare = 0.05): Promise<number> {
  const started = performance.now();
  const used = () => pids.reduce((total, pid) => total + treeCpuMillis(pid), 0);
  for (let before = used(); (performance.now() - started) / 1000 < maxSeconds;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = used();
    if (now - before < 1000 * busyShare) break;
    before = now;
  }
  return (performance.now() - started) / 1000;
}

/**
 * Starts a CPU profile of this process (node:inspector, from now rather than from the start as `--cpu-prof` would, so that seeding stays out of it);
 * the returned function stops it and writes `<dir>/<name>-<pid>.cpuprofile`, for Chrome DevTools or `npx cpupro`.
 */
export async function startCpuProfile(dir: string, name: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) => session.post(method, (error, result) => (error === null ? resolve(result) : reject(error))));
  await post("Profiler.enable");
  await post("Profiler.start");
  return async () => {
    const { profile } = (await post("Profiler.stop")) as { profile: object };
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}
