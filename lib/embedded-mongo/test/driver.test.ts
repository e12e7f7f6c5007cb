// The engine driven through the official mongodb driver: CRUD, errors, cursors, indexes, aggregation, transactions.
import { MongoServerError, MongoBulkWriteError, ObjectId } from "mongodb";
import { databasePerTest, startHarness, stopHarness } from "./helpers";

const engine = databasePerTest("driver");

describe("reads and writes", () => {
  it("inserts, finds with filter, sort, projection, skip and limit", async () => {
    const people = engine.db.collection("people");
    await people.insertMany([
      { name: "佐藤", age: 70, tags: ["a"] },
      { name: "鈴木", age: 82, tags: ["b", "c"] },
      { name: "高橋", age: 65 },
      { name: "田中", age: 91, tags: ["c"] },
    ]);
    const found = await people
      .find({ age: { $gte: 70 } }, { projection: { _id: 0, name: 1 } })
      .sort({ age: -1 })
      .skip(1)
      .limit(2)
      .toArray();
    expect(found).toEqual([{ name: "鈴木" }, { name: "佐藤" }]);
    expect(await people.countDocuments({ tags: "c" })).toBe(2);
    expect(await people.estimatedDocumentCount()).toBe(4);
    expect(await people.distinct("tags")).toEqual(["a", "b", "c"]);
    const first = await people.findOne({ name: "高橋" });
    expect(Object.keys(first!)[0]).toBe("_id");
    expect(first!._id).toBeInstanceOf(ObjectId);
  });

  it("updates with operators, upserts with $setOnInsert, arrayFilters and pipelines", async () => {
    const beds = engine.db.collection("beds");
    await beds.insertOne({
      _id: "short-stay-1" as never,
      free: 2,
      rooms: [
        { no: 1, free: true },
        { no: 2, free: false },
      ],
    });
    const inc = await beds.updateOne(
      { _id: "short-stay-1" as never },
      { $inc: { free: -1 }, $set: { "rooms.$[r].free": true } },
      { arrayFilters: [{ "r.no": 2 }] },
    );
    expect(inc).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await beds.findOne({})).toEqual({
      _id: "short-stay-1",
      free: 1,
      rooms: [
        { no: 1, free: true },
        { no: 2, free: true },
      ],
    });

    const noop = await beds.updateOne({ _id: "short-stay-1" as never }, { $set: { free: 1 } });
    expect(noop).toMatchObject({ matchedCount: 1, modifiedCount: 0 });

    const up = await beds.updateOne({ code: "X1" }, { $set: { free: 5 }, $setOnInsert: { createdBy: "import" } }, { upsert: true });
    expect(up.upsertedCount).toBe(1);
    expect(await beds.findOne({ code: "X1" }, { projection: { _id: 0 } })).toEqual({ code: "X1", free: 5, createdBy: "import" });
    await beds.updateOne({ code: "X1" }, { $set: { free: 6 }, $setOnInsert: { createdBy: "other" } }, { upsert: true });
    expect(await beds.findOne({ code: "X1" }, { projection: { _id: 0 } })).toEqual({ code: "X1", free: 6, createdBy: "import" });

    await beds.updateMany({}, [{ $set: { total: { $add: ["$free", 10] } } }]);
    expect((await beds.find({}, { projection: { _id: 0, total: 1 } }).toArray()).map((d) => d.total)).toEqual([11, 16]);
  });

  it("refuses to change _id with ImmutableField (66)", async () => {
    const c = engine.db.collection("immutable");
    await c.insertOne({ _id: 1 as never, v: 1 });
    await expect(c.updateOne({ _id: 1 as never }, { $set: { _id: 2 } })).rejects.toMatchObject({
      code: 66,
      message: expect.stringContaining("immutable field '_id'"),
    });
  });

  it("findOneAndUpdate returns the document before or after, and findOneAndDelete removes it", async () => {
    const c = engine.db.collection("counters");
    await c.insertOne({ _id: "seq" as never, n: 1 });
    const before = await c.findOneAndUpdate({ _id: "seq" as never }, { $inc: { n: 1 } }, { returnDocument: "before" });
    expect(before).toEqual({ _id: "seq", n: 1 });
    const after = await c.findOneAndUpdate({ _id: "seq" as never }, { $inc: { n: 1 } }, { returnDocument: "after", projection: { n: 1, _id: 0 } });
    expect(after).toEqual({ n: 3 });
    const created = await c.findOneAndUpdate({ _id: "new" as never }, { $set: { n: 0 } }, { upsert: true, returnDocument: "after" });
    expect(created).toEqual({ _id: "new", n: 0 });
    expect(await c.findOneAndDelete({ _id: "seq" as never })).toEqual({ _id: "seq", n: 3 });
    expect(await c.countDocuments()).toBe(1);
  });

  it("runs ordered and unordered bulkWrite with MongoDB's result and error shapes", async () => {
    const c = engine.db.collection("bulk");
    await c.createIndex({ code: 1 }, { unique: true });
    const result = await c.bulkWrite([
      { insertOne: { document: { code: "a", n: 1 } } },
      { insertOne: { document: { code: "b", n: 2 } } },
      { updateOne: { filter: { code: "a" }, update: { $set: { n: 10 } } } },
      { deleteOne: { filter: { code: "b" } } },
      { replaceOne: { filter: { code: "z" }, replacement: { code: "z", n: 26 }, upsert: true } },
    ]);
    expect(result).toMatchObject({ insertedCount: 2, matchedCount: 1, modifiedCount: 1, deletedCount: 1, upsertedCount: 1 });

    const ordered = await c
      .bulkWrite([{ insertOne: { document: { code: "c" } } }, { insertOne: { document: { code: "a" } } }, { insertOne: { document: { code: "d" } } }])
      .catch((e: unknown) => e);
    expect(ordered).toBeInstanceOf(MongoBulkWriteError);
    expect((ordered as MongoBulkWriteError).code).toBe(11000);
    expect((ordered as MongoBulkWriteError).writeErrors).toHaveLength(1);
    expect(await c.countDocuments({ code: "d" })).toBe(0);

    const unordered = await c
      .bulkWrite([{ insertOne: { document: { code: "a" } } }, { insertOne: { document: { code: "e" } } }], { ordered: false })
      .catch((e: unknown) => e);
    expect((unordered as MongoBulkWriteError).writeErrors).toHaveLength(1);
    expect(await c.countDocuments({ code: "e" })).toBe(1);
  });
});

