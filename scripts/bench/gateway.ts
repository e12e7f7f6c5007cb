// `npm run bench:gateway`: one search query on 100,000 resources, sent directly to the resources subgraph, through a gateway that sends every
// identical in-flight query (SUBGRAPH_MERGE_IN_FLIGHT=false) and through one that merges them, with throughput, p50/p99 latency, CPU and ratios.
// The engine and the subgraph run in one child, each gateway (its production entry point) in its own, and the load generator here,
// so that the load generator competes with no server for an event loop.
import { randomBytes } from "node:crypto";
import autocannon from "autocannon";
import { PUBLIC_IDENTITY, gatewaySignedHeaders } from "@tsunagu/service-kit";
import { machineLine } from "./machine";
import { loadLine } from "./load";
import { startBenchGateway, startChild, stopChild, treeCpuMillis } from "./processes";
import type { Child } from "./processes";
import type { ResourcesServerReady } from "./resources-server";

const RESOURCES = Number(process.env.BENCH_RESOURCES ?? 100_000);
/** Seconds of each measured run, and runs per target. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
/** Requests per connection before the first measured run of a target. */
const WARMUP_PER_CONNECTION = 2;
/** Generous, so that a slow answer is measured as latency rather than cut off as a failure. */
const TIMEOUT_SECONDS = 60;
/** A directory for `--cpu-prof` of the gateway (one profile written when it stops); unset: no profile. */
const PROFILE_DIR = process.env.BENCH_GATEWAY_PROFILE_DIR;

const QUERY = `{
  resources(filter: { text: "訪問看護", near: { latitude: 36.4, longitude: 136.45, radiusMeters: 3000 } }, first: 20) {
    edges { distanceMeters node { id names { official kana } category { code } address { district } } }
  }
}`;
const BODY = JSON.stringify({ query: QUERY });

/** POSTs the query once and returns the response data, failing on any GraphQL error. */
async function queryOnce(url: string, headers: Record<string, string>): Promise<unknown> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: BODY });
  const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
  if (!response.ok || body.errors !== undefined) throw new Error(`${url} answered HTTP ${response.status}: ${JSON.stringify(body).slice(0, 500)}`);
  return body.data;
}

/** What one load run saw: every response time (ms), how long it ran and what failed. */
interface LoadRun {
  latencies: number[];
  seconds: number;
  /** Non-2xx answers, GraphQL errors, connection errors and timeouts. */
  failures: number;
  /** CPU ms of the gateway's and the subgraph's processes during the run. */
  cpu: { gateway: number; subgraph: number };
}

