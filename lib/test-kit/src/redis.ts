// A Redis broker for a test or benchmark: its own redis-server on a free loopback port (or, when REDIS_URL names one, a loopback forwarder to it), stopped afterwards.
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeLoopbackPorts } from "@tsunagu/service-kit";

/** A running broker. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** Stops the broker (or the forwarder): clients see it gone, as when a real broker goes down. */
  stop(): Promise<void>;
}

const READY = /Ready to accept connections/;
const START_TIMEOUT_MS = 20_000;
const ATTEMPTS = 3;

/** True when a `redis-server` executable is on the PATH. */
export function redisServerInstalled(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).error === undefined;
}

/** Resolves when the child says it is ready; rejects with its output when it exits or fails to spawn first. */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => fail(new Error(`redis-server was not ready within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (READY.test(output)) finish();
    };
    const onExit = (code: number | null) => fail(new Error(`redis-server exited with code ${code}:\n${output}`));
    const onError = (error: NodeJS.ErrnoException) =>
      fail(error.code === "ENOENT" ? new Error("redis-server is not installed (npm test installs it; see README, Tests)") : error);
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
    }
    function finish(): void {
      cleanup();
      resolve();
    }
    function fail(error: Error): void {
      cleanup();
      reject(error);
    }
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

/** Starts `redis-server` without persistence, bound to 127.0.0.1 on a free port, in a fresh temporary directory. */
async function startOwnRedisServer(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "tsunagu-redis-"));
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const [port] = await freeLoopbackPorts(1);
    const child = spawn("redis-server", ["--port", String(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1", "--dir", dir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      await ready(child);
    } catch (error) {
      lastError = error as Error;
      await stopChild(child);
      if (/not installed/.test(lastError.message)) break;
      continue;
    }
    child.stdout?.resume();
    child.stderr?.resume();
    let stopping: Promise<void> | undefined;
    return {
      url: `redis://127.0.0.1:${port}`,
      stop: () => (stopping ??= stopChild(child).finally(() => rmSync(dir, { recursive: true, force: true }))),
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError ?? new Error("redis-server did not start");
}

/** A loopback TCP forwarder to the broker at `target` (a `redis://` URL), so that a test can take "its" broker away. */
async function forwardTo(target: string): Promise<RedisServer> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: hostname, port: Number(port || 6379) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  const credentials = new URL(target);
  credentials.hostname = "127.0.0.1";
  credentials.port = String(address.port);
  let stopping: Promise<void> | undefined;
  return {
    url: credentials.toString().replace(/\/$/, ""),
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      })),
  };
}

/**
 * A broker of the test's own: with REDIS_URL set, a forwarder to that broker (which the suite should have to itself:
 * pub/sub channels are shared across databases); otherwise a fresh redis-server. Rejects, never skips, when neither
 * is available (npm test's global setup provides one; see README, Tests).
 */
export async function startRedisServer(): Promise<RedisServer> {
  const external = process.env.REDIS_URL;
  if (external !== undefined && external !== "") return forwardTo(external);
  return startOwnRedisServer();
}
