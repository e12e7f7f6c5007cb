// Load for benchmarks: closed-loop (N clients, each sending its next request when the last is answered) and open-loop
// (requests started at a steady rate whatever the answers do) POSTs of GraphQL over keep-alive connections, with latencies,
// errors, the CPU each process tree used and the load average; percentiles and the table every benchmark prints.
import { loadavg } from "node:os";
import { Pool } from "undici";
import { treeCpuMillis } from "./processes";

/** One request of a load: the body (or a function giving each request its own) and the headers to send with it. */
export interface LoadRequest {
  body: string | (() => string);
  /** Called per request with its body, so that a signature can be fresh and cover it. */
  headers(body: string): Record<string, string>;
  /** Checks a 200 answer's JSON text; an answer it refuses counts as an error. Default: no "errors" key. */
  accept?(text: string): boolean;
}

/** What one run saw. */
export interface LoadRun {
  latencies: number[];
  seconds: number;
  /** Requests that failed, timeouts included. */
  errors: number;
  /** Requests with no complete answer within the timeout. */
  timeouts: number;
  /** A sample of what failed, for the report. */
  firstError?: string;
  /** CPU milliseconds each watched process tree used during the run. */
  cpuMillis: Record<string, number>;
}

/** Process trees whose CPU a run measures, by label. */
export type Watched = Record<string, number>;

const defaultAccept = (text: string): boolean => !text.includes('"errors"');

/** A keep-alive pool to a URL's origin with `connections` sockets. */
export function poolFor(url: string, connections: number): { pool: Pool; path: string } {
  const parsed = new URL(url);
  return { pool: new Pool(parsed.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 }), path: parsed.pathname };
}

/** How undici says a request ran out of time (HeadersTimeoutError, BodyTimeoutError). */
const TIMEOUT_MESSAGE = /Timeout Error/;

async function send(pool: Pool, path: string, request: LoadRequest, timeoutMs: number): Promise<string | undefined> {
  try {
    const body = typeof request.body === "string" ? request.body : request.body();
    const response = await pool.request({
      method: "POST",
      path,
      headers: { "content-type": "application/json", ...request.headers(body) },
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) return `HTTP ${response.statusCode}: ${text.slice(0, 300)}`;
    return (request.accept ?? defaultAccept)(text) ? undefined : text.slice(0, 300);
  } catch (error) {
    return (error as Error).message;
  }
}

function cpuSnapshot(watched: Watched): Record<string, number> {
  return Object.fromEntries(Object.entries(watched).map(([label, pid]) => [label, treeCpuMillis(pid)]));
}

function finish(started: number, before: Record<string, number>, watched: Watched, latencies: number[], errors: string[]): LoadRun {
  const after = cpuSnapshot(watched);
  return {
    latencies,
    seconds: (performance.now() - started) / 1000,
    errors: errors.length,
    timeouts: errors.filter((error) => TIMEOUT_MESSAGE.test(error)).length,
    ...(errors[0] === undefined ? {} : { firstError: errors[0] }),
    cpuMillis: Object.fromEntries(Object.keys(watched).map((label) => [label, after[label] - before[label]])),
  };
}

/** POSTs one request of `request` and returns the answer's text, failing on an error or an answer the request does not accept (a check before a load). */
export async function answerText(url: string, request: LoadRequest): Promise<string> {
  const body = typeof request.body === "string" ? request.body : request.body();
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...request.headers(body) }, body });
  const text = await response.text();
  if (!response.ok || !(request.accept ?? defaultAccept)(text)) throw new Error(`${url} answered HTTP ${response.status}: ${text.slice(0, 500)}`);
  return text;
}

/** `concurrency` clients each sending the next request as soon as the last is answered, for `seconds`. */
export async function closedLoop(
  url: string,
  request: LoadRequest,
  concurrency: number,
  seconds: number,
  watched: Watched,
  timeoutMs = 60_000,
): Promise<LoadRun> {
  const { pool, path } = poolFor(url, concurrency);
  const latencies: number[] = [];
  const errors: string[] = [];
  const before = cpuSnapshot(watched);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        const error = await send(pool, path, request, timeoutMs);
        if (error === undefined) latencies.push(performance.now() - sent);
        else errors.push(error);
      }
    }),
  );
  const run = finish(started, before, watched, latencies, errors);
  await pool.close();
  return run;
}

/** Requests started at `perSecond` for `seconds`, each on time whatever earlier ones do (up to `maxConnections` sockets). */
export async function openLoop(
  url: string,
  request: LoadRequest,
  perSecond: number,
  seconds: number,
  watched: Watched,
  timeoutMs = 60_000,
  maxConnections = 64,
): Promise<LoadRun> {
  const { pool, path } = poolFor(url, maxConnections);
  const latencies: number[] = [];
  const errors: string[] = [];
  const before = cpuSnapshot(watched);
  const started = performance.now();
  const total = Math.round(perSecond * seconds);
  const pending: Promise<void>[] = [];
  for (let index = 0; index < total; index += 1) {
    const due = started + (index * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    // Latency counts from when the request was due, so a late start (a busy load generator) is not hidden.
    pending.push(
      send(pool, path, request, timeoutMs).then((error) => {
        if (error === undefined) latencies.push(performance.now() - due);
        else errors.push(error);
      }),
    );
  }
  await Promise.all(pending);
  const run = finish(started, before, watched, latencies, errors);
  await pool.close();
  return run;
}

/** The value at percentile `p` (0-100) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** Figures of several runs of one target. */
export interface Summary {
  requests: number;
  errors: number;
  timeouts: number;
  requestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** CPU ms per answered request, by watched process. */
  cpuPerRequest: Record<string, number>;
}

export function summarise(runs: readonly LoadRun[]): Summary {
  const latencies = runs.flatMap((run) => run.latencies).sort((a, b) => a - b);
  const seconds = runs.reduce((total, run) => total + run.seconds, 0);
  const labels = [...new Set(runs.flatMap((run) => Object.keys(run.cpuMillis)))];
  return {
    requests: latencies.length,
    errors: runs.reduce((total, run) => total + run.errors, 0),
    timeouts: runs.reduce((total, run) => total + run.timeouts, 0),
    requestsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    cpuPerRequest: Object.fromEntries(
      labels.map((label) => [label, runs.reduce((total, run) => total + (run.cpuMillis[label] ?? 0), 0) / Math.max(1, latencies.length)]),
    ),
  };
}

/** The 1-, 5- and 15-minute load averages, as printed each round. */
export function loadLine(): string {
  return `load ${loadavg()
    .map((value) => value.toFixed(2))
    .join(" ")}`;
}

/** A fixed-width table: a header row and rows of cells. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (row: readonly string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

/** CPU ms per request of each watched process, as one cell: `gateway 3.1 / resources 5.2`. */
export function cpuCell(summary: Summary): string {
  return Object.entries(summary.cpuPerRequest)
    .map(([label, ms]) => `${label} ${ms.toFixed(1)}`)
    .join(" / ");
}
