// Serves the events subgraph's iCalendar feeds on the gateway's own origin: GET /calendar/... is relayed to the events subgraph (calendar apps send no tokens; a member's feed carries its secret in the path).
import { Router } from "express";
import type { Logger } from "@tsunagu/service-kit";

/** The path the feeds are served under, on the gateway as on the events subgraph. */
export const CALENDAR_PATH = "/calendar";

/** Headers of the subgraph's answer a calendar app needs; nothing else is passed on. */
const RELAYED_HEADERS = ["content-type", "cache-control", "etag", "last-modified"] as const;

/**
 * Routes GET and HEAD under /calendar to the events subgraph at `eventsUrl` (its GraphQL URL; the feeds are on the same
 * origin), within `timeoutMs`; an unreachable subgraph is 502, a slow one 504.
 */
export function calendarProxy(eventsUrl: string, timeoutMs: number, logger: Logger): Router {
  const eventsOrigin = new URL(eventsUrl).origin;
  const router = Router();
  router.get(`${CALENDAR_PATH}/*path`, async (req, res) => {
    const target = `${eventsOrigin}${req.originalUrl}`;
    try {
      const answer = await fetch(target, { method: req.method, signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
      res.status(answer.status);
      for (const name of RELAYED_HEADERS) {
        const value = answer.headers.get(name);
        if (value !== null) res.set(name, value);
      }
      res.send(Buffer.from(await answer.arrayBuffer()));
    } catch (error) {
      const timedOut = error instanceof Error && error.name === "TimeoutError";
      logger.warn({ err: error, path: req.path }, "calendar feed: the events subgraph did not answer");
      res.status(timedOut ? 504 : 502).type("text/plain").send(timedOut ? "The calendar service did not answer in time" : "The calendar service is unavailable");
    }
  });
  return router;
}
