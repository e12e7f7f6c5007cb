// Benchmark of the embedded engine, run as its own process as in production: indexed vs unindexed lookups and sorted
// pages on 100,000 documents, inserts with the fsynced journal vs in memory, and restart time and memory on
// 100,000 and 200,000 documents of 500 bytes (the two sizes give each document's cost apart from the process's). Prints ratios from one run. BENCH_ONLY=restart (or lookups, sorted, inserts; comma-separated)
// runs only those parts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BSON, MongoClient } from "mongodb";
import type { Collection, Document } from "mongodb";
import { machineLine, throughput } from "./machine";
import { WireClient } from "./wire-client";
import { residentBytes, startEngineProcess, stopChild } from "./processes";

const DOCUMENTS = Number(process.env.BENCH_DOCUMENTS ?? 100_000);
const IN_FLIGHT = 8;
const PARTS = ["lookups", "sorted", "restart", "inserts"] as const;
const ONLY = process.env.BENCH_ONLY?.split(",").map((part) => part.trim());
for (const part of ONLY ?? [])
  if (!(PARTS as readonly string[]).includes(part)) throw new Error(`BENCH_ONLY: unknown part ${part} (parts: ${PARTS.join(", ")})`);
const runs = (part: (typeof PARTS)[number]): boolean => ONLY === undefined || ONLY.includes(part);

/** Inserts documents `make(first)` … `make(first + count - 1)` in batches of 5,000; returns their BSON size. */
async function insertGenerated(c: Collection, first: number, count: number, make: (n: number) => Document): Promise<number> {
  let bytes = 0;
  for (let start = first; start < first + count; start += 5_000) {
    const batch = Array.from({ length: Math.min(5_000, first + count - start) }, (_, i) => make(start + i));
    await c.insertMany(batch);
    for (const doc of batch) bytes += BSON.calculateObjectSize(doc);
  }
  return bytes;
}

interface LookupRates {
  driverIndexed: number;
  driverScan: number;
  wireIndexed: number;
  wireScan: number;
}

async function lookups(): Promise<LookupRates> {
  const engine = await startEngineProcess(["--in-memory"]);
  const client = await MongoClient.connect(engine.connectionString("bench"));
  const c = client.db("bench").collection("resources");
  await insertGenerated(c, 0, DOCUMENTS, (n) => ({ code: `R${n}`, sameCodeUnindexed: `R${n}`, name: `事業所${n}`, district: `d${n % 8}` }));
  await c.createIndex({ code: 1 });
  const pick = (i: number): string => `R${(i * 7_919) % DOCUMENTS}`;
  await throughput(500, IN_FLIGHT, (i) => c.findOne({ code: pick(i) }));
  const driverIndexed = await throughput(5_000, IN_FLIGHT, (i) => c.findOne({ code: pick(i) }));
  const driverScan = await throughput(100, IN_FLIGHT, (i) => c.findOne({ sameCodeUnindexed: pick(i) }));
  await client.close();

  const wires = await Promise.all(Array.from({ length: IN_FLIGHT }, () => WireClient.open(engine.ready, engine.credentials)));
  const find = (field: string, i: number): Promise<unknown> =>
    wires[i % IN_FLIGHT].command({ find: "resources", filter: { [field]: pick(i) }, limit: 1, singleBatch: true, $db: "bench" });
  await throughput(1_000, IN_FLIGHT, (i) => find("code", i));
  const wireIndexed = await throughput(20_000, IN_FLIGHT, (i) => find("code", i));
  const wireScan = await throughput(100, IN_FLIGHT, (i) => find("sameCodeUnindexed", i));
  wires.forEach((wire) => wire.close());
  await stopChild(engine);
  return { driverIndexed, driverScan, wireIndexed, wireScan };
}

async function inserts(args: string[]): Promise<number> {
  const engine = await startEngineProcess(args);
  const client = await MongoClient.connect(engine.connectionString("bench"));
  const c = client.db("bench").collection("inserts");
  const insert = (i: number): Promise<unknown> => c.insertOne({ i, name: `訪問看護ステーション${i}`, at: new Date() });
  await throughput(1_000, IN_FLIGHT, insert);
  const rate = await throughput(5_000, IN_FLIGHT, insert);
  await client.close();
  await stopChild(engine);
  return rate;
}

/** Milliseconds per call of `task`, averaged over `runs` after one warm-up. */
async function millisecondsPer(runs: number, task: () => Promise<unknown>): Promise<number> {
  await task();
  const started = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await task();
  return Number(process.hrtime.bigint() - started) / 1e6 / runs;
}

/** A page of 20 at offset 50,000 of the collection sorted by a field: in-memory sort, then walking its index. */
async function sortedPage(): Promise<{ unindexedMs: number; indexedMs: number }> {
  const engine = await startEngineProcess(["--in-memory"]);
  const client = await MongoClient.connect(engine.connectionString("bench"));
  const c = client.db("bench").collection("sorted");
  await insertGenerated(c, 0, DOCUMENTS, (n) => ({ rank: (n * 7_919) % DOCUMENTS, name: `利用者${n}` }));
  const page = (): Promise<unknown> =>
    c
      .find({})
      .sort({ rank: 1 })
      .skip(DOCUMENTS / 2)
      .limit(20)
      .toArray();
  const unindexedMs = await millisecondsPer(5, page);
  await c.createIndex({ rank: 1 });
  const indexedMs = await millisecondsPer(50, page);
  await client.close();
  await stopChild(engine);
  return { unindexedMs, indexedMs };
}