describe("errors", () => {
  it("reports duplicate keys with code 11000, keyPattern and keyValue, on insert, update and upsert", async () => {
    const c = engine.db.collection("unique");
    await c.createIndex({ officeNumber: 1 }, { unique: true });
    await c.insertMany([{ officeNumber: "1770100011" }, { officeNumber: "1770100029" }]);
    const insertError = await c.insertOne({ officeNumber: "1770100011" }).catch((e: unknown) => e);
    expect(insertError).toBeInstanceOf(MongoServerError);
    expect(insertError).toMatchObject({ code: 11000, keyPattern: { officeNumber: 1 }, keyValue: { officeNumber: "1770100011" } });
    expect((insertError as Error).message).toContain("E11000 duplicate key error collection: driver");
    await expect(c.updateOne({ officeNumber: "1770100029" }, { $set: { officeNumber: "1770100011" } })).rejects.toMatchObject({ code: 11000 });
    await expect(c.updateOne({ other: 1 }, { $set: { officeNumber: "1770100011" } }, { upsert: true })).rejects.toMatchObject({ code: 11000 });
    expect(await c.countDocuments()).toBe(2);
  });

  it("refuses a unique index over existing duplicates and leaves the collection unchanged", async () => {
    const c = engine.db.collection("dups");
    await c.insertMany([{ k: 1 }, { k: 1 }]);
    await expect(c.createIndex({ k: 1 }, { unique: true })).rejects.toMatchObject({ code: 11000 });
    expect((await c.indexes()).map((index) => index.name)).toEqual(["_id_"]);
  });

  it("names an unknown command with CommandNotFound (59)", async () => {
    await expect(engine.db.command({ frobnicate: 1 })).rejects.toMatchObject({
      code: 59,
      codeName: "CommandNotFound",
      message: "no such command: 'frobnicate'",
    });
  });

  it("names unknown query, update and pipeline operators", async () => {
    const c = engine.db.collection("ops");
    await c.insertOne({ a: 1 });
    await expect(c.find({ a: { $frob: 1 } }).toArray()).rejects.toMatchObject({ code: 2, message: expect.stringContaining("$frob") });
    await expect(c.updateOne({}, { $frob: { a: 1 } })).rejects.toMatchObject({ code: 9, message: expect.stringContaining("$frob") });
    await expect(c.aggregate([{ $frob: {} }]).toArray()).rejects.toMatchObject({ code: 40324, message: expect.stringContaining("$frob") });
  });

  it("answers $text without a text index with IndexNotFound (27)", async () => {
    await engine.db.collection("text").insertOne({ body: "訪問看護" });
    await expect(
      engine.db
        .collection("text")
        .find({ $text: { $search: "訪問" } })
        .toArray(),
    ).rejects.toMatchObject({ code: 27 });
  });

  it("refuses an index type it does not support, saying so", async () => {
    await expect(engine.db.collection("text").createIndex({ body: "text" })).rejects.toMatchObject({
      code: 67,
      message: expect.stringContaining("not supported by the embedded engine"),
    });
  });
});

