// Durability: data survives restarts and compaction, and a SIGKILL at any moment loses no acknowledged write.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Binary, Decimal128, Double, Long, MongoClient } from "mongodb";
import { startEmbeddedMongo } from "../src/index";

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tsunagu-engine-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function withEngine<T>(dataDir: string, body: (client: MongoClient) => Promise<T>, compactBytes?: number): Promise<T> {
  const engine = await startEmbeddedMongo({ dataDir, compactBytes, log: () => undefined });
  const client = await MongoClient.connect(engine.connectionString("durable"));
  try {
    return await body(client);
  } finally {
    await client.close();
    await engine.stop();
  }
}

it("keeps documents, updates, deletes and indexes across a restart", async () => {
  const dir = freshDir();
  await withEngine(dir, async (client) => {
    const c = client.db("durable").collection("resources");
    await c.createIndex({ code: 1 }, { unique: true });
    await c.insertMany([
      { code: "a", v: 1 },
      { code: "b", v: 2 },
      { code: "c", v: 3 },
    ]);
    await c.updateOne({ code: "a" }, { $set: { v: 10 } });
    await c.deleteOne({ code: "b" });
  });
  await withEngine(dir, async (client) => {
    const c = client.db("durable").collection("resources");
    expect(
      await c
        .find({}, { projection: { _id: 0 } })
        .sort({ code: 1 })
        .toArray(),
    ).toEqual([
      { code: "a", v: 10 },
      { code: "c", v: 3 },
    ]);
    await expect(c.insertOne({ code: "a" })).rejects.toMatchObject({ code: 11000 });
  });
});

it("rebuilds multikey, compound and unique indexes at a restart, from the journal and from a snapshot", async () => {
  const dir = freshDir();
  const expectIndexesServe = async (client: MongoClient): Promise<void> => {
    const c = client.db("durable").collection("indexed");
    const byTag = await c.find({ tags: "even" }, { projection: { _id: 0, n: 1 } }).toArray();
    expect(byTag.map((d) => d.n)).toEqual([0, 4, 6, 8, 10, 14, 16, 18]);
    const plan = await c.find({ tags: "even" }).explain("executionStats");
    expect(plan.queryPlanner.winningPlan.inputStage).toMatchObject({ stage: "IXSCAN", indexName: "tags_1" });
    expect(plan.executionStats.totalDocsExamined).toBe(8);
    expect((await c.find({ ward: "w1", n: { $lt: 10 } }).toArray()).map((d) => d.n)).toEqual([1, 3, 5, 7, 9]);
    expect(await c.countDocuments({ tags: "moved" })).toBe(1);
    await expect(c.insertOne({ code: "c5" })).rejects.toMatchObject({ code: 11000 });
  };
  await withEngine(dir, async (client) => {
    const c = client.db("durable").collection("indexed");
    await c.createIndex({ code: 1 }, { unique: true });
    await c.createIndex({ tags: 1 });
    await c.insertMany(Array.from({ length: 20 }, (_, n) => ({ n, code: `c${n}`, tags: [n % 2 === 0 ? "even" : "odd"], ward: `w${n % 2}` })));
    await c.createIndex({ ward: 1, n: 1 });
    await c.updateOne({ n: 2 }, { $set: { tags: ["moved"] } });
    await c.deleteOne({ n: 12 });
  });
  await withEngine(dir, expectIndexesServe);
  const engine = await startEmbeddedMongo({ dataDir: dir, log: () => undefined });
  await engine.compact();
  await engine.stop();
  await withEngine(dir, expectIndexesServe);
});

it("keeps BSON number types across the journal and a snapshot", async () => {
  const dir = freshDir();
  const typed = { _id: 1, l: Long.fromNumber(5), d: new Double(2), m: Decimal128.fromString("1.10"), i: 3 };
  await withEngine(dir, async (client) => {
    await client
      .db("durable")
      .collection("typed")
      .insertOne(typed as never);
  });
  const reread = (client: MongoClient) => client.db("durable").collection("typed").findOne({}, { promoteValues: false, promoteLongs: false });
  const afterJournal = await withEngine(dir, reread);
  expect(afterJournal!.l).toEqual(Long.fromNumber(5));
  expect(afterJournal!.d).toEqual(new Double(2));
  expect(afterJournal!.m.toString()).toBe("1.10");
  const engine = await startEmbeddedMongo({ dataDir: dir, log: () => undefined });
  await engine.compact();
  await engine.stop();
  expect(await withEngine(dir, reread)).toEqual(afterJournal);
});

it("keeps views, collection collations and collated unique indexes across the journal and a snapshot", async () => {
  const dir = freshDir();
  const strength2 = { locale: "en", strength: 2 };
  await withEngine(dir, async (client) => {
    const db = client.db("durable");
    await db.createCollection("people", { collation: strength2 });
    await db.collection("people").createIndex({ email: 1 }, { unique: true });
    await db.collection("people").insertOne({ email: "Ann@X", active: true });
    await db.createCollection("activePeople", { viewOn: "people", pipeline: [{ $match: { active: true } }] });
  });
  const check = async (client: MongoClient): Promise<void> => {
    const db = client.db("durable");
    await expect(db.collection("people").insertOne({ email: "ann@x" })).rejects.toMatchObject({ code: 11000 });
    expect(await db.collection("people").countDocuments({ email: "ANN@X" })).toBe(1);
    expect(await db.collection("activePeople").countDocuments()).toBe(1);
    await expect(db.collection("activePeople").insertOne({ email: "b" })).rejects.toMatchObject({ code: 166 });
  };
  await withEngine(dir, check);
  const engine = await startEmbeddedMongo({ dataDir: dir, log: () => undefined });
  await engine.compact();
  await engine.stop();
  await withEngine(dir, check);
});

