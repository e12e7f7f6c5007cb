// The gateway's HTTP client to one subgraph: a pool of kept-alive connections (undici), a deadline per call without an
// abort signal, and identical in-flight queries merged into one call whose answer each caller parses for itself.
import { Pool, errors } from "undici";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";

/** A subgraph answered with an HTTP status other than 200. */
export class SubgraphHttpError extends Error {
  constructor(readonly status: number) {
    super(`subgraph answered HTTP ${status}`);
    this.name = "SubgraphHttpError";
  }
}

/** True when a call failed on its deadline (no headers or no complete body in time). */
export function isTimeout(error: unknown): boolean {
  return error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError;
}

/** How long an idle connection is kept for the next call. */
const KEEP_ALIVE_MS = 30_000;

export class SubgraphClient {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly timeoutMs: number;
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(url: string, timeoutMs: number) {
    const parsed = new URL(url);
    this.pool = new Pool(parsed.origin, { keepAliveTimeout: KEEP_ALIVE_MS });
    this.path = `${parsed.pathname}${parsed.search}`;
    this.timeoutMs = timeoutMs;
  }

  /** POSTs a JSON body and returns the answer's text; an HTTP status other than 200 is a SubgraphHttpError. */
  async postText(body: string, headers: Record<string, string>): Promise<string> {
    const response = await this.pool.request({
      method: "POST",
      path: this.path,
      headers,
      body,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new SubgraphHttpError(response.statusCode);
    return text;
  }

  /**
   * The answer to a GraphQL request; when `mergeKey` is given, a call with the same key still in flight is joined
   * instead of sending another. Each caller gets its own parsed copy, so no caller sees another's changes.
   */
  async post(body: string, headers: Record<string, string>, mergeKey?: string): Promise<GatewayGraphQLResponse> {
    if (mergeKey === undefined) return JSON.parse(await this.postText(body, headers)) as GatewayGraphQLResponse;
    let pending = this.inFlight.get(mergeKey);
    if (pending === undefined) {
      pending = this.postText(body, headers).finally(() => this.inFlight.delete(mergeKey));
      this.inFlight.set(mergeKey, pending);
    }
    return JSON.parse(await pending) as GatewayGraphQLResponse;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