describe("cursors", () => {
  it("returns 10,000 documents in batches through getMore", async () => {
    const c = engine.db.collection("many");
    await c.insertMany(Array.from({ length: 10_000 }, (_, i) => ({ i, payload: "x".repeat(50) })));
    engine.harness.commands.length = 0;
    const seen: number[] = [];
    for await (const doc of c.find({}).sort({ i: 1 }).batchSize(1000)) seen.push(doc.i);
    expect(seen).toHaveLength(10_000);
    expect(seen[9_999]).toBe(9_999);
    expect(engine.harness.commands.filter((e) => e.commandName === "getMore")).toHaveLength(9);
  });

  it("expires idle cursors and then answers CursorNotFound (43)", async () => {
    // An engine of its own with a short idle timeout, so that no other test's cursor can expire while the machine is busy.
    const impatient = await startHarness({ cursorTimeoutMs: 300 });
    try {
      const c = impatient.client.db("idle").collection("idle");
      await c.insertMany(Array.from({ length: 50 }, (_, i) => ({ i })));
      const cursor = c.find({}).batchSize(10);
      await cursor.next();
      await new Promise((resolve) => setTimeout(resolve, 700));
      await expect(cursor.toArray()).rejects.toMatchObject({ code: 43, codeName: "CursorNotFound" });
    } finally {
      await stopHarness(impatient);
    }
  });

  it("kills cursors on request", async () => {
    const c = engine.db.collection("kill");
    await c.insertMany(Array.from({ length: 30 }, (_, i) => ({ i })));
    const cursor = c.find({}).batchSize(5);
    await cursor.next();
    await cursor.close();
    expect(engine.harness.commands.some((e) => e.commandName === "killCursors")).toBe(true);
  });
});

describe("indexes", () => {
  it("creates, lists and drops indexes, including compound and unique ones", async () => {
    const c = engine.db.collection("idx");
    await c.createIndexes([
      { key: { district: 1, category: 1 }, name: "district_category" },
      { key: { code: 1 }, unique: true, sparse: true },
    ]);
    expect((await c.indexes()).map((index) => [index.name, index.unique ?? false])).toEqual([
      ["_id_", true],
      ["district_category", false],
      ["code_1", true],
    ]);
    await c.insertMany([{ district: "北部" }, { district: "南部" }]);
    await c.dropIndex("district_category");
    expect((await c.indexes()).map((index) => index.name)).toEqual(["_id_", "code_1"]);
    await expect(c.dropIndex("nope")).rejects.toMatchObject({ code: 27 });
    await c.dropIndexes();
    expect((await c.indexes()).map((index) => index.name)).toEqual(["_id_"]);
  });

  it("uses single-field and compound indexes for equality and range lookups instead of scanning", async () => {
    const c = engine.db.collection("plan");
    await c.insertMany(Array.from({ length: 2_000 }, (_, i) => ({ i, district: `d${i % 10}`, category: `c${i % 7}` })));
    await c.createIndex({ i: 1 });
    await c.createIndex({ district: 1, category: 1 });
    const equality = await c.find({ i: 1234 }).explain("executionStats");
    expect(equality.queryPlanner.winningPlan.inputStage).toMatchObject({ stage: "IXSCAN", indexName: "i_1" });
    expect(equality.executionStats.totalDocsExamined).toBe(1);
    const range = await c.find({ i: { $gte: 100, $lt: 110 } }).explain("executionStats");
    expect(range.executionStats).toMatchObject({ nReturned: 10 });
    expect(range.executionStats.totalDocsExamined).toBeLessThanOrEqual(11);
    const compound = await c.find({ district: "d3", category: { $in: ["c1", "c2"] } }).explain("executionStats");
    expect(compound.queryPlanner.winningPlan.inputStage.indexName).toBe("district_1_category_1");
    expect(compound.executionStats.totalDocsExamined).toBe(compound.executionStats.nReturned);
    const scan = await c.find({ category: "c1" }).explain("executionStats");
    expect(scan.queryPlanner.winningPlan.stage).toBe("COLLSCAN");
    expect(scan.executionStats.totalDocsExamined).toBe(2_000);
  });

  it("keeps multikey indexes correct for array fields", async () => {
    const c = engine.db.collection<{ n: number; accepts?: string[] | null }>("multikey");
    await c.createIndex({ accepts: 1 });
    await c.insertMany([{ n: 1, accepts: ["SUCTION", "INSULIN"] }, { n: 2, accepts: ["INSULIN"] }, { n: 3, accepts: [] }, { n: 4 }]);
    expect((await c.find({ accepts: "INSULIN" }).toArray()).map((d) => d.n)).toEqual([1, 2]);
    expect((await c.find({ accepts: { $in: ["SUCTION", "HOME_OXYGEN"] } }).toArray()).map((d) => d.n)).toEqual([1]);
    expect((await c.find({ accepts: null }).toArray()).map((d) => d.n)).toEqual([4]);
    await c.updateOne({ n: 1 }, { $pull: { accepts: "INSULIN" } });
    expect((await c.find({ accepts: "INSULIN" }).toArray()).map((d) => d.n)).toEqual([2]);
  });

  it("indexes every document of a batch insert, and none that an unordered batch refused", async () => {
    const c = engine.db.collection<{ n: number; code: string; tags: string[]; ward: string }>("batch");
    await c.createIndex({ code: 1 }, { unique: true });
    await c.createIndex({ tags: 1 });
    await c.createIndex({ ward: 1, n: 1 });
    await c.insertMany([{ n: 0, code: "c0", tags: ["old"], ward: "w0" }]);
    const batch = Array.from({ length: 300 }, (_, i) => ({ n: i + 1, code: i === 150 ? "c0" : `c${i + 1}`, tags: [`t${i % 3}`, "all"], ward: `w${i % 4}` }));
    const refused = await c.insertMany(batch, { ordered: false }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MongoBulkWriteError);
    expect((refused as MongoBulkWriteError).writeErrors).toMatchObject([{ index: 150, code: 11000 }]);
    const all = await c.find({ tags: "all" }).explain("executionStats");
    expect(all.queryPlanner.winningPlan.inputStage).toMatchObject({ stage: "IXSCAN", indexName: "tags_1" });
    expect(all.executionStats.nReturned).toBe(299);
    expect(await c.countDocuments({ tags: "all", n: 151 })).toBe(0);
    expect((await c.find({ tags: "t0" }).toArray()).map((d) => d.n)).toEqual(batch.filter((_, i) => i % 3 === 0 && i !== 150).map((d) => d.n));
    const page = await c.find({ ward: "w2", n: { $gte: 100, $lt: 120 } }).toArray();
    expect(page.map((d) => d.n)).toEqual([103, 107, 111, 115, 119]);
    await expect(c.insertOne({ n: 999, code: "c300", tags: [], ward: "w0" })).rejects.toMatchObject({ code: 11000 });
  });
});