it("compacts the journal into a snapshot and recovers from snapshot plus journal", async () => {
  const dir = freshDir();
  await withEngine(
    dir,
    async (client) => {
      const c = client.db("durable").collection("many");
      for (let batch = 0; batch < 10; batch++) await c.insertMany(Array.from({ length: 100 }, (_, i) => ({ n: batch * 100 + i, text: "x".repeat(200) })));
      await c.updateMany({ n: { $lt: 10 } }, { $set: { early: true } });
    },
    32 * 1024,
  );
  expect(readdirSync(dir)).toContain("snapshot.bson");
  await withEngine(dir, async (client) => {
    const c = client.db("durable").collection("many");
    expect(await c.countDocuments()).toBe(1000);
    expect(await c.countDocuments({ early: true })).toBe(10);
  });
});

it("recovers records and snapshot documents larger than, and straddling, the megabyte recovery reads at a time", async () => {
  const dir = freshDir();
  const big = "大".repeat(400_000); // 1.2 MB of UTF-8: one record bigger than a read
  const bytes = Binary.createFromBase64(Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251)).toString("base64"));
  const check = async (client: MongoClient): Promise<void> => {
    const c = client.db("durable").collection("large");
    expect(await c.countDocuments()).toBe(3002);
    expect((await c.findOne({ n: -1 }))!.text).toBe(big);
    expect((await c.findOne({ n: -2 }))!.text).toBe(big + big);
    const sample = await c.find({ n: { $in: [0, 1499, 2999] } }, { sort: { n: 1 } }).toArray();
    expect(sample.map((doc) => [doc.n, doc.note, (doc.bytes as Binary).toString("base64")])).toEqual(
      [0, 1499, 2999].map((n) => [n, `${n}`.padStart(900, "・"), bytes.toString("base64")]),
    );
  };
  await withEngine(dir, async (client) => {
    const c = client.db("durable").collection("large");
    await c.insertOne({ n: -1, text: big });
    // Small records whose frames cross the boundaries between reads.
    for (let start = 0; start < 3000; start += 100)
      await c.insertMany(Array.from({ length: 100 }, (_, i) => ({ n: start + i, note: `${start + i}`.padStart(900, "・"), bytes })));
    await c.insertOne({ n: -2, text: big + big });
  });
  await withEngine(dir, check);
  const engine = await startEmbeddedMongo({ dataDir: dir, log: () => undefined });
  await engine.compact();
  await engine.stop();
  await withEngine(dir, check);
});

it("refuses to start on a snapshot damaged in the middle", async () => {
  const dir = freshDir();
  await withEngine(dir, async (client) => {
    await client
      .db("durable")
      .collection("s")
      .insertMany(Array.from({ length: 50 }, (_, n) => ({ n, text: "x".repeat(100) })));
  });
  const engine = await startEmbeddedMongo({ dataDir: dir, log: () => undefined });
  await engine.compact();
  await engine.stop();
  const path = join(dir, "snapshot.bson");
  const data = readFileSync(path);
  data[Math.floor(data.length / 2)] ^= 0xff;
  writeFileSync(path, data);
  await expect(startEmbeddedMongo({ dataDir: dir, log: () => undefined })).rejects.toThrow(/snapshot .* is incomplete or corrupt/);
});

it("discards a torn last record and keeps everything before it", async () => {
  const dir = freshDir();
  await withEngine(dir, async (client) => {
    await client
      .db("durable")
      .collection("t")
      .insertMany([{ n: 1 }, { n: 2 }]);
  });
  const journal = readdirSync(dir).find((name) => name.startsWith("journal-"))!;
  appendFileSync(join(dir, journal), Buffer.from([200, 0, 0, 0, 1, 2, 3]));
  await withEngine(dir, async (client) => {
    expect(await client.db("durable").collection("t").countDocuments()).toBe(2);
    await client.db("durable").collection("t").insertOne({ n: 3 });
  });
  await withEngine(dir, async (client) => {
    expect(await client.db("durable").collection("t").countDocuments()).toBe(3);
  });
});

it("recovers every acknowledged write after the writing process is killed with SIGKILL", async () => {
  const dir = freshDir();
  const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "fixtures", "crash-writer.ts"), dir], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let errors = "";
  child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  const acked = await new Promise<number>((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`writer exited early (${code}): ${errors}`)));
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const lines = output.trim().split("\n");
      const last = Number(lines.at(-1));
      if (last >= 400) {
        child.removeAllListeners("exit");
        child.kill("SIGKILL");
        resolve(last);
      }
    });
  });
  await new Promise((resolve) => child.once("exit", resolve));
  const printed = output
    .trim()
    .split("\n")
    .filter((line) => /^\d+$/.test(line))
    .map(Number);
  const highest = Math.max(...printed);
  expect(highest).toBeGreaterThanOrEqual(acked);
  await withEngine(dir, async (client) => {
    const writes = client.db("crash").collection("writes");
    const stored = await writes
      .find({}, { projection: { _id: 0, seq: 1, payload: 1 } })
      .sort({ seq: 1 })
      .toArray();
    const seqs = new Set(stored.map((doc) => doc.seq as number));
    for (let seq = 0; seq <= highest; seq++) expect(seqs.has(seq)).toBe(true);
    // Nothing half-written: every stored document is whole, and at most the in-flight write is extra.
    expect(stored.every((doc) => doc.payload === "記録".repeat(64))).toBe(true);
    expect(stored.length).toBeLessThanOrEqual(highest + 2);
    const counter = await client.db("crash").collection("counter").findOne({});
    expect(counter!.seq).toBeGreaterThanOrEqual(highest);
  });
}, 60_000);
