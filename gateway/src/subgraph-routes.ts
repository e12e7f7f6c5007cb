// Plain HTTP routes a subgraph serves beside GraphQL (HSDS), reached through the gateway's origin: GETs forwarded with their query string, behind the gateway's authentication and rate limits.
import type { RequestHandler } from "express";
import { REQUEST_ID_HEADER, trackingOf } from "@tsunagu/service-kit";
import type { SubgraphEndpoint } from "./subgraph-source";

/** Response headers passed back to the client; hop-by-hop and server details stay behind. */
const RELAYED_HEADERS = ["content-type", "cache-control", "etag", "last-modified"] as const;

/**
 * Forwards GET (and HEAD) requests under the mount path to the same path on `endpoint`'s origin, within `timeoutMs`;
 * an unreachable or slow subgraph answers 502/504 with a JSON body naming the service.
 */
export function forwardToSubgraph(endpoint: SubgraphEndpoint, timeoutMs: number): RequestHandler {
  const origin = new URL(endpoint.url).origin;
  return async (request, response) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.status(405).set("allow", "GET, HEAD").json({ code: "METHOD_NOT_ALLOWED", message: "GET のみです (read-only)" });
      return;
    }
    const target = new URL(request.originalUrl, origin);
    try {
      const answer = await fetch(target, {
        method: request.method,
        headers: { accept: request.get("accept") ?? "application/json", [REQUEST_ID_HEADER]: trackingOf(response).requestId },
        signal: AbortSignal.timeout(timeoutMs),
      });
      response.status(answer.status);
      for (const name of RELAYED_HEADERS) {
        const value = answer.headers.get(name);
        if (value !== null) response.set(name, value);
      }
      response.send(Buffer.from(await answer.arrayBuffer()));
    } catch (error) {
      const timedOut = error instanceof Error && error.name === "TimeoutError";
      trackingOf(response).logger.warn({ subgraph: endpoint.name, path: request.path, err: error }, "subgraph route failed");
      response.status(timedOut ? 504 : 502).json({ code: "INTERNAL_SERVER_ERROR", message: `${endpoint.name} did not answer`, service: endpoint.name });
    }
  };
}