/** Sends the query from CONNECTIONS connections for `length` (seconds or a number of requests); `headers()` is called for every request. */
function load(
  url: string,
  headers: () => Record<string, string>,
  length: { duration: number } | { amount: number },
  pids: { gateway: number; subgraph: number },
): Promise<LoadRun> {
  const before = { gateway: treeCpuMillis(pids.gateway), subgraph: treeCpuMillis(pids.subgraph) };
  return new Promise((resolve, reject) => {
    let graphqlErrors = 0;
    const latencies: number[] = [];
    const options: autocannon.Options = {
      url,
      method: "POST",
      connections: CONNECTIONS,
      timeout: TIMEOUT_SECONDS,
      ...length,
      requests: [
        {
          body: BODY,
          setupRequest: (request) => ({ ...request, headers: { ...request.headers, "content-type": "application/json", ...headers() } }),
          onResponse: (status, body) => {
            if (status === 200 && body.includes('"errors"')) graphqlErrors += 1;
          },
        },
      ],
    };
    const instance = autocannon(options, (error, result) => {
      if (error !== null) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      const cpu = { gateway: treeCpuMillis(pids.gateway) - before.gateway, subgraph: treeCpuMillis(pids.subgraph) - before.subgraph };
      resolve({ latencies, seconds: result.duration, failures: result.non2xx + result.errors + result.timeouts + graphqlErrors, cpu });
    });
    instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
}

/**
 * A measured run of SECONDS. Requests still in flight when it ends are abandoned by the client but not by the
 * server, so one more request waits for the server to be idle before the next run.
 */
async function measure(url: string, headers: () => Record<string, string>, pids: { gateway: number; subgraph: number }): Promise<LoadRun> {
  const run = await load(url, headers, { duration: SECONDS }, pids);
  await queryOnce(url, headers());
  return run;
}

/** Throughput and latency percentiles over several runs of one target. */
function summarise(runs: readonly LoadRun[]): {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  failures: number;
  gatewayCpu: number;
  subgraphCpu: number;
} {
  const latencies = runs.flatMap((run) => run.latencies).sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? Number.NaN;
  const seconds = runs.reduce((total, run) => total + run.seconds, 0);
  return {
    requestsPerSecond: latencies.length / seconds,
    p50: percentile(50),
    p99: percentile(99),
    requests: latencies.length,
    failures: runs.reduce((total, run) => total + run.failures, 0),
    gatewayCpu: runs.reduce((total, run) => total + run.cpu.gateway, 0) / Math.max(1, latencies.length),
    subgraphCpu: runs.reduce((total, run) => total + run.cpu.subgraph, 0) / Math.max(1, latencies.length),
  };
}

function row(label: string, values: readonly string[]): string {
  return `${label.padEnd(20)}${values.map((value) => value.padStart(11)).join("")}`;
}

async function main(): Promise<void> {
  console.log(machineLine());
  const identitySecret = randomBytes(32).toString("hex");
  const noHeaders = () => ({});
  const signedHeaders = () => gatewaySignedHeaders(PUBLIC_IDENTITY, identitySecret, "resources", resources.ready.url, BODY);

  const resources = await startChild<ResourcesServerReady>(
    "scripts/bench/resources-server.ts",
    { BENCH_RESOURCES: String(RESOURCES), IDENTITY_SECRET: identitySecret },
    (line) => (line.startsWith("{") ? (JSON.parse(line) as ResourcesServerReady) : undefined),
  );
  const children: Child<unknown>[] = [resources];
  try {
    const startGateway = async (mergeInFlight: boolean, profile: boolean) => {
      const gateway = await startBenchGateway(
        resources.ready.mongoUri,
        {
          SUBGRAPH_URLS: `resources=${resources.ready.url}`,
          SUBGRAPH_TIMEOUT_MS: String(TIMEOUT_SECONDS * 1000),
          SUBGRAPH_MERGE_IN_FLIGHT: String(mergeInFlight),
          IDENTITY_SECRET: identitySecret,
          JWT_SECRET: randomBytes(32).toString("hex"),
        },
        profile && PROFILE_DIR !== undefined ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : [],
      );
      children.push(gateway);
      return gateway;
    };
    const unmerged = await startGateway(false, false);
    const merged = await startGateway(true, true);

    const directData = await queryOnce(resources.ready.url, signedHeaders());
    for (const gateway of [unmerged, merged]) {
      if (JSON.stringify(directData) !== JSON.stringify(await queryOnce(gateway.ready, {}))) {
        throw new Error("the subgraph and the gateway answered the query differently");
      }
    }
    const hits = (directData as { resources: { edges: unknown[] } }).resources.edges.length;

    console.log(
      `${resources.ready.inserted} resources seeded in ${resources.ready.seedSeconds.toFixed(1)} s (in-memory engine in the subgraph's process); ` +
        `each gateway in its own process (NODE_ENV=production); load from this process; logs at warn`,
    );
    console.log(`query: resources(text 訪問看護, within 3 km of the city centre, first 20) → ${hits} edges; identity header signed per direct request`);
    console.log(
      `${CONNECTIONS} connections, every one sending the same query; ${ROUNDS} rounds of ${SECONDS} s per target, the order reversed every other round, ` +
        `after ${CONNECTIONS * WARMUP_PER_CONNECTION} warm-up requests each; client and gateways time out after ${TIMEOUT_SECONDS} s` +
        (PROFILE_DIR === undefined ? "" : `; --cpu-prof of the merging gateway into ${PROFILE_DIR}`),
    );
    const subgraph = resources.process.pid!;
    const targets = {
      direct: { url: resources.ready.url, headers: signedHeaders, pids: { gateway: merged.process.pid!, subgraph }, runs: [] as LoadRun[] },
      unmerged: { url: unmerged.ready, headers: noHeaders, pids: { gateway: unmerged.process.pid!, subgraph }, runs: [] as LoadRun[] },
      merged: { url: merged.ready, headers: noHeaders, pids: { gateway: merged.process.pid!, subgraph }, runs: [] as LoadRun[] },
    };
    for (const target of Object.values(targets)) await load(target.url, target.headers, { amount: CONNECTIONS * WARMUP_PER_CONNECTION }, target.pids);
    const rate = (run: LoadRun | undefined) => ((run?.latencies.length ?? 0) / (run?.seconds ?? 1)).toFixed(1);
    for (let round = 0; round < ROUNDS; round += 1) {
      // ABC CBA order, so that a drift of the machine or the server over time weighs on every target alike.
      const order = round % 2 === 0 ? [targets.direct, targets.unmerged, targets.merged] : [targets.merged, targets.unmerged, targets.direct];
      for (const target of order) target.runs.push(await measure(target.url, target.headers, target.pids));
      console.log(
        `  round ${round + 1} (${loadLine()}): direct ${rate(targets.direct.runs[round])} req/s, ` +
          `gateway sending each ${rate(targets.unmerged.runs[round])} req/s, gateway merging ${rate(targets.merged.runs[round])} req/s`,
      );
    }

    const direct = summarise(targets.direct.runs);
    const sending = summarise(targets.unmerged.runs);
    const merging = summarise(targets.merged.runs);
    console.log(row("", ["req/s", "p50 ms", "p99 ms", "requests", "failures", "gw CPU ms", "sub CPU ms"]));
    for (const [label, result] of [
      ["direct to subgraph", direct],
      ["gateway, each sent", sending],
      ["gateway, merging", merging],
    ] as const) {
      console.log(
        row(label, [
          result.requestsPerSecond.toFixed(1),
          result.p50.toFixed(1),
          result.p99.toFixed(1),
          String(result.requests),
          String(result.failures),
          result.gatewayCpu.toFixed(2),
          result.subgraphCpu.toFixed(2),
        ]),
      );
    }
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    for (const [label, result] of [
      ["each sent / direct", sending],
      ["merging / direct", merging],
    ] as const) {
      console.log(row(label, [ratio(result.requestsPerSecond, direct.requestsPerSecond), ratio(result.p50, direct.p50), ratio(result.p99, direct.p99)]));
    }
  } finally {
    for (const child of children.reverse()) await stopChild(child);
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
