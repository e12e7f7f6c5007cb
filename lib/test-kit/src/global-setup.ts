// Jest global setup (jest.config.js): makes sure the tests have what they need before any runs — Redis (REDIS_URL when given, else redis-server on the PATH) and Chromium for the browser tests (CHROMIUM_PATH, else /usr/bin/chromium) — installed from Debian when running as root, or stops with one line saying how.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { Redis } from "ioredis";
import { maskUriCredentials } from "@tsunagu/service-kit";
import { redisServerInstalled } from "./redis";

const CHROMIUM_HOW =
  "The browser tests need Chromium: install it (Debian/Ubuntu: sudo apt-get install -y chromium), " +
  "or set CHROMIUM_PATH to a Chromium or Chrome binary, then run npm test again.";

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

/** apt-get install `packages`, when this process may (root on a Debian-like machine); true when apt-get succeeded. */
function aptInstall(packages: readonly string[], why: string): boolean {
  const root = process.getuid?.() === 0;
  if (!root || spawnSync("apt-get", ["--version"], { stdio: "ignore" }).error !== undefined) return false;
  process.stderr.write(`npm test: ${packages.join(", ")} missing; installing with apt-get (${why})\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"], env });
  if (update.status !== 0) return false;
  const install = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], { stdio: ["ignore", "ignore", "inherit"], env });
  return install.status === 0;
}

const chromiumPath = () => process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// Jest loads a global setup module through its default export; no other module in the repository has one.
export default async function provideTestServices(): Promise<void> {
  const external = process.env.REDIS_URL;
  if (external !== undefined && external !== "") {
    if (!(await reachable(external))) throw oneLine(`REDIS_URL=${maskUriCredentials(external)} does not answer PING. ${HOW}`);
  } else if (!redisServerInstalled() && !(aptInstall(["redis-server"], "the pub/sub tests need it") && redisServerInstalled())) {
    throw oneLine(HOW);
  }
  // Japanese fonts too, so the screenshots the browser tests keep show the pages as people see them.
  if (!existsSync(chromiumPath()) && !(aptInstall(["chromium", "fonts-noto-cjk"], "the browser tests need it") && existsSync(chromiumPath()))) {
    throw oneLine(CHROMIUM_HOW);
  }
}
