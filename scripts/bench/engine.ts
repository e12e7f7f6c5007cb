// Benchmark of the embedded engine, run as its own process as in production: indexed vs unindexed lookups on
// 100,000 documents, and inserts with the fsynced journal vs in memory. Prints ratios from one run.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import { connectionString, generateCredentials, type EngineCredentials } from "../../lib/embedded-mongo/src/auth";
import { machineLine, throughput } from "./machine";
import { WireClient } from "./wire-client";

const DOCUMENTS = Number(process.env.BENCH_DOCUMENTS ?? 100_000);
const IN_FLIGHT = 8;

interface EngineProcess {
  uri: string;
  credentials: EngineCredentials;
  connectionString(db: string): string;
  child: ChildProcess;
}

async function startEngineProcess(args: string[]): Promise<EngineProcess> {
  const cli = join(__dirname, "..", "..", "lib", "embedded-mongo", "src", "cli.ts");
  const credentials = generateCredentials();
  const child = spawn(process.execPath, ["--import", "tsx", cli, "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, EMBEDDED_MONGO_PASSWORD: credentials.password },
  });
  const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
  const uri = chunk.toString().trim().split(" ")[0] as string;
  const { hostname, port } = new URL(uri);
  return { uri, credentials, connectionString: (db) => connectionString(hostname, Number(port), credentials, db), child };
}

async function stopEngineProcess(engine: EngineProcess): Promise<void> {
  engine.child.kill("SIGTERM");
  await once(engine.child, "exit");
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
  for (let start = 0; start < DOCUMENTS; start += 5_000) {
    await c.insertMany(Array.from({ length: Math.min(5_000, DOCUMENTS - start) }, (_, i) => {
      const n = start + i;
      return { code: `R${n}`, sameCodeUnindexed: `R${n}`, name: `事業所${n}`, district: `d${n % 8}` };
    }));
  }
  await c.createIndex({ code: 1 });
  const pick = (i: number): string => `R${(i * 7_919) % DOCUMENTS}`;
  await throughput(500, IN_FLIGHT, (i) => c.findOne({ code: pick(i) }));
  const driverIndexed = await throughput(5_000, IN_FLIGHT, (i) => c.findOne({ code: pick(i) }));
  const driverScan = await throughput(100, IN_FLIGHT, (i) => c.findOne({ sameCodeUnindexed: pick(i) }));
  await client.close();

  const wires = await Promise.all(Array.from({ length: IN_FLIGHT }, () => WireClient.open(engine.uri, engine.credentials)));
  const find = (field: string, i: number): Promise<unknown> => wires[i % IN_FLIGHT]!.command({ find: "resources", filter: { [field]: pick(i) }, limit: 1, singleBatch: true, $db: "bench" });
  await throughput(1_000, IN_FLIGHT, (i) => find("code", i));
  const wireIndexed = await throughput(20_000, IN_FLIGHT, (i) => find("code", i));
  const wireScan = await throughput(100, IN_FLIGHT, (i) => find("sameCodeUnindexed", i));
  wires.forEach((wire) => wire.close());
  await stopEngineProcess(engine);
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
  await stopEngineProcess(engine);
  return rate;
}

async function main(): Promise<void> {
  console.log(machineLine());
  console.log(`engine in its own process; ${DOCUMENTS} documents; ${IN_FLIGHT} requests in flight`);
  const rates = await lookups();
  const row = (label: string, indexed: number, scan: number): void => {
    const ratio = indexed / scan;
    console.log(`${label.padEnd(22)} indexed ${indexed.toFixed(0).padStart(7)}/s   scan ${scan.toFixed(1).padStart(6)}/s   ratio ${ratio.toFixed(1).padStart(6)}x ${ratio >= 50 ? "(meets 50x)" : "(below 50x)"}`);
  };
  console.log("equality lookup (find one by code):");
  row("  engine (raw OP_MSG)", rates.wireIndexed, rates.wireScan);
  row("  via mongodb driver", rates.driverIndexed, rates.driverScan);
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

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
