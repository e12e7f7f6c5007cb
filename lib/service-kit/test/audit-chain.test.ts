// The audit chain: concurrent appends never fork it, and the verifier names every tampering done around the service with the raw driver (edit, delete, insert, reorder, cut tail, recomputed chain).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ObjectId } from "mongodb";
import type { Collection, Document } from "mongodb";
import { AuditChain, connectMongo, createLogger, linkHash, readCheckpoints, startHeadExport, GENESIS_HASH } from "../src";
import type { MongoHandle } from "../src";

let mongo: MongoHandle;
let logNumber = 0;
const quiet = createLogger({ name: "test", level: "silent" });

beforeAll(async () => {
  mongo = await connectMongo({ dbName: "audit-chain-test", logger: quiet });
});

afterAll(async () => {
  await mongo.close();
});

/** A fresh log with `count` entries appended one by one; returns the chain and its raw collection. */
async function chainWith(count: number): Promise<{ chain: AuditChain; raw: Collection<Document> }> {
  logNumber += 1;
  const chain = new AuditChain(mongo.connection, `log${logNumber}`);
  await chain.ensureIndexes();
  for (let index = 1; index <= count; index += 1) {
    await chain.append([{ _id: new ObjectId(), at: new Date(Date.UTC(2026, 3, 1, 0, index)), reason: `entry ${index}`, profileIds: [new ObjectId()] }]);
  }
  const db = mongo.connection.db;
  if (db === undefined) throw new Error("not connected");
  return { chain, raw: db.collection(chain.log) };
}