describe("aggregation", () => {
  it("joins collections with $lookup and groups with $group", async () => {
    await engine.db.collection("offices").insertMany([
      { _id: 1 as never, name: "みどり居宅" },
      { _id: 2 as never, name: "あおば居宅" },
    ]);
    await engine.db.collection("managers").insertMany([
      { office: 1, name: "A" },
      { office: 1, name: "B" },
      { office: 2, name: "C" },
    ]);
    const joined = await engine.db
      .collection("offices")
      .aggregate([
        { $lookup: { from: "managers", localField: "_id", foreignField: "office", as: "staff" } },
        { $project: { _id: 0, name: 1, count: { $size: "$staff" } } },
        { $sort: { count: -1 } },
      ])
      .toArray();
    expect(joined).toEqual([
      { name: "みどり居宅", count: 2 },
      { name: "あおば居宅", count: 1 },
    ]);
    const grouped = await engine.db
      .collection("managers")
      .aggregate([{ $group: { _id: "$office", n: { $sum: 1 } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(grouped).toEqual([
      { _id: 1, n: 2 },
      { _id: 2, n: 1 },
    ]);
  });

  it("writes results with $out", async () => {
    await engine.db.collection("src").insertMany([{ v: 1 }, { v: 2 }, { v: 3 }]);
    await engine.db
      .collection("src")
      .aggregate([{ $match: { v: { $gt: 1 } } }, { $out: "dst" }])
      .toArray();
    expect(
      await engine.db
        .collection("dst")
        .find({}, { projection: { _id: 0 } })
        .toArray(),
    ).toEqual([{ v: 2 }, { v: 3 }]);
  });
});

describe("collections and databases", () => {
  it("creates, lists and drops collections and databases", async () => {
    await engine.db.createCollection("a");
    await expect(engine.db.createCollection("a")).rejects.toMatchObject({ code: 48, codeName: "NamespaceExists" });
    await engine.db.collection("b").insertOne({ x: 1 });
    expect((await engine.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name)).toEqual(["a", "b"]);
    expect(await engine.db.collection("a").drop()).toBe(true);
    const dbs = await engine.harness.client.db("admin").admin().listDatabases();
    expect(dbs.databases.map((d) => d.name)).toContain(engine.db.databaseName);
    await engine.db.dropDatabase();
    expect(await engine.db.listCollections().toArray()).toEqual([]);
  });

  it("answers the admin commands the driver and tools send", async () => {
    const admin = engine.harness.client.db("admin").admin();
    expect(await admin.ping()).toEqual({ ok: 1 });
    expect((await admin.buildInfo()).version).toBe("7.0.0");
    expect((await admin.serverStatus()).opcounters.insert).toBeGreaterThan(0);
    expect(await admin.command({ getParameter: 1, featureCompatibilityVersion: 1 })).toMatchObject({ featureCompatibilityVersion: { version: "7.0" } });
  });
});

describe("transactions", () => {
  it("commits several documents atomically", async () => {
    const c = engine.db.collection("txn");
    const session = engine.harness.client.startSession();
    await session.withTransaction(async () => {
      await c.insertOne({ k: 1 }, { session });
      await c.insertOne({ k: 2 }, { session });
      expect(await c.countDocuments({}, { session })).toBe(2);
      expect(await c.countDocuments({})).toBe(0);
    });
    await session.endSession();
    expect(await c.countDocuments({})).toBe(2);
  });

  it("applies nothing when aborted or when a statement fails", async () => {
    const c = engine.db.collection("txn2");
    await c.createIndex({ k: 1 }, { unique: true });
    await c.insertOne({ k: 0 });
    const session = engine.harness.client.startSession();
    session.startTransaction();
    await c.insertOne({ k: 1 }, { session });
    await session.abortTransaction();
    session.startTransaction();
    await c.insertOne({ k: 2 }, { session });
    await expect(c.insertOne({ k: 0 }, { session })).rejects.toMatchObject({ code: 11000 });
    await expect(session.commitTransaction()).rejects.toMatchObject({ code: 251 });
    await session.endSession();
    expect(await c.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ k: 0 }]);
  });

  it("reports a write conflict with TransientTransactionError when another write got there first", async () => {
    const c = engine.db.collection("txn3");
    await c.insertOne({ _id: "bed" as never, free: 1 });
    const session = engine.harness.client.startSession();
    session.startTransaction();
    expect((await c.findOne({ _id: "bed" as never }, { session }))!.free).toBe(1);
    await c.updateOne({ _id: "bed" as never }, { $inc: { free: -1 } });
    const conflict = await c.updateOne({ _id: "bed" as never }, { $inc: { free: -1 } }, { session }).catch((e: MongoServerError) => e);
    expect(conflict).toMatchObject({ code: 112 });
    expect((conflict as MongoServerError).hasErrorLabel("TransientTransactionError")).toBe(true);
    await session.abortTransaction().catch(() => undefined);
    await session.endSession();
    expect((await c.findOne({ _id: "bed" as never }))!.free).toBe(0);
  });

  it("turns a unique key committed meanwhile by another transaction into a retryable write conflict", async () => {
    const c = engine.db.collection("txn5");
    await c.createIndex({ key: 1 }, { unique: true });
    const first = engine.harness.client.startSession();
    const second = engine.harness.client.startSession();
    first.startTransaction();
    second.startTransaction();
    await c.insertOne({ key: "idem-1", by: "first" }, { session: first });
    await c.insertOne({ key: "idem-1", by: "second" }, { session: second });
    await first.commitTransaction();
    const conflict = await second.commitTransaction().catch((e: MongoServerError) => e);
    expect(conflict).toMatchObject({ code: 112 });
    expect((conflict as MongoServerError).hasErrorLabel("TransientTransactionError")).toBe(true);
    // The retry sees the committed key and fails as MongoDB does, with a duplicate key.
    second.startTransaction();
    await expect(c.insertOne({ key: "idem-1", by: "second" }, { session: second })).rejects.toMatchObject({ code: 11000 });
    await second.abortTransaction().catch(() => undefined);
    await first.endSession();
    await second.endSession();
    expect(await c.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ key: "idem-1", by: "first" }]);
  });

  it("refuses DDL inside a transaction with OperationNotSupportedInTransaction", async () => {
    const session = engine.harness.client.startSession();
    session.startTransaction();
    await expect(
      engine.db
        .collection("txn4")
        .countDocuments({}, { session })
        .then(() => engine.db.command({ count: "txn4" }, { session })),
    ).rejects.toMatchObject({ code: 263 });
    await session.abortTransaction().catch(() => undefined);
    await session.endSession();
  });
});