/** Start-up time of an engine on a data directory and its resident memory a second later. */
async function timedStart(dataDir: string): Promise<{ ms: number; rss: number }> {
  const started = process.hrtime.bigint();
  const engine = await startEngineProcess(["--data-dir", dataDir]);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const rss = residentBytes(engine.process.pid!);
  await stopChild(engine);
  return { ms, rss };
}

/** Adds `count` documents of about 500 bytes of BSON (numbered from `first`) to the data directory; returns their BSON size. */
async function addRecords(dir: string, first: number, count: number): Promise<number> {
  const engine = await startEngineProcess(["--data-dir", dir]);
  const client = await MongoClient.connect(engine.connectionString("bench"));
  const c = client.db("bench").collection("records");
  await c.createIndex({ ward: 1 });
  const filler = "記".repeat(140); // 420 bytes of UTF-8; with the other fields each document is about 500 bytes of BSON
  const dataBytes = await insertGenerated(c, first, count, (n) => ({ seq: n, ward: `w${n % 40}`, at: new Date(1_700_000_000_000 + n), note: filler }));
  await client.close();
  await stopChild(engine);
  return dataBytes;
}

interface Restarts {
  empty: { ms: number; rss: number };
  /** After DOCUMENTS documents, then after twice as many. */
  full: { ms: number; rss: number; dataBytes: number };
  double: { ms: number; rss: number; dataBytes: number };
}

/**
 * Start-up time and resident memory of an engine on an empty data directory, on DOCUMENTS documents of 500 bytes and on
 * twice as many: the second size separates what each document costs from what the process costs whatever it holds.
 */
async function restarts(dir: string): Promise<Restarts> {
  const emptyDir = mkdtempSync(join(tmpdir(), "tsunagu-bench-empty-"));
  try {
    const empty = await timedStart(emptyDir);
    const firstBytes = await addRecords(dir, 0, DOCUMENTS);
    const full = { ...(await timedStart(dir)), dataBytes: firstBytes };
    const doubleBytes = firstBytes + (await addRecords(dir, DOCUMENTS, DOCUMENTS));
    const double = { ...(await timedStart(dir)), dataBytes: doubleBytes };
    return { empty, full, double };
  } finally {
    rmSync(emptyDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(machineLine());
  console.log(`engine in its own process; ${DOCUMENTS} documents; ${IN_FLIGHT} requests in flight`);
  if (runs("lookups")) {
    const rates = await lookups();
    const row = (label: string, indexed: number, scan: number): void => {
      const ratio = indexed / scan;
      console.log(
        `${label.padEnd(22)} indexed ${indexed.toFixed(0).padStart(7)}/s   scan ${scan.toFixed(1).padStart(6)}/s   ratio ${ratio.toFixed(1).padStart(6)}x ${ratio >= 50 ? "(meets 50x)" : "(below 50x)"}`,
      );
    };
    console.log("equality lookup (find one by code):");
    row("  engine (raw OP_MSG)", rates.wireIndexed, rates.wireScan);
    row("  via mongodb driver", rates.driverIndexed, rates.driverScan);
  }
  if (runs("sorted")) {
    const sorted = await sortedPage();
    const sortRatio = sorted.unindexedMs / sorted.indexedMs;
    console.log(
      `sorted page (skip ${DOCUMENTS / 2}, limit 20): in-memory sort ${sorted.unindexedMs.toFixed(1)} ms   index walk ${sorted.indexedMs.toFixed(2)} ms   ratio ${sortRatio.toFixed(1)}x ${sortRatio >= 50 ? "(meets 50x)" : "(below 50x)"}`,
    );
  }
  if (runs("restart")) {
    const restartDir = mkdtempSync(join(tmpdir(), "tsunagu-bench-restart-"));
    try {
      const { empty, full, double } = await restarts(restartDir);
      const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
      for (const [count, size] of [
        [DOCUMENTS, full],
        [2 * DOCUMENTS, double],
      ] as const) {
        console.log(
          `restart on ${count} documents (~${mb(size.dataBytes)} of BSON): ${(size.ms / 1000).toFixed(2)} s ${size.ms < 5_000 ? "(meets < 5 s)" : "(over 5 s)"}; ` +
            `resident memory ${mb(size.rss)}, ${(size.rss / size.dataBytes).toFixed(2)}x the data ${size.rss < 2 * size.dataBytes ? "(meets < 2x)" : "(over 2x)"}`,
        );
      }
      const perByte = (double.rss - full.rss) / (double.dataBytes - full.dataBytes);
      console.log(
        `empty data directory: ${(empty.ms / 1000).toFixed(2)} s, ${mb(empty.rss)}; each further document costs ${perByte.toFixed(2)}x its BSON size in memory ` +
          `${perByte < 2 ? "(meets < 2x)" : "(over 2x)"}; what the process holds whatever the data (Node, code, V8's young generation): ${mb(full.rss - perByte * full.dataBytes)}`,
      );
    } finally {
      rmSync(restartDir, { recursive: true, force: true });
    }
  }
  if (runs("inserts")) {
    const dir = mkdtempSync(join(tmpdir(), "tsunagu-bench-"));
    try {
      const memory = await inserts(["--in-memory"]);
      const journaled = await inserts(["--data-dir", dir]);
      console.log(`inserts, in memory:                 ${memory.toFixed(0).padStart(8)} docs/s`);
      console.log(`inserts, fsynced journal:           ${journaled.toFixed(0).padStart(8)} docs/s`);
      console.log(`ratio journaled / in memory:        ${(journaled / memory).toFixed(2).padStart(8)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