test("twenty concurrent appends take twenty consecutive places, each linked to the one before", async () => {
  const { chain, raw } = await chainWith(0);
  await Promise.all(Array.from({ length: 20 }, (_, index) => chain.append([{ _id: new ObjectId(), at: new Date(), reason: `parallel ${index}` }])));
  const stored = await raw.find({}).sort({ "chain.seq": 1 }).toArray();
  expect(stored.map((entry) => entry.chain.seq)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
  let prev = GENESIS_HASH;
  for (const entry of stored) {
    expect(entry.chain.prev).toBe(prev);
    expect(linkHash(prev, entry)).toBe(entry.chain.hash);
    prev = entry.chain.hash;
  }
  expect(await chain.head()).toEqual(expect.objectContaining({ seq: 20, hash: prev }));
  expect((await chain.verify()).firstBreak).toBeNull();
});

test("an entry edited in the database is named EDITED with its place", async () => {
  const { chain, raw } = await chainWith(5);
  await raw.updateOne({ "chain.seq": 3 }, { $set: { reason: "書き換え" } });
  const report = await chain.verify();
  expect(report.firstBreak).toEqual(expect.objectContaining({ kind: "EDITED", seq: 3 }));
});

test("a deleted entry is named DELETED with the missing place", async () => {
  const { chain, raw } = await chainWith(5);
  await raw.deleteOne({ "chain.seq": 2 });
  expect((await chain.verify()).firstBreak).toEqual(expect.objectContaining({ kind: "DELETED", seq: 2 }));
});

test("an inserted entry is named INSERTED, with or without a forged link", async () => {
  const bare = await chainWith(4);
  const intruder = new ObjectId();
  await bare.raw.insertOne({ _id: intruder, at: new Date(), reason: "偽の記録" });
  expect((await bare.chain.verify()).firstBreak).toEqual(expect.objectContaining({ kind: "INSERTED", entryId: intruder.toHexString() }));

  // A forger who knows the algorithm links a fake entry after entry 2 and renumbers the rest to make room.
  const forged = await chainWith(4);
  const second = await forged.raw.findOne({ "chain.seq": 2 });
  for (const seq of [4, 3]) await forged.raw.updateOne({ "chain.seq": seq }, { $set: { "chain.seq": seq + 1 } });
  const fake: Document = { _id: new ObjectId(), at: new Date(), reason: "偽の記録" };
  await forged.raw.insertOne({ ...fake, chain: { seq: 3, prev: second?.chain.hash, hash: linkHash(second?.chain.hash as string, fake) } });
  expect((await forged.chain.verify()).firstBreak).toEqual(expect.objectContaining({ kind: "INSERTED", entryId: fake._id.toHexString() }));
});

test("two entries swapped in place are named REORDERED", async () => {
  const { chain, raw } = await chainWith(5);
  await raw.updateOne({ "chain.seq": 2 }, { $set: { "chain.seq": -2 } });
  await raw.updateOne({ "chain.seq": 3 }, { $set: { "chain.seq": 2 } });
  await raw.updateOne({ "chain.seq": -2 }, { $set: { "chain.seq": 3 } });
  expect((await chain.verify()).firstBreak).toEqual(expect.objectContaining({ kind: "REORDERED", seq: 2 }));
});

test("a tail cut off, head document included, is named TRUNCATED against the written-out head", async () => {
  const { chain, raw } = await chainWith(4);
  const directory = mkdtempSync(join(tmpdir(), "audit-heads-"));
  try {
    const lines: string[] = [];
    const logger = createLogger({ name: "test", level: "info", destination: { write: (line: string) => void lines.push(line) } });
    const exporter = startHeadExport(chain, { directory, logger });
    await exporter.exportNow();
    await exporter.stop();
    expect(readCheckpoints(directory, chain.log)).toEqual([expect.objectContaining({ seq: 4 })]);
    expect(lines.some((line) => line.includes('"msg":"audit chain head"') && line.includes('"seq":4'))).toBe(true);

    // The attacker removes the last two entries and sets the head document back so the chain looks whole.
    const second = await raw.findOne({ "chain.seq": 2 });
    await raw.deleteMany({ "chain.seq": { $gt: 2 } });
    await mongo.connection.db?.collection("auditChainHeads").updateOne({ _id: chain.log as never }, { $set: { seq: 2, hash: second?.chain.hash } });
    expect((await chain.verify()).firstBreak).toBeNull();
    const report = await chain.verify(readCheckpoints(directory, chain.log));
    expect(report.firstBreak).toEqual(expect.objectContaining({ kind: "TRUNCATED", seq: 3 }));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test("a chain recomputed after an edit is named REWRITTEN against the written-out head", async () => {
  const { chain, raw } = await chainWith(3);
  const checkpoint = await chain.head();
  if (checkpoint === null) throw new Error("no head");
  const entries = await raw.find({}).sort({ "chain.seq": 1 }).toArray();
  let prev = GENESIS_HASH;
  for (const entry of entries) {
    const content = { ...entry, reason: entry.chain.seq === 1 ? "消した理由" : entry.reason };
    const hash = linkHash(prev, content);
    await raw.replaceOne({ _id: entry._id }, { ...content, chain: { seq: entry.chain.seq, prev, hash } });
    prev = hash;
  }
  await mongo.connection.db?.collection("auditChainHeads").updateOne({ _id: chain.log as never }, { $set: { hash: prev } });
  expect((await chain.verify()).firstBreak).toBeNull();
  expect((await chain.verify([checkpoint])).firstBreak).toEqual(expect.objectContaining({ kind: "REWRITTEN", seq: 3 }));
});

test("entries from before the log was chained are sealed once, in the order they were written", async () => {
  logNumber += 1;
  const chain = new AuditChain(mongo.connection, `log${logNumber}`);
  await chain.ensureIndexes();
  const raw = mongo.connection.db?.collection(chain.log);
  await raw?.insertMany([
    { _id: new ObjectId(), at: new Date("2026-04-01T00:02:00Z"), reason: "second" },
    { _id: new ObjectId(), at: new Date("2026-04-01T00:01:00Z"), reason: "first" },
  ]);
  expect(await chain.sealUnchained()).toBe(2);
  expect(await chain.sealUnchained()).toBe(0);
  const sealed = await raw?.find({}).sort({ "chain.seq": 1 }).toArray();
  expect(sealed?.map((entry) => entry.reason)).toEqual(["first", "second"]);
  expect((await chain.verify()).firstBreak).toBeNull();
});
