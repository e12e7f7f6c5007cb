// The gateway's HTTP client to one subgraph: a pool of kept-alive connections (undici's `request`, no web streams), answers read whole into responses any number of callers may read.
import { Pool } from "undici";
import type { FetcherHeaders, FetcherRequestInit, FetcherResponse } from "@apollo/utils.fetcher";

/** How long an idle connection is kept for the next call. */
const KEEP_ALIVE_MS = 30_000;

/** A subgraph's answer, read whole: its text can be read again and again, so that merged callers each parse their own copy. */
export class ReadAnswer implements FetcherResponse {
  readonly bodyUsed = false;
  readonly redirected = false;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly headers: FetcherHeaders,
    private readonly body: string,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    return this.ok ? "OK" : `HTTP ${this.status}`;
  }

  text(): Promise<string> {
    return Promise.resolve(this.body);
  }

  json(): Promise<unknown> {
    return Promise.resolve(JSON.parse(this.body) as unknown);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = Buffer.from(this.body, "utf8");
    return Promise.resolve(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }

  clone(): ReadAnswer {
    return this;
  }
}

/** Response headers as the fetcher interface wants them (repeated headers joined as fetch joins them). */
function headersOf(raw: Record<string, string | string[] | undefined>): FetcherHeaders {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

/** A subgraph's pooled client: `send` has the fetcher's shape (the deadline arrives as `init.signal`); `close` ends its connections. */
export interface SubgraphPool {
  send: (url: string, init?: FetcherRequestInit) => Promise<FetcherResponse>;
  close: () => Promise<void>;
}

/**
 * A pool of kept-alive connections to `origin` (one subgraph's). A call whose `init.signal` aborts fails with the
 * signal's reason (a TimeoutError for the lane's deadline) and its connection is dropped.
 * @throws Error when `send` is given a URL of another origin.
 */
export function subgraphPool(origin: string): SubgraphPool {
  const pool = new Pool(origin, { keepAliveTimeout: KEEP_ALIVE_MS });
  return {
    async send(url, init = {}) {
      const target = new URL(url);
      if (target.origin !== origin) throw new Error(`The pool for ${origin} was asked to call ${target.origin}`);
      const answer = await pool.request({
        method: init.method ?? "GET",
        path: `${target.pathname}${target.search}`,
        headers: init.headers,
        body: init.body,
        signal: init.signal as AbortSignal | undefined,
      });
      const body = await answer.body.text();
      return new ReadAnswer(url, answer.statusCode, headersOf(answer.headers), body);
    },
    close: () => pool.close(),
  };
}
