// Liveness (/healthz) and readiness (/readyz) endpoints for a service's express app.
import { Router } from "express";
import { STATES } from "mongoose";
import type { Connection } from "mongoose";
import type { Logger } from "./logger";

/** Resolves when a dependency can serve requests; rejects (or hangs past the timeout) when not. */
export type ReadinessCheck = () => Promise<void>;

export interface HealthRouterOptions {
  /** Named checks run in parallel on every /readyz request, e.g. `{ mongo: mongoReadinessCheck(connection) }`. */
  checks?: Readonly<Record<string, ReadinessCheck>>;
  /** Per-check limit; a slower check counts as failing. Default 2000 ms. */
  timeoutMs?: number;
  /** Receives the reason a check failed (responses name the check, not the internal error). */
  logger?: Logger;
}

/** One check's outcome as reported by /readyz. */
export interface CheckResult {
  status: "ok" | "failing";
  durationMs: number;
  /** `timed out after N ms` or `check failed`; details go to the log. */
  reason?: string;
}

const DEFAULT_TIMEOUT_MS = 2000;

/**
 * `GET /healthz`: 200 `{ status: "ok" }` while the process runs.
 * `GET /readyz`: 200 `{ status: "ok", checks }` when every check passes, otherwise
 * 503 `{ status: "unavailable", failing: [names], checks }`.
 */
export function healthRouter({ checks = {}, timeoutMs = DEFAULT_TIMEOUT_MS, logger }: HealthRouterOptions = {}): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.set("Cache-Control", "no-store").json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    const entries = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await runCheck(name, check, timeoutMs, logger)] as const));
    const failing = entries.filter(([, result]) => result.status === "failing").map(([name]) => name);
    const results = Object.fromEntries(entries);
    res.set("Cache-Control", "no-store");
    if (failing.length > 0) {
      res.status(503).json({ status: "unavailable", failing, checks: results });
    } else {
      res.json({ status: "ok", checks: results });
    }
  });
  return router;
}

/** Readiness of a mongoose connection: connected, and the server answers `hello` as writable (not `readOnly`, which the embedded engine reports while its disk is full). */
export function mongoReadinessCheck(connection: Connection): ReadinessCheck {
  return async () => {
    const db = connection.db;
    if (connection.readyState !== STATES.connected || db === undefined) {
      throw new Error(`MongoDB connection is ${STATES[connection.readyState]}`);
    }
    const hello = await db.admin().command({ hello: 1 });
    if (hello.readOnly === true) throw new Error("MongoDB accepts no writes (readOnly)");
  };
}

class CheckTimeoutError extends Error {}

async function runCheck(name: string, check: ReadinessCheck, timeoutMs: number, logger: Logger | undefined): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new CheckTimeoutError(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: "ok", durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    logger?.warn({ check: name, err: error }, "readiness check failed");
    const reason = error instanceof CheckTimeoutError ? error.message : "check failed";
    return { status: "failing", durationMs: Math.round(performance.now() - started), reason };
  } finally {
    clearTimeout(timer);
  }
}
