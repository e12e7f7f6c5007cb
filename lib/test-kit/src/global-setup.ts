// Jest global setup (jest.config.js): makes sure the tests have a Redis before any runs — REDIS_URL when given, else redis-server on the PATH, else installed from Debian when running as root — or stops with one line saying how.
import { spawnSync } from "node:child_process";
import { Redis } from "ioredis";
import { maskUriCredentials } from "@tsunagu/service-kit";
import { redisServerInstalled } from "./redis";

const HOW =
  "The pub/sub tests need Redis: install redis-server (Debian/Ubuntu: sudo apt-get install -y redis-server), " +
  "or set REDIS_URL=redis://host:port to a Redis the tests may have to themselves, then run npm test again.";

/** An error jest prints as its one line (no stack). */
function oneLine(message: string): Error {
  const error = new Error(message);
  error.stack = message;
  return error;
}

async function reachable(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** apt-get install redis-server, when this process may (root on a Debian-like machine). */
function installRedisServer(): boolean {
  const root = process.getuid?.() === 0;
  if (!root || spawnSync("apt-get", ["--version"], { stdio: "ignore" }).error !== undefined) return false;
  process.stderr.write("npm test: redis-server is missing; installing it with apt-get (the pub/sub tests need it)\n");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"], env });
  if (update.status !== 0) return false;
  const install = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "redis-server"], { stdio: ["ignore", "ignore", "inherit"], env });
  return install.status === 0 && redisServerInstalled();
}

// Jest loads a global setup module through its default export; no other module in the repository has one.
export default async function provideRedis(): Promise<void> {
  const external = process.env.REDIS_URL;
  if (external !== undefined && external !== "") {
    if (await reachable(external)) return;
    throw oneLine(`REDIS_URL=${maskUriCredentials(external)} does not answer PING. ${HOW}`);
  }
  if (redisServerInstalled() || installRedisServer()) return;
  throw oneLine(HOW);
}
