// `npm run bench:search`: Q1 (text + near + category, 5 results) straight to the resources subgraph at several collection sizes,
// each size in its own pair of processes (the engine as npm start runs it, and the subgraph), alternated round by round, at concurrency 1 and 20, with CPU per request.
import { randomBytes } from "node:crypto";
import { PUBLIC_IDENTITY, gatewaySignedHeaders } from "@tsunagu/service-kit";
import { machineLine } from "./machine";
import { closedLoop, cpuCell, loadLine, summarise, table } from "./load";
import type { LoadRequest, LoadRun } from "./load";
import { settled, startChild, startEngineProcess, stopChild } from "./processes";
import type { Child, EngineProcess } from "./processes";
import type { ResourcesServerReady } from "./resources-server";

/** Collection sizes compared, smallest first (the first is the baseline of the ratios). */
const SIZES = (process.env.BENCH_SEARCH_SIZES ?? "5000,100000,300000").split(",").map(Number);
const CONCURRENCIES = (process.env.BENCH_SEARCH_CONCURRENCY ?? "1,20").split(",").map(Number);
/** Seconds of each measured run; rounds per size and concurrency (sizes alternate within a round, order reversed every other round). */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);

export const Q1 = `query Q1 {
  resources(filter: { text: "訪問看護", categories: ["visiting-nursing"], near: { latitude: 36.4, longitude: 136.45, radiusMeters: 3000 } }, first: 5) {
    edges { distanceMeters node { id names { official kana } address { district } } }
  }
}`;

/** Q1 signed as the gateway signs a call to the resources subgraph at `url` (a fresh nonce per request). */
function q1Request(secret: string, url: string): LoadRequest {
  const body = JSON.stringify({ query: Q1 });
  return {
    body,
    headers: () => gatewaySignedHeaders(PUBLIC_IDENTITY, secret, "resources", url, body),
    accept: (text) => !text.includes('"errors"') && text.includes('"edges":[{'),
  };
}

async function main(): Promise<void> {
  console.log(machineLine());
  const secret = randomBytes(32).toString("hex");
  const servers: Array<{ size: number; engine: EngineProcess; child: Child<ResourcesServerReady> }> = [];
  try {
    for (const size of SIZES) {
      const engine = await startEngineProcess(["--in-memory"]);
      const child = await startChild<ResourcesServerReady>(
        "scripts/bench/resources-server.ts",
        { BENCH_RESOURCES: String(size), IDENTITY_SECRET: secret, MONGODB_URI: engine.connectionString("bench") },
        (line) => (line.startsWith("{") ? (JSON.parse(line) as ResourcesServerReady) : undefined),
      ).catch(async (error: unknown) => {
        await stopChild(engine);
        throw error;
      });
      servers.push({ size, engine, child });
      console.log(`${child.ready.inserted} resources seeded in ${child.ready.seedSeconds.toFixed(1)} s (the engine in its own process, as npm start runs it)`);
    }
    const waited = await settled(servers.flatMap(({ engine, child }) => [engine.process.pid!, child.process.pid!]));
    console.log(`waited ${waited.toFixed(0)} s for the processes to be idle after seeding`);
    const first = servers[0];
    if (first === undefined) throw new Error("BENCH_SEARCH_SIZES names no size");
    const request = q1Request(secret, first.child.ready.url);
    console.log("Q1: resources(text 訪問看護, category visiting-nursing, within 3 km of the city centre, first 5), direct to the subgraph");
    console.log(`${ROUNDS} rounds of ${SECONDS} s per size and concurrency; sizes alternate, order reversed every other round; 2 s warm-up each`);
    for (const { child } of servers) await closedLoop(child.ready.url, request, 2, 2, {});

    for (const concurrency of CONCURRENCIES) {
      const runs = new Map<number, LoadRun[]>(SIZES.map((size) => [size, []]));
      for (let round = 0; round < ROUNDS; round += 1) {
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        const cells: string[] = [];
        for (const { size, engine, child } of order) {
          const run = await closedLoop(child.ready.url, request, concurrency, SECONDS, { subgraph: child.process.pid!, engine: engine.process.pid! });
          runs.get(size)!.push(run);
          cells.push(
            `${size}: ${(run.latencies.length / run.seconds).toFixed(1)} req/s, ${run.errors} errors${run.firstError ? ` (${run.firstError.slice(0, 120)})` : ""}`,
          );
        }
        console.log(`  c=${concurrency} round ${round + 1} (${loadLine()}): ${cells.join("; ")}`);
      }
      const base = summarise(runs.get(SIZES[0])!);
      const rows = SIZES.map((size) => {
        const s = summarise(runs.get(size)!);
        return [
          `${size.toLocaleString("en")} resources`,
          s.requestsPerSecond.toFixed(1),
          s.p50.toFixed(1),
          s.p95.toFixed(1),
          s.p99.toFixed(1),
          `${(s.p50 / base.p50).toFixed(2)}x`,
          `${(s.p95 / base.p95).toFixed(2)}x`,
          cpuCell(s),
          String(s.requests),
          String(s.errors),
        ];
      });
      console.log(`\nconcurrency ${concurrency}`);
      console.log(table(["", "req/s", "p50 ms", "p95 ms", "p99 ms", `p50/${SIZES[0]}`, `p95/${SIZES[0]}`, "CPU ms/req", "requests", "errors"], rows));
      console.log("");
    }
  } finally {
    for (const { engine, child } of servers.reverse()) {
      await stopChild(child);
      await stopChild(engine);
    }
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
