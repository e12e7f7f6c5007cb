// Tests for health.ts: /healthz and /readyz answered by a real express app on a free port.
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { Mongoose } from "mongoose";
import { healthRouter, mongoReadinessCheck } from "../src/health";
import type { HealthRouterOptions } from "../src/health";
import { createLogger } from "../src/logger";

let server: Server | undefined;

afterEach(async () => {
  if (server === undefined) return;
  server.closeAllConnections();
  server.close();
  await once(server, "close");
  server = undefined;
});

/** Serves `healthRouter(options)` on port 0 and returns a GET function for it. */
async function serve(options?: HealthRouterOptions) {
  const app = express();
  app.use(healthRouter(options));
  server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, cacheControl: response.headers.get("cache-control"), body: await response.json() };
  };
}

/** A logger at warn level whose lines land in `lines`. */
function warningLog() {
  const lines: string[] = [];
  const logger = createLogger({ name: "health-test", level: "warn", destination: { write: (line: string) => lines.push(line) } });
  return { lines, logger };
}

const passing = () => Promise.resolve();
const failing = () => Promise.reject(new Error("connection refused by db.internal:27017"));
const hanging = () => new Promise<void>(() => undefined);

describe("GET /healthz", () => {
  it("answers 200 ok even when a readiness check fails", async () => {
    const get = await serve({ checks: { mongo: failing } });
    expect(await get("/healthz")).toEqual({ status: 200, cacheControl: "no-store", body: { status: "ok" } });
  });
});

describe("GET /readyz", () => {
  it("answers 200 with each check's status when all pass", async () => {
    const get = await serve({ checks: { mongo: passing, redis: passing } });
    const { status, cacheControl, body } = await get("/readyz");
    expect(status).toBe(200);
    expect(cacheControl).toBe("no-store");
    expect(body).toEqual({
      status: "ok",
      checks: {
        mongo: { status: "ok", durationMs: expect.any(Number) },
        redis: { status: "ok", durationMs: expect.any(Number) },
      },
    });
  });

  it("answers 200 when there is nothing to check", async () => {
    const get = await serve();
    expect(await get("/readyz")).toMatchObject({ status: 200, body: { status: "ok", checks: {} } });
  });

  it("answers 503 naming the failing check, logging the cause without exposing it", async () => {
    const { lines, logger } = warningLog();
    const get = await serve({ checks: { mongo: failing, redis: passing }, logger });
    const { status, body } = await get("/readyz");
    expect(status).toBe(503);
    expect(body).toEqual({
      status: "unavailable",
      failing: ["mongo"],
      checks: {
        mongo: { status: "failing", durationMs: expect.any(Number), reason: "check failed" },
        redis: { status: "ok", durationMs: expect.any(Number) },
      },
    });
    expect(JSON.stringify(body)).not.toContain("db.internal");
    const logged = lines.map((line) => JSON.parse(line) as { check: string; err: { message: string } });
    expect(logged.map((entry) => [entry.check, entry.err.message])).toEqual([["mongo", "connection refused by db.internal:27017"]]);
  });

  it("counts a check that does not answer within the timeout as failing", async () => {
    const get = await serve({ checks: { mongo: hanging }, timeoutMs: 50 });
    const { status, body } = await get("/readyz");
    expect(status).toBe(503);
    expect(body).toEqual({
      status: "unavailable",
      failing: ["mongo"],
      checks: { mongo: { status: "failing", durationMs: expect.any(Number), reason: "timed out after 50 ms" } },
    });
  });

  it("reports a mongoose connection that is not connected as failing", async () => {
    const connection = new Mongoose().createConnection();
    const { lines, logger } = warningLog();
    const get = await serve({ checks: { mongo: mongoReadinessCheck(connection) }, logger });
    expect(await get("/readyz")).toMatchObject({ status: 503, body: { failing: ["mongo"] } });
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ check: "mongo", err: { message: "MongoDB connection is disconnected" } });
  });
});
