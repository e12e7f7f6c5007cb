// MongoDB 7's documented semantics the engine must match or refuse with MongoDB's error (issue 15), through the driver.
import { Decimal128, Double, Int32, Long } from "mongodb";
import type { Collection, Document } from "mongodb";
import { databasePerTest } from "./helpers";
import { distanceMeters, EARTH_RADIUS_METERS } from "../src/geo";
import { FIRST_RING_METERS } from "../src/near";

const engine = databasePerTest("semantics");

describe("upserts seed from the filter's equalities and apply every update operator", () => {
  it("updateOne with a range in the filter stores the equality fields plus $set, $setOnInsert and $inc", async () => {
    const leases = engine.db.collection("leases");
    const now = new Date("2026-01-01T00:00:00Z");
    const result = await leases.updateOne(
      { key: "k", expiresAt: { $gt: now }, tags: { $elemMatch: { $eq: "x" } } },
      { $set: { owner: "a", expiresAt: new Date("2026-01-02T00:00:00Z") }, $setOnInsert: { createdAt: now }, $inc: { renewals: 1 } },
      { upsert: true },
    );
    expect(result.upsertedCount).toBe(1);
    expect(await leases.findOne({}, { projection: { _id: 0 } })).toEqual({
      key: "k",
      owner: "a",
      expiresAt: new Date("2026-01-02T00:00:00Z"),
      createdAt: now,
      renewals: 1,
    });
  });

  it("seeds from $eq and $and equalities but not from $in, $gt or $elemMatch", async () => {
    const c = engine.db.collection("seeds");
    await c.updateOne({ $and: [{ a: 1 }, { b: { $eq: 2 } }], c: { $in: [3, 4] }, d: { $gte: 5 } }, { $set: { e: 6 } }, { upsert: true });
    expect(await c.findOne({}, { projection: { _id: 0 } })).toEqual({ a: 1, b: 2, e: 6 });
  });

  it("findOneAndUpdate with upsert returns the new document for returnDocument 'after' and null for 'before'", async () => {
    const c = engine.db.collection("fam");
    const after = await c.findOneAndUpdate({ key: "a", n: { $lt: 10 } }, { $set: { v: 1 } }, { upsert: true, returnDocument: "after", projection: { _id: 0 } });
    expect(after).toEqual({ key: "a", v: 1 });
    const before = await c.findOneAndUpdate({ key: "b", n: { $lt: 10 } }, { $set: { v: 2 } }, { upsert: true, returnDocument: "before" });
    expect(before).toBeNull();
    expect(await c.countDocuments({ key: "b", v: 2 })).toBe(1);
  });

  it("findOneAndUpdate with a projection returns the updated document even when the update changed a filtered field", async () => {
    const c = engine.db.collection("moved");
    await c.insertOne({ _id: 1 as never, state: "open", note: "x" });
    const after = await c.findOneAndUpdate({ state: "open" }, { $set: { state: "closed" } }, { returnDocument: "after", projection: { state: 1 } });
    expect(after).toEqual({ _id: 1, state: "closed" });
  });
});

describe("transactions read one snapshot across every collection", () => {
  it("does not see another transaction's commit to a second collection after its first read", async () => {
    const a = engine.db.collection("a");
    const b = engine.db.collection("b");
    await a.insertOne({ _id: 1 as never, v: 0 });
    await b.insertOne({ _id: 1 as never, v: 0 });
    const reader = engine.harness.client.startSession();
    const writer = engine.harness.client.startSession();
    try {
      reader.startTransaction({ readConcern: { level: "snapshot" } });
      expect((await a.findOne({ _id: 1 as never }, { session: reader }))!.v).toBe(0);
      await writer.withTransaction(async () => {
        await a.updateOne({ _id: 1 as never }, { $set: { v: 1 } }, { session: writer });
        await b.updateOne({ _id: 1 as never }, { $set: { v: 1 } }, { session: writer });
      });
      expect((await b.findOne({ _id: 1 as never }, { session: reader }))!.v).toBe(0);
      // Writing what the other transaction changed since the snapshot is a write conflict (112), as before.
      await expect(b.updateOne({ _id: 1 as never }, { $set: { v: 2 } }, { session: reader })).rejects.toMatchObject({
        code: 112,
        errorLabels: expect.arrayContaining(["TransientTransactionError"]),
      });
    } finally {
      await reader.endSession();
      await writer.endSession();
    }
    expect((await b.findOne({ _id: 1 as never }))!.v).toBe(1);
  });
});

describe("what the engine does not apply, it refuses with MongoDB's error", () => {
  it("refuses a hint naming a sparse or partial index (MongoDB answers from that index alone) with 72 rather than returning every match", async () => {
    const c = engine.db.collection("sparselyHinted");
    await c.insertMany([{ a: 1, b: 1 }, { a: 1 }]);
    await c.createIndex({ b: 1 }, { sparse: true });
    await c.createIndex({ a: 1 }, { partialFilterExpression: { b: { $exists: true } } });
    await expect(c.find({ a: 1 }).hint("b_1").toArray()).rejects.toMatchObject({ code: 72 });
    await expect(c.find({ a: 1 }).hint({ a: 1 }).toArray()).rejects.toMatchObject({ code: 72 });
    await expect(c.countDocuments({ a: 1 }, { hint: "b_1" })).rejects.toMatchObject({ code: 72 });
    expect(await c.countDocuments({ a: 1 })).toBe(2);
  });

  it("refuses a hint naming a missing index with BadValue (2) and accepts an existing one", async () => {
    const c = engine.db.collection("hinted");
    await c.insertMany([{ a: 1 }, { a: 2 }]);
    await c.createIndex({ a: 1 });
    const missing = /hint provided does not correspond to an existing index/;
    await expect(c.find({ a: 1 }).hint("b_1").toArray()).rejects.toMatchObject({ code: 2, message: expect.stringMatching(missing) });
    await expect(c.find({ a: 1 }).hint({ b: 1 }).toArray()).rejects.toMatchObject({ code: 2 });
    await expect(c.countDocuments({ a: 1 }, { hint: "nope" })).rejects.toMatchObject({ code: 2 });
    await expect(c.aggregate([{ $match: { a: 1 } }], { hint: "nope" }).toArray()).rejects.toMatchObject({ code: 2 });
    await expect(c.deleteOne({ a: 1 }, { hint: "nope" })).rejects.toMatchObject({ code: 2 });
    await expect(c.updateOne({ a: 1 }, { $set: { b: 1 } }, { hint: "nope" })).rejects.toMatchObject({ code: 2 });
    expect(await c.find({ a: 2 }).hint("a_1").toArray()).toHaveLength(1);
    expect(await c.find({ a: 2 }).hint({ a: 1 }).toArray()).toHaveLength(1);
    expect(await c.find({ a: 2 }).hint({ $natural: 1 }).toArray()).toHaveLength(1);
    expect(await c.countDocuments()).toBe(2);
  });

  it("answers w: 2 on its one-member replica set with writeConcernError UnsatisfiableWriteConcern (100), the write applied", async () => {
    const c = engine.db.collection("durable");
    await expect(c.insertOne({ a: 1 }, { writeConcern: { w: 2 } })).rejects.toMatchObject({ name: "MongoWriteConcernError", code: 100 });
    await expect(c.updateOne({ a: 1 }, { $set: { b: 1 } }, { writeConcern: { w: "dataCenters" as never } })).rejects.toMatchObject({ code: 79 });
    expect(await c.findOne({}, { projection: { _id: 0 } })).toEqual({ a: 1, b: 1 });
    await c.insertOne({ a: 2 }, { writeConcern: { w: "majority" } });
    await c.insertOne({ a: 3 }, { writeConcern: { w: 1 } });
    expect(await c.countDocuments()).toBe(3);
  });

  it("refuses capped and time-series collections rather than creating ordinary ones", async () => {
    await expect(engine.db.createCollection("ring", { capped: true, size: 4096 })).rejects.toMatchObject({ code: 72 });
    await expect(engine.db.createCollection("series", { timeseries: { timeField: "t" } })).rejects.toMatchObject({ code: 72 });
    expect(await engine.db.listCollections().toArray()).toEqual([]);
  });

  it("refuses sort on update statements as MongoDB 7.0 does (unknown field, 40415)", async () => {
    const c = engine.db.collection("sorted");
    await c.insertMany([{ a: 1 }, { a: 2 }]);
    const reply = await engine.db.command({ update: "sorted", updates: [{ q: {}, u: { $set: { b: 1 } }, sort: { a: -1 } }] }).catch((error: unknown) => error);
    expect(reply).toMatchObject({ code: 40415, message: "BSON field 'update.updates.sort' is an unknown field." });
    expect(await c.countDocuments({ b: 1 })).toBe(0);
  });
});

describe("BSON number types are kept end to end, with MongoDB's arithmetic and comparison", () => {
  const raw = { promoteValues: false, promoteLongs: false } as const;

  it("returns int32, int64, whole and fractional doubles and Decimal128 with the types they were stored with", async () => {
    const c = engine.db.collection("types");
    await c.insertOne({
      _id: 1 as never,
      i: 7,
      l: Long.fromNumber(5),
      big: Long.fromString("9007199254740993"),
      d: new Double(1),
      f: 1.5,
      z: new Double(-0),
      m: Decimal128.fromString("1.10"),
    });
    const doc = await c.findOne({ _id: 1 as never }, raw);
    expect(doc!.i).toEqual(new Int32(7));
    expect(doc!.l).toEqual(Long.fromNumber(5));
    expect(doc!.big.toString()).toBe("9007199254740993");
    expect(doc!.d).toEqual(new Double(1));
    expect(doc!.f).toEqual(new Double(1.5));
    expect(Object.is(doc!.z.value, -0)).toBe(true);
    expect(doc!.m.toString()).toBe("1.10");
    // An update that touches another field leaves every type as it was.
    await c.updateOne({ _id: 1 as never }, { $set: { other: true } });
    expect(await c.findOne({ _id: 1 as never }, { ...raw, projection: { other: 0 } })).toEqual(doc);
  });

  it("widens an int32 $inc overflow to a long, keeps doubles and decimals, and fails a long overflow with BadValue (2)", async () => {
    const c = engine.db.collection("arith");
    await c.insertOne({ _id: 1 as never, i: 2147483647, d: new Double(2), m: Decimal128.fromString("1.10"), l: Long.MAX_VALUE });
    await c.updateOne({ _id: 1 as never }, { $inc: { i: 1, m: 1 }, $mul: { d: 3, absent: Long.fromNumber(7) } });
    const doc = await c.findOne({ _id: 1 as never }, raw);
    expect(doc!.i).toEqual(Long.fromNumber(2147483648));
    expect(doc!.d).toEqual(new Double(6));
    expect(doc!.m.toString()).toBe("2.10");
    expect(doc!.absent).toEqual(Long.fromNumber(0));
    await expect(c.updateOne({ _id: 1 as never }, { $inc: { l: 1 } })).rejects.toMatchObject({
      code: 2,
      message: "Failed to apply $inc operations to current value ((NumberLong)9223372036854775807) for document {_id: 1}",
    });
    await expect(c.updateOne({ _id: 1 as never }, { $inc: { i: "x" as never } })).rejects.toMatchObject({ code: 14 });
    await c.updateOne({ _id: 1 as never }, { $set: { s: "x" } });
    await expect(c.updateOne({ _id: 1 as never }, { $inc: { s: 1 } })).rejects.toMatchObject({ code: 14 });
    // An int32 result that fits stays int32; int32 + long is a long.
    await c.updateOne({ _id: 1 as never }, { $set: { j: 1 } });
    await c.updateOne({ _id: 1 as never }, { $inc: { j: 2 } });
    expect((await c.findOne({ _id: 1 as never }, raw))!.j).toEqual(new Int32(3));
    await c.updateOne({ _id: 1 as never }, { $inc: { j: Long.fromNumber(1) } });
    expect((await c.findOne({ _id: 1 as never }, raw))!.j).toEqual(Long.fromNumber(4));
  });

  it("adds to a set only values no element equals across number types ($addToSet with and without $each), and refuses a non-array field with BadValue (2)", async () => {
    const c = engine.db.collection("sets");
    await c.insertOne({ _id: 1 as never, set: [Long.fromNumber(1), new Double(2.5)], tags: [{ a: 1, b: 2 }], s: "x" });
    await c.updateOne({ _id: 1 as never }, { $addToSet: { set: 1, fresh: Long.fromNumber(9) } });
    await c.updateOne({ _id: 1 as never }, { $addToSet: { set: { $each: [new Double(1), Decimal128.fromString("2.5"), new Int32(3), Long.fromNumber(3)] } } });
    // Documents are equal only with the same fields in the same order.
    await c.updateOne(
      { _id: 1 as never },
      {
        $addToSet: {
          tags: {
            $each: [
              { a: 1, b: 2 },
              { b: 2, a: 1 },
            ],
          },
        },
      },
    );
    const doc = await c.findOne({ _id: 1 as never }, raw);
    expect(doc!.set).toEqual([Long.fromNumber(1), new Double(2.5), new Int32(3)]);
    expect(doc!.fresh).toEqual([Long.fromNumber(9)]);
    expect(doc!.tags).toEqual([
      { a: new Int32(1), b: new Int32(2) },
      { b: new Int32(2), a: new Int32(1) },
    ]);
    await expect(c.updateOne({ _id: 1 as never }, { $addToSet: { s: 1 } })).rejects.toMatchObject({
      code: 2,
      message: "Cannot apply $addToSet to non-array field. Field named 's' has non-array type string",
    });
    expect((await c.findOne({ _id: 1 as never }))!.s).toBe("x");
  });

  it("matches $type by BSON type: int, long, double, decimal and number", async () => {
    const c = engine.db.collection("typed");
    await c.insertMany([
      { _id: "int" as never, v: 1 },
      { _id: "long" as never, v: Long.fromNumber(1) },
      { _id: "double" as never, v: new Double(1) },
      { _id: "fraction" as never, v: 1.5 },
      { _id: "decimal" as never, v: Decimal128.fromString("1") },
      { _id: "string" as never, v: "1" },
      { _id: "array" as never, v: [Long.fromNumber(2)] },
    ]);
    const ids = async (filter: object): Promise<unknown[]> => (await c.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);
    expect(await ids({ v: { $type: "int" } })).toEqual(["int"]);
    expect(await ids({ v: { $type: "long" } })).toEqual(["array", "long"]);
    expect(await ids({ v: { $type: "double" } })).toEqual(["double", "fraction"]);
    expect(await ids({ v: { $type: "decimal" } })).toEqual(["decimal"]);
    expect(await ids({ v: { $type: "number" } })).toEqual(["array", "decimal", "double", "fraction", "int", "long"]);
    expect(await ids({ v: { $type: ["string", 16] } })).toEqual(["int", "string"]);
    // The same through the general evaluator ($nor is not compiled).
    expect(await ids({ $nor: [{ v: { $type: "number" } }] })).toEqual(["string"]);
    // Equality across number types is by value.
    expect(await ids({ v: 1 })).toEqual(["decimal", "double", "int", "long"]);
  });

  it("keeps the BSON type of number literals in pipelines: values set, $literal, arithmetic operands, and pipeline updates", async () => {
    const c = engine.db.collection("literals");
    await c.insertOne({ _id: 1 as never, a: 2 });
    const [doc] = await c
      .aggregate(
        [
          {
            $addFields: {
              long: Long.fromNumber(5),
              double: new Double(1),
              decimal: Decimal128.fromString("2.50"),
              nested: { l: Long.fromNumber(6) },
              "dotted.d": new Double(4),
              list: [Long.fromNumber(7), new Double(8), 9],
            },
          },
          {
            $project: {
              long: 1,
              double: 1,
              decimal: 1,
              nested: 1,
              dotted: 1,
              list: 1,
              literalLong: { $literal: Long.fromNumber(5) },
              literalDouble: { $literal: new Double(1) },
              plusDouble: { $add: ["$a", new Double(1)] },
              plusLong: { $add: ["$a", Long.fromNumber(1)] },
              timesLiteralLong: { $multiply: ["$a", { $literal: Long.fromNumber(3) }] },
              minusDouble: { $subtract: ["$a", new Double(1)] },
              typeOfLong: { $type: "$long" },
              typeOfSum: { $type: { $add: ["$a", new Double(1)] } },
              typeOfLiteral: { $type: { $literal: Long.fromNumber(1) } },
            },
          },
        ],
        raw,
      )
      .toArray();
    // MongoDB: a literal keeps its type; int32 + double is a double, int32 + long a long ($add, $multiply, $subtract).
    expect(doc).toEqual({
      _id: new Int32(1),
      long: Long.fromNumber(5),
      double: new Double(1),
      decimal: Decimal128.fromString("2.50"),
      nested: { l: Long.fromNumber(6) },
      dotted: { d: new Double(4) },
      list: [Long.fromNumber(7), new Double(8), new Int32(9)],
      literalLong: Long.fromNumber(5),
      literalDouble: new Double(1),
      plusDouble: new Double(3),
      plusLong: Long.fromNumber(3),
      timesLiteralLong: Long.fromNumber(6),
      minusDouble: new Double(1),
      typeOfLong: "long",
      typeOfSum: "double",
      typeOfLiteral: "long",
    });
    // Operators that return an operand return it with its type; a typed result compared by another operator compares by value.
    const [passed] = await c
      .aggregate(
        [
          {
            $project: {
              cond: { $cond: [{ $gt: ["$a", 1] }, Long.fromNumber(5), 0] },
              condObject: { $cond: { if: false, then: 0, else: new Double(6) } },
              ifNull: { $ifNull: ["$missing", new Double(2)] },
              switched: { $switch: { branches: [{ case: { $eq: ["$a", 2] }, then: Long.fromNumber(7) }], default: 0 } },
              sumAbove: { $gt: [{ $add: ["$a", Long.fromNumber(1)] }, 2] },
              sumEquals: { $eq: [{ $add: ["$a", new Double(1)] }, 3] },
            },
          },
        ],
        raw,
      )
      .toArray();
    expect(passed).toEqual({
      _id: new Int32(1),
      cond: Long.fromNumber(5),
      condObject: new Double(6),
      ifNull: new Double(2),
      switched: Long.fromNumber(7),
      sumAbove: true,
      sumEquals: true,
    });
    // $sum of a long or double literal counts in the literal's type.
    await c.insertOne({ _id: 2 as never, a: 3 });
    const [counted] = await c.aggregate([{ $group: { _id: null, longs: { $sum: Long.fromNumber(1) }, doubles: { $sum: new Double(2) } } }], raw).toArray();
    expect(counted).toEqual({ _id: null, longs: Long.fromNumber(2), doubles: new Double(4) });
    await c.deleteOne({ _id: 2 as never });
    // A pipeline update stores the literal's type.
    await c.updateOne({ _id: 1 as never }, [{ $set: { u: Long.fromNumber(9), w: { $add: ["$a", new Double(1)] }, v: { $literal: new Double(2) } } }]);
    const stored = await c.findOne({ _id: 1 as never }, raw);
    expect([stored!.u, stored!.w, stored!.v]).toEqual([Long.fromNumber(9), new Double(3), new Double(2)]);
    expect(await c.countDocuments({ u: { $type: "long" }, w: { $type: "double" }, v: { $type: "double" } })).toBe(1);
  });

  it("keeps the types of values that find projections, $slice, $elemMatch and the positional $ return", async () => {
    const c = engine.db.collection("projected");
    const big = Long.fromString("9007199254740993");
    await c.insertOne({
      _id: 1 as never,
      n: Long.fromNumber(5),
      big,
      d: new Double(2),
      list: [Long.fromNumber(7), new Double(8), 9],
      items: [
        { v: Long.fromNumber(1), w: new Double(1) },
        { v: Long.fromNumber(10), w: new Double(2) },
      ],
    });
    expect(await c.findOne({}, { ...raw, projection: { n: 1, big: 1, d: 1 } })).toEqual({ _id: new Int32(1), n: Long.fromNumber(5), big, d: new Double(2) });
    expect((await c.findOne({}, { ...raw, projection: { list: { $slice: -2 } } }))!.list).toEqual([new Double(8), new Int32(9)]);
    // The $elemMatch condition and the positional match compare a long by value (10 > 7) and return the element as stored.
    const element = [{ v: Long.fromNumber(10), w: new Double(2) }];
    expect((await c.findOne({}, { ...raw, projection: { items: { $elemMatch: { v: { $gt: 7 } } } } }))!.items).toEqual(element);
    expect((await c.findOne({ "items.v": { $gt: Long.fromNumber(7) } }, { ...raw, projection: { "items.$": 1 } }))!.items).toEqual(element);
    expect(await c.findOne({}, { ...raw, projection: { _id: 0, x: "$n", y: { $arrayElemAt: ["$list", 1] } } })).toEqual({
      x: Long.fromNumber(5),
      y: new Double(8),
    });
  });

  it("keeps the types of values that aggregation operators move: $arrayElemAt, $max, $map, $let, $filter, $reduce, $mergeObjects, let variables", async () => {
    const c = engine.db.collection("moved");
    const big = Long.fromString("9007199254740993");
    await c.insertOne({ _id: 1 as never, n: Long.fromNumber(5), big, d: new Double(2), list: [Long.fromNumber(7), new Double(8), 9] });
    const [doc] = await c
      .aggregate(
        [
          {
            $project: {
              _id: 0,
              big: "$big",
              first: { $arrayElemAt: ["$list", 0] },
              at: { $arrayElemAt: ["$list", Long.fromNumber(1)] },
              maxOfList: { $max: "$list" },
              maxOfArgs: { $max: ["$n", "$d"] },
              mapped: { $map: { input: "$list", in: "$$this" } },
              bound: { $let: { vars: { v: "$n" }, in: "$$v" } },
              filtered: { $filter: { input: "$list", cond: { $gt: ["$$this", 7] } } },
              sliced: { $slice: ["$list", 1, 1] },
              folded: { $reduce: { input: "$list", initialValue: Long.fromNumber(0), in: { $add: ["$$value", "$$this"] } } },
              merged: { $mergeObjects: [{ a: "$n" }, { b: "$d" }] },
              variable: "$$limit",
            },
          },
        ],
        { ...raw, let: { limit: Long.fromNumber(3) } },
      )
      .toArray();
    // MongoDB returns an operand as it is; a long plus a double is a double.
    expect(doc).toEqual({
      big,
      first: Long.fromNumber(7),
      at: new Double(8),
      maxOfList: new Int32(9),
      maxOfArgs: Long.fromNumber(5),
      mapped: [Long.fromNumber(7), new Double(8), new Int32(9)],
      bound: Long.fromNumber(5),
      filtered: [new Double(8), new Int32(9)],
      sliced: [new Double(8)],
      folded: new Double(24),
      merged: { a: Long.fromNumber(5), b: new Double(2) },
      variable: Long.fromNumber(3),
    });
  });

  it("keeps types through $facet, $lookup, $group and $unwind, matching numbers by value across types", async () => {
    const orders = engine.db.collection("orders");
    const lines = engine.db.collection("lines");
    await orders.insertMany([
      { _id: 1 as never, ref: 1, total: Long.fromNumber(100), ratio: new Double(1) },
      { _id: 2 as never, ref: Long.fromNumber(2), total: Long.fromNumber(7), ratio: new Double(3) },
    ]);
    await lines.insertMany([
      { _id: 10 as never, order: Long.fromNumber(1), qty: Long.fromNumber(3), price: new Double(4) },
      { _id: 11 as never, order: 2, qty: Long.fromNumber(1), price: new Double(5) },
    ]);
    const joined = await orders
      .aggregate([{ $lookup: { from: "lines", localField: "ref", foreignField: "order", as: "lines" } }, { $sort: { _id: 1 } }], raw)
      .toArray();
    // The int 1 joins the long 1 (and the long 2 the int 2); the joined documents keep their types.
    expect(joined.map((order) => order.lines)).toEqual([
      [{ _id: new Int32(10), order: Long.fromNumber(1), qty: Long.fromNumber(3), price: new Double(4) }],
      [{ _id: new Int32(11), order: new Int32(2), qty: Long.fromNumber(1), price: new Double(5) }],
    ]);
    expect(joined[0].total).toEqual(Long.fromNumber(100));
    const [withPipeline] = await orders
      .aggregate(
        [
          { $match: { _id: 1 } },
          { $lookup: { from: "lines", let: { wanted: "$total" }, pipeline: [{ $project: { _id: 0, qty: 1, wanted: "$$wanted" } }], as: "lines" } },
        ],
        raw,
      )
      .toArray();
    expect(withPipeline.lines).toEqual([
      { qty: Long.fromNumber(3), wanted: Long.fromNumber(100) },
      { qty: Long.fromNumber(1), wanted: Long.fromNumber(100) },
    ]);
    const [faceted] = await orders
      .aggregate([{ $facet: { totals: [{ $sort: { _id: 1 } }, { $project: { _id: 0, total: 1, ratio: 1 } }], count: [{ $count: "n" }] } }], raw)
      .toArray();
    expect(faceted).toEqual({
      totals: [
        { total: Long.fromNumber(100), ratio: new Double(1) },
        { total: Long.fromNumber(7), ratio: new Double(3) },
      ],
      count: [{ n: new Int32(2) }],
    });
    // $group: the int 1 and the long 1 are one group (its _id the first value seen); $addToSet keeps one of equal values.
    await lines.insertOne({ _id: 12 as never, order: 1, qty: 3, price: new Double(4) });
    const groups = await lines
      .aggregate([{ $sort: { _id: 1 } }, { $group: { _id: "$order", qtys: { $addToSet: "$qty" }, top: { $max: "$price" } } }, { $sort: { _id: 1 } }], raw)
      .toArray();
    expect(groups).toEqual([
      { _id: Long.fromNumber(1), qtys: [Long.fromNumber(3)], top: new Double(4) },
      { _id: new Int32(2), qtys: [Long.fromNumber(1)], top: new Double(5) },
    ]);
    // $unwind's includeArrayIndex is a long.
    const unwound = await orders
      .aggregate([{ $match: { _id: 1 } }, { $project: { v: ["$total", "$ratio"] } }, { $unwind: { path: "$v", includeArrayIndex: "i" } }], raw)
      .toArray();
    expect(unwound.map(({ v, i }) => [v, i])).toEqual([
      [Long.fromNumber(100), Long.fromNumber(0)],
      [new Double(1), Long.fromNumber(1)],
    ]);
  });

  it("gives computed numbers MongoDB's types: doubles from $sqrt and $stdDevPop, ints from $size, the operand's type from $abs, $ceil and $mod, longs from date differences", async () => {
    const c = engine.db.collection("computed");
    await c.insertOne({ _id: 1 as never, i: 4, n: Long.fromNumber(-5), d: new Double(2), f: 2.5, list: [1, 2, 3], t0: new Date(0), t1: new Date(1000) });
    const [doc] = await c
      .aggregate(
        [
          {
            $project: {
              _id: 0,
              sqrt: { $sqrt: "$i" },
              size: { $size: "$list" },
              absLong: { $abs: "$n" },
              absDouble: { $abs: "$d" },
              absInt: { $abs: "$i" },
              ceil: { $ceil: "$f" },
              mod: { $mod: ["$n", 3] },
              square: { $pow: ["$i", 2] },
              inverse: { $pow: ["$i", -1] },
              toLong: { $toLong: "$i" },
              toDecimal: { $toDecimal: "$n" },
              convertedDouble: { $convert: { input: "$i", to: "double" } },
              elapsed: { $subtract: ["$t1", "$t0"] },
              typeOfSqrt: { $type: { $sqrt: "$i" } },
              typeOfSize: { $type: { $size: "$list" } },
            },
          },
        ],
        raw,
      )
      .toArray();
    expect(doc).toEqual({
      sqrt: new Double(2),
      size: new Int32(3),
      absLong: Long.fromNumber(5),
      absDouble: new Double(2),
      absInt: new Int32(4),
      ceil: new Double(3),
      mod: Long.fromNumber(-2),
      square: new Int32(16),
      inverse: new Double(0.25),
      toLong: Long.fromNumber(4),
      toDecimal: Decimal128.fromString("-5"),
      convertedDouble: new Double(4),
      elapsed: Long.fromNumber(1000),
      typeOfSqrt: "double",
      typeOfSize: "int",
    });
    const [spread] = await c.aggregate([{ $group: { _id: null, sd: { $stdDevPop: "$i" } } }], raw).toArray();
    expect(spread.sd).toEqual(new Double(0));
  });

  it("compares and sorts longs beyond 2^53 and decimals in pipelines by exact value", async () => {
    const c = engine.db.collection("exact");
    await c.insertMany([
      { _id: 1 as never, big: Long.fromString("9007199254740993"), m: Decimal128.fromString("1.10") },
      { _id: 2 as never, big: Long.fromString("9007199254740992"), m: Decimal128.fromString("0.5") },
    ]);
    const compared = await c
      .aggregate([
        { $sort: { big: -1 } },
        {
          $project: {
            above: { $gt: ["$big", Long.fromString("9007199254740992")] },
            isDouble: { $eq: ["$m", 1.1] },
            below: { $lt: ["$m", 1.5] },
            // $eq/$ne treat a missing field as a value of its own, not null; two missing fields are equal.
            missingIsNull: { $eq: ["$missing", null] },
            missingIsMissing: { $eq: ["$missing", "$absent"] },
          },
        },
      ])
      .toArray();
    // The double 1.1 is 1.100000000000000088…, not the decimal 1.10.
    expect(compared).toEqual([
      { _id: 1, above: true, isDouble: false, below: true, missingIsNull: false, missingIsMissing: true },
      { _id: 2, above: false, isDouble: false, below: true, missingIsNull: false, missingIsMissing: true },
    ]);
    expect((await c.aggregate([{ $sort: { m: 1 } }]).toArray()).map((doc) => doc._id)).toEqual([2, 1]);
  });

  it("refuses with InvalidOptions (72) what it cannot answer with MongoDB's number types", async () => {
    const c = engine.db.collection("refused");
    await c.insertOne({ _id: 1 as never, list: [Long.fromNumber(7), 9], m: Decimal128.fromString("1.5"), d: 0.1, i: 3 });
    const refused = (pipeline: Document[]) => expect(c.aggregate(pipeline).toArray()).rejects.toMatchObject({ code: 72 });
    await refused([{ $project: { top: { $maxN: { input: "$list", n: 1 } } } }]);
    await refused([{ $project: { union: { $setUnion: ["$list", [1]] } } }]);
    await refused([{ $group: { _id: null, sd: { $stdDevPop: "$m" } } }]);
    await refused([{ $project: { x: { $toDecimal: "$d" } } }]);
    await refused([{ $bucket: { groupBy: "$i", boundaries: [0, 10] } }]);
    // Without longs, whole doubles or decimals the same operators answer.
    const [{ union }] = await c
      .aggregate([
        {
          $project: {
            _id: 0,
            union: {
              $setUnion: [
                [1, 2],
                [2, 3],
              ],
            },
          },
        },
      ])
      .toArray();
    // MongoDB documents no order for a set's elements.
    expect([...union].sort()).toEqual([1, 2, 3]);
    expect(await c.aggregate([{ $project: { _id: 0, i: 1 } }, { $bucket: { groupBy: "$i", boundaries: [0, 10] } }]).toArray()).toEqual([{ _id: 0, count: 1 }]);
  });

  it("compares Decimal128 with doubles by exact value: 1.10 equals decimal 1.1 but not the double 1.1", async () => {
    const c = engine.db.collection("money");
    await c.insertMany([
      { _id: 1 as never, v: Decimal128.fromString("1.10") },
      { _id: 2 as never, v: Decimal128.fromString("0.5") },
    ]);
    expect(await c.countDocuments({ v: Decimal128.fromString("1.1") })).toBe(1);
    expect(await c.countDocuments({ v: 1.1 })).toBe(0);
    expect(await c.countDocuments({ v: 0.5 })).toBe(1);
    // The double 1.1 is 1.100000000000000088…: the decimal 1.10 is below it.
    expect(await c.countDocuments({ v: { $lt: 1.1, $gt: 1 } })).toBe(1);
    expect(await c.countDocuments({ v: { $gte: 1.1 } })).toBe(0);
    expect((await c.find().sort({ v: -1 }).toArray()).map((d) => d._id)).toEqual([1, 2]);
  });
});

describe("sorts walk an index when one gives the order", () => {
  const stages = (plan: Record<string, unknown>): string[] => {
    const names: string[] = [];
    for (let stage: Record<string, unknown> | undefined = plan; stage; stage = stage.inputStage as Record<string, unknown> | undefined)
      names.push(String(stage.stage));
    return names;
  };

  it("returns the same pages as an in-memory sort, and explain shows IXSCAN without a SORT stage", async () => {
    const c = engine.db.collection("paged");
    const docs = Array.from({ length: 300 }, (_, i) => ({ n: (i * 37) % 300, ward: `w${i % 3}`, at: i % 7 === 0 ? undefined : i }));
    await c.insertMany(docs.map((d) => ({ ...d })));
    const expected = [...docs]
      .sort((a, b) => a.n - b.n)
      .slice(120, 130)
      .map((d) => d.n);
    const unindexed = await c
      .find({}, { projection: { _id: 0, n: 1 } })
      .sort({ n: 1 })
      .skip(120)
      .limit(10)
      .toArray();
    expect(unindexed.map((d) => d.n)).toEqual(expected);
    const before = await c.find({}).sort({ n: 1 }).skip(120).limit(10).explain();
    expect(stages(before.queryPlanner.winningPlan)).toEqual(["SORT", "COLLSCAN"]);

    await c.createIndex({ n: 1 });
    const indexed = await c
      .find({}, { projection: { _id: 0, n: 1 } })
      .sort({ n: 1 })
      .skip(120)
      .limit(10)
      .toArray();
    expect(indexed.map((d) => d.n)).toEqual(expected);
    const after = await c.find({}).sort({ n: 1 }).skip(120).limit(10).explain("executionStats");
    expect(stages(after.queryPlanner.winningPlan)).toEqual(["FETCH", "IXSCAN"]);
    expect(after.queryPlanner.winningPlan.inputStage.indexName).toBe("n_1");
    expect(after.executionStats.totalKeysExamined).toBeLessThanOrEqual(130);

    const descending = await c
      .find({ n: { $gte: 100, $lt: 200 } })
      .sort({ n: -1 })
      .limit(3)
      .toArray();
    expect(descending.map((d) => d.n)).toEqual([199, 198, 197]);
  });

  it("finds pages by position across many index nodes, forwards and backwards, after an equality prefix", async () => {
    const c = engine.db.collection("positions");
    const docs = Array.from({ length: 2_000 }, (_, i) => ({ ward: `w${i % 4}`, n: (i * 7_919) % 2_000 }));
    await c.insertMany(docs.map((d) => ({ ...d })));
    await c.createIndex({ ward: 1, n: 1 });
    const inWard = docs.filter((d) => d.ward === "w2").map((d) => d.n);
    const ascending = [...inWard].sort((a, b) => a - b);
    const descending = [...ascending].reverse();
    const page = async (direction: 1 | -1, skip: number, limit: number): Promise<number[]> =>
      (await c.find({ ward: "w2" }).sort({ n: direction }).skip(skip).limit(limit).toArray()).map((d) => d.n);
    expect(await page(1, 137, 25)).toEqual(ascending.slice(137, 162));
    expect(await page(-1, 137, 25)).toEqual(descending.slice(137, 162));
    expect(await page(1, 490, 25)).toEqual(ascending.slice(490));
    expect(await page(-1, 600, 5)).toEqual([]);
  });

  it("uses a compound index after an equality prefix, and sorts missing fields first as null", async () => {
    const c = engine.db.collection("compound");
    await c.insertMany([{ ward: "a", at: 3 }, { ward: "b", at: 1 }, { ward: "a", at: 1 }, { ward: "a" }, { ward: "a", at: 2 }, { ward: "b", at: 0 }]);
    await c.createIndex({ ward: 1, at: 1 });
    const page = await c
      .find({ ward: "a" }, { projection: { _id: 0 } })
      .sort({ at: 1 })
      .limit(10)
      .toArray();
    expect(page).toEqual([{ ward: "a" }, { ward: "a", at: 1 }, { ward: "a", at: 2 }, { ward: "a", at: 3 }]);
    const plan = await c.find({ ward: "a" }).sort({ at: -1 }).limit(2).explain();
    expect(stages(plan.queryPlanner.winningPlan)).toEqual(["FETCH", "IXSCAN"]);
    expect(plan.queryPlanner.winningPlan.inputStage.direction).toBe("backward");
    expect((await c.find({ ward: "a" }).sort({ at: -1 }).limit(2).toArray()).map((d) => d.at)).toEqual([3, 2]);
  });
  it("an aggregation starting with $match, $sort, $skip and $limit answers as find does, arrays by their smallest or largest element", async () => {
    const c = engine.db.collection("pipelined");
    await c.insertMany([{ k: 5, w: "a" }, { k: [9, 1], w: "a" }, { w: "a" }, { k: 3, w: "b" }, { k: [4, 7], w: "a" }, { k: 2, w: "a" }]);
    await c.createIndex({ k: 1 });
    const keys = async (direction: 1 | -1) =>
      (await c.aggregate([{ $match: { w: "a" } }, { $sort: { k: direction } }, { $skip: 1 }, { $limit: 3 }, { $project: { _id: 0, k: 1 } }]).toArray()).map(
        (d) => d.k ?? null,
      );
    // Ascending: missing (as null) first, then [9, 1] by its 1, 2, [4, 7] by its 4, 5; descending: [9, 1] by its 9 first.
    expect(await keys(1)).toEqual([[9, 1], 2, [4, 7]]);
    expect(await keys(-1)).toEqual([[4, 7], 5, 2]);
    const found = await c
      .find({ w: "a" }, { projection: { _id: 0, k: 1 } })
      .sort({ k: 1 })
      .skip(1)
      .limit(3)
      .toArray();
    expect(found.map((d) => d.k ?? null)).toEqual(await keys(1));
    const counted = await c.aggregate([{ $sort: { k: 1 } }, { $limit: 4 }, { $count: "n" }]).toArray();
    expect(counted).toEqual([{ n: 4 }]);
  });
});

describe("$geoNear and $nearSphere with a limit return the nearest matches, ties included, as without one", () => {
  // 300 points north of the centre at 60 distinct distances (5 records at each), so the order is known without a distance formula.
  const docs = Array.from({ length: 300 }, (_, i) => ({
    _id: i,
    kind: i % 3 === 0 ? "a" : "b",
    tags: ["x", i % 2 === 0 ? "even" : "odd"],
    location: { type: "Point", coordinates: [136.45, 36.4 + (i % 60) * 0.0005] },
  }));
  const nearest = (keep: (d: (typeof docs)[number]) => boolean, n: number) =>
    docs
      .filter(keep)
      .sort((x, y) => (x._id % 60) - (y._id % 60) || x._id - y._id)
      .slice(0, n)
      .map((d) => d._id);
  const centre = { type: "Point", coordinates: [136.45, 36.4] };

  it("a page of $geoNear sorted by distance then _id, through the cells and through an $all index", async () => {
    const c = engine.db.collection<{ _id: number }>("nearest");
    // Stored in reverse, so that insertion order and _id order disagree among equally distant records.
    await c.insertMany([...docs].reverse());
    await c.createIndex({ location: "2dsphere" });
    await c.createIndex({ tags: 1 });
    const page = async (query: Document, n: number) =>
      (
        await c
          .aggregate([
            { $geoNear: { near: centre, key: "location", distanceField: "d", maxDistance: 5_000, spherical: true, query } },
            { $sort: { d: 1, _id: 1 } },
            { $limit: n },
          ])
          .toArray()
      ).map((d) => d._id);
    // 7 ends inside the second group of five equally distant records.
    for (const n of [1, 5, 7, 12]) {
      expect(await page({ kind: "a" }, n)).toEqual(nearest((d) => d.kind === "a", n));
      expect(await page({ kind: "a", tags: { $all: ["x", "even"] } }, n)).toEqual(nearest((d) => d.kind === "a" && d._id % 2 === 0, n));
    }
    const found = await c
      .find({ kind: "b", location: { $nearSphere: { $geometry: centre, $maxDistance: 5_000 } } })
      .limit(8)
      .toArray();
    expect(found.map((d) => d._id % 60)).toEqual(nearest((d) => d.kind === "b", 8).map((id) => id % 60));
  });
});

describe("a near query with a limit walks the cells in rings outward and answers as without the limit", () => {
  const CENTRE = { lng: 136.5, lat: 36.4 };
  const centre = { type: "Point", coordinates: [CENTRE.lng, CENTRE.lat] };
  /** The latitude `meters` due north of the centre (distances along a meridian grow with latitude). */
  const north = (meters: number) => CENTRE.lat + (meters / EARTH_RADIUS_METERS) * (180 / Math.PI);
  const at = (lat: number, lng = CENTRE.lng) => ({ type: "Point", coordinates: [lng, lat] });
  /** The next double above (1) or below (-1) a positive number. */
  const step = (value: number, direction: 1 | -1) => {
    const bits = new BigInt64Array(new Float64Array([value]).buffer);
    bits[0] += BigInt(direction);
    return new Float64Array(bits.buffer)[0];
  };
  /** The northernmost latitude at most `meters` from the centre as the engine measures (the last point on a ring's radius), and the next one (beyond it). */
  const boundary = (meters: number): [number, number] => {
    let lat = north(meters);
    const distance = (value: number) => distanceMeters(CENTRE, { lng: CENTRE.lng, lat: value });
    while (distance(lat) > meters) lat = step(lat, -1);
    while (distance(step(lat, 1)) <= meters) lat = step(lat, 1);
    return [lat, step(lat, 1)];
  };
  type Spot = { _id: number; kind: string; location: Document };

  /** The records stored in reverse (insertion order and _id order disagree), with a 2dsphere index and one on kind. */
  async function stored(docs: Spot[]): Promise<Collection<Spot>> {
    const c = engine.db.collection<Spot>("rings");
    await c.insertMany([...docs].reverse());
    await c.createIndex({ location: "2dsphere" });
    await c.createIndex({ kind: 1 });
    return c;
  }

  /** $geoNear sorted by distance then _id with `$limit` n, checked against the same pipeline without the limit. */
  async function page(c: Collection<Spot>, stage: Document, n: number): Promise<Array<{ _id: number; d: number }>> {
    const pipeline = (limit: Document[]) => [
      { $geoNear: { near: centre, key: "location", distanceField: "d", spherical: true, ...stage } },
      { $sort: { d: 1, _id: 1 } },
      ...limit,
      { $project: { d: 1 } },
    ];
    const limited = (await c.aggregate(pipeline([{ $limit: n }])).toArray()) as Array<{ _id: number; d: number }>;
    const whole = (await c.aggregate(pipeline([])).toArray()) as Array<{ _id: number; d: number }>;
    expect(limited).toEqual(whole.slice(0, n));
    return limited;
  }

  it("finds matches far out when nothing near the centre matches (sparse centre, dense surroundings)", async () => {
    // 400 records due north every 25 m; only those from 7.5 km on are of kind "b".
    const docs = Array.from({ length: 400 }, (_, i) => ({ _id: i, kind: i >= 300 ? "b" : "a", location: at(north(i * 25)) }));
    const c = await stored(docs);
    const found = await page(c, { query: { kind: "b" } }, 3);
    expect(found.map((d) => d._id)).toEqual([300, 301, 302]);
    const near = { location: { $nearSphere: { $geometry: centre } } };
    expect(
      (
        await c
          .find({ ...near, kind: "b" })
          .limit(2)
          .toArray()
      ).map((d) => d._id),
    ).toEqual([300, 301]);
    // Without a condition the walk stops in its first rings: far fewer index entries read than the collection holds.
    const explained = await c.find(near).limit(5).explain("executionStats");
    expect(explained.executionStats.nReturned).toBe(5);
    expect(explained.executionStats.totalKeysExamined).toBeLessThan(40);
  });

  it("keeps a match lying exactly on a ring's radius in that ring, and one just beyond it in the next", async () => {
    const radius = FIRST_RING_METERS * 2;
    const [on, beyond] = boundary(radius);
    const docs = [
      { _id: 1, kind: "a", location: at(north(radius / 2)) },
      { _id: 2, kind: "b", location: at(beyond) },
      { _id: 3, kind: "b", location: at(on) },
      { _id: 4, kind: "b", location: at(north(radius * 3)) },
    ];
    const c = await stored(docs);
    const found = await page(c, { query: { kind: "b" } }, 2);
    expect(found.map((d) => d._id)).toEqual([3, 2]);
    expect(found[0].d).toBeLessThanOrEqual(radius);
    expect(found[1].d).toBeGreaterThan(radius);
    expect((await page(c, { query: { kind: "b" } }, 1)).map((d) => d._id)).toEqual([3]);
    // maxDistance is inclusive at the boundary, as MongoDB's.
    expect((await page(c, { query: { kind: "b" }, maxDistance: radius }, 5)).map((d) => d._id)).toEqual([3]);
  });

  it("returns every record tied at the last distance, in different cells or on a ring's radius, so the _id sort is exact", async () => {
    const radius = FIRST_RING_METERS * 4;
    const [on] = boundary(radius);
    // The centre's longitude and 2^-8 degrees are exact binary numbers: east and west of it lie at exactly the same distance (about 350 m).
    const [east, west] = [CENTRE.lng + 2 ** -8, CENTRE.lng - 2 ** -8];
    const docs = [
      ...[14, 10, 11].map((_id) => ({ _id, kind: "b", location: at(CENTRE.lat, east) })),
      ...[12, 13].map((_id) => ({ _id, kind: "b", location: at(CENTRE.lat, west) })),
      ...[31, 30].map((_id) => ({ _id, kind: "b", location: at(on) })),
      { _id: 20, kind: "b", location: at(north(radius / 3)) },
      { _id: 21, kind: "b", location: at(north(radius / 2)) },
      { _id: 22, kind: "b", location: at(north(radius * 1.5)) },
    ];
    const c = await stored(docs);
    const sameDistance = await page(c, {}, 7);
    expect(sameDistance.map((d) => d._id)).toEqual([20, 21, 10, 11, 12, 13, 14]);
    expect(new Set(sameDistance.slice(2).map((d) => d.d)).size).toBe(1);
    // The limit ends inside each tie group (ids stored in reverse): the smallest ids of the group come first.
    expect((await page(c, {}, 4)).map((d) => d._id)).toEqual([20, 21, 10, 11]);
    expect((await page(c, {}, 8)).map((d) => d._id)).toEqual([20, 21, 10, 11, 12, 13, 14, 30]);
    expect((await page(c, {}, 10)).map((d) => d._id)).toEqual([20, 21, 10, 11, 12, 13, 14, 30, 31, 22]);
    const found = await c
      .find({ location: { $nearSphere: { $geometry: centre } } })
      .limit(3)
      .toArray();
    expect(found.map((d) => d._id).slice(0, 2)).toEqual([20, 21]);
    expect([10, 11, 12, 13, 14]).toContain(found[2]._id);
  });

  it("honours minDistance and maxDistance in metres, and a legacy pair's in radians", async () => {
    const docs = Array.from({ length: 120 }, (_, i) => ({ _id: i, kind: i % 2 === 0 ? "a" : "b", location: at(north(i * 50)) }));
    const c = await stored(docs);
    expect((await page(c, { query: { kind: "b" }, minDistance: 1_000, maxDistance: 1_400 }, 10)).map((d) => d._id)).toEqual([21, 23, 25, 27]);
    expect((await page(c, { minDistance: 2_475, maxDistance: 2_625 }, 2)).map((d) => d._id)).toEqual([50, 51]);
    expect(await page(c, { maxDistance: 40 }, 3)).toEqual([{ _id: 0, d: 0 }]);
    const radians = (meters: number) => meters / EARTH_RADIUS_METERS;
    const legacy = await c
      .find({ kind: "a", location: { $nearSphere: [CENTRE.lng, CENTRE.lat], $minDistance: radians(3_020), $maxDistance: radians(5_000) } })
      .limit(3)
      .toArray();
    expect(legacy.map((d) => d._id)).toEqual([62, 64, 66]);
  });

  it("applies $geoNear's query while walking, and returns every match when the limit is larger than the matches", async () => {
    // Records in every direction up to 3 km; kind "b" for one in seven.
    const docs = Array.from({ length: 700 }, (_, i) => {
      const [meters, bearing] = [(i * 37) % 3_000, (i * 47) % 360];
      const rad = (bearing * Math.PI) / 180;
      const lat = CENTRE.lat + (meters / EARTH_RADIUS_METERS) * (180 / Math.PI) * Math.cos(rad);
      const lng = CENTRE.lng + ((meters / EARTH_RADIUS_METERS) * (180 / Math.PI) * Math.sin(rad)) / Math.cos((CENTRE.lat * Math.PI) / 180);
      return { _id: i, kind: i % 7 === 0 ? "b" : "a", location: at(lat, lng) };
    });
    const c = await stored(docs);
    const byQuery = await page(c, { query: { kind: "b" }, maxDistance: 2_000 }, 6);
    expect(byQuery).toHaveLength(6);
    expect(byQuery.every((d) => d._id % 7 === 0)).toBe(true);
    const all = await page(c, { query: { kind: "b" }, maxDistance: 2_000 }, 500);
    expect(all.map((d) => d._id).sort((x, y) => x - y)).toEqual(
      docs
        .filter((d) => d.kind === "b" && distanceMeters(CENTRE, { lng: d.location.coordinates[0], lat: d.location.coordinates[1] }) <= 2_000)
        .map((d) => d._id),
    );
    expect(all.length).toBeLessThan(100);
  });

  it("returns each record once through a compound 2dsphere index holding an array (several entries per record)", async () => {
    const c = engine.db.collection<Spot & { tags: string[] }>("compound");
    await c.insertMany(Array.from({ length: 60 }, (_, i) => ({ _id: 59 - i, kind: "b", tags: ["x", "y", `t${i % 3}`], location: at(north((59 - i) * 40)) })));
    await c.createIndex({ location: "2dsphere", tags: 1 });
    const near = { location: { $nearSphere: { $geometry: centre, $maxDistance: 1_000 } } };
    expect((await c.find(near).limit(4).toArray()).map((d) => d._id)).toEqual([0, 1, 2, 3]);
    expect(
      (
        await c
          .find({ ...near, tags: "t0" })
          .limit(3)
          .toArray()
      ).map((d) => d._id),
    ).toEqual([2, 5, 8]);
    expect(await c.countDocuments({ location: { $geoWithin: { $centerSphere: [centre.coordinates, 1_000 / EARTH_RADIUS_METERS] } } })).toBe(26);
    expect((await c.find(near).toArray()).map((d) => d._id)).toEqual(Array.from({ length: 26 }, (_, i) => i));
  });

  it("lets a smaller indexed condition drive: from the start, or for the rest of the walk (its records beyond the rings read)", async () => {
    // 3,000 records of kind "a" within 600 m of the centre. Kind "few": four, one at 30 m and three far out; kind
    // "some": 400 (more than a source may hold to drive from the start), one at 30 m and the others 6 km and farther.
    const docs = Array.from({ length: 3_000 }, (_, i) => ({ _id: i, kind: "a", location: at(north((i * 600) / 3_000), CENTRE.lng + ((i % 13) - 6) * 0.0005) }));
    for (const [_id, meters] of [
      [5_000, 30],
      [5_001, 6_000],
      [5_002, 9_000],
      [5_003, 7_000],
    ])
      docs.push({ _id, kind: "few", location: at(north(meters)) });
    for (let i = 0; i < 400; i++) docs.push({ _id: 6_000 + i, kind: "some", location: at(north(i === 0 ? 30 : 9_000 - i * 5)) });
    const c = await stored(docs);
    const explain = (kind: string) =>
      c
        .find({ kind, location: { $nearSphere: { $geometry: centre } } })
        .limit(3)
        .explain("executionStats");
    expect((await page(c, { query: { kind: "few" } }, 3)).map((d) => d._id)).toEqual([5_000, 5_001, 5_003]);
    expect((await explain("few")).queryPlanner.winningPlan.indexName).toBe("kind_1");
    expect((await page(c, { query: { kind: "some" } }, 3)).map((d) => d._id)).toEqual([6_000, 6_399, 6_398]);
    const some = await explain("some");
    expect(some.queryPlanner.winningPlan.indexName).toBe("location_2dsphere,kind_1");
    expect(some.executionStats.nReturned).toBe(3);
    expect(some.executionStats.totalDocsExamined).toBeLessThan(3_000);
  });
});

describe("validators are applied on insert and update with DocumentValidationFailure (121)", () => {
  const schema = {
    $jsonSchema: {
      bsonType: "object",
      required: ["name", "age"],
      properties: {
        name: { bsonType: "string", minLength: 1 },
        age: { bsonType: "int", minimum: 0, maximum: 130 },
        tags: { bsonType: "array", items: { bsonType: "string" } },
      },
    },
  };

  it("refuses an invalid insert, update, replacement and upsert, and accepts valid ones", async () => {
    await engine.db.createCollection("people", { validator: schema });
    const c = engine.db.collection("people");
    await c.insertOne({ _id: 1 as never, name: "佐藤", age: 80 });
    await expect(c.insertOne({ name: "鈴木" })).rejects.toMatchObject({
      code: 121,
      errInfo: expect.objectContaining({ failingDocumentId: expect.anything() }),
    });
    await expect(c.insertOne({ name: "鈴木", age: 80.5 })).rejects.toMatchObject({ code: 121 });
    await expect(c.insertOne({ name: "鈴木", age: 140 })).rejects.toMatchObject({ code: 121 });
    await expect(c.insertOne({ name: "鈴木", age: 70, tags: [1] })).rejects.toMatchObject({ code: 121 });
    await expect(c.updateOne({ _id: 1 as never }, { $set: { age: "old" } })).rejects.toMatchObject({ code: 121 });
    await expect(c.replaceOne({ _id: 1 as never }, { name: "佐藤" })).rejects.toMatchObject({ code: 121 });
    await expect(c.updateOne({ name: "高橋" }, { $set: { age: -1 } }, { upsert: true })).rejects.toMatchObject({ code: 121 });
    await expect(c.findOneAndUpdate({ _id: 1 as never }, { $unset: { name: "" } })).rejects.toMatchObject({ code: 121 });
    await c.updateOne({ _id: 1 as never }, { $inc: { age: 1 } });
    expect(await c.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ name: "佐藤", age: 81 }]);
    // bypassDocumentValidation lets a write through, as MongoDB does.
    await c.insertOne({ _id: 2 as never, name: "例外" }, { bypassDocumentValidation: true });
    expect(await c.countDocuments()).toBe(2);
  });

  it("applies query-operator validators, validationLevel moderate, validationAction warn, and collMod", async () => {
    await engine.db.createCollection("beds", { validator: { free: { $gte: 0 }, ward: { $in: ["east", "west"] } } });
    const c = engine.db.collection("beds");
    await expect(c.insertOne({ free: -1, ward: "east" })).rejects.toMatchObject({ code: 121 });
    await c.insertOne({ _id: 1 as never, free: 1, ward: "east" });
    await c.insertOne({ _id: 2 as never, free: -5, ward: "north" }, { bypassDocumentValidation: true });

    await engine.db.command({ collMod: "beds", validationLevel: "moderate" });
    // Moderate: an already-invalid document may be updated and stay invalid; a valid one may not become invalid.
    await c.updateOne({ _id: 2 as never }, { $set: { free: -6 } });
    await expect(c.updateOne({ _id: 1 as never }, { $set: { free: -1 } })).rejects.toMatchObject({ code: 121 });

    await engine.db.command({ collMod: "beds", validationAction: "warn" });
    await c.insertOne({ _id: 3 as never, free: -1, ward: "south" });
    expect(await c.countDocuments()).toBe(3);

    await engine.db.command({ collMod: "beds", validator: { free: { $lte: 10 } }, validationAction: "error", validationLevel: "strict" });
    await expect(c.insertOne({ free: 11, ward: "east" })).rejects.toMatchObject({ code: 121 });
    const [info] = await engine.db.listCollections({ name: "beds" }).toArray();
    expect((info as { options: Record<string, unknown> }).options).toMatchObject({
      validator: { free: { $lte: 10 } },
      validationLevel: "strict",
      validationAction: "error",
    });
    await expect(engine.db.command({ collMod: "beds", validationLevel: "sometimes" })).rejects.toMatchObject({ code: 2 });
    await expect(engine.db.createCollection("bad", { validator: { $jsonSchema: { format: "email" } } })).rejects.toMatchObject({ code: 9 });
  });
});

describe("what MongoDB 7 does with let, pipeline updates and collations", () => {
  it("evaluates let variables in find, aggregate, update, delete and findOneAndUpdate", async () => {
    const c = engine.db.collection("letters");
    await c.insertMany([
      { _id: 1 as never, qty: 5 },
      { _id: 2 as never, qty: 15 },
      { _id: 3 as never, qty: 25 },
    ]);
    const over = { $expr: { $gt: ["$qty", "$$limit"] } };
    expect((await c.find(over, { let: { limit: 10 } }).toArray()).map((d) => d._id)).toEqual([2, 3]);
    expect(await c.aggregate([{ $match: over }, { $count: "n" }], { let: { limit: { $add: [10, 10] } } }).toArray()).toEqual([{ n: 1 }]);
    await c.updateMany(over, [{ $set: { big: "$$flag" } }], { let: { limit: 20, flag: true } });
    expect((await c.find({ big: true }).toArray()).map((d) => d._id)).toEqual([3]);
    const updated = await c.findOneAndUpdate(
      { $expr: { $eq: ["$_id", "$$target"] } },
      { $set: { seen: true } },
      { let: { target: 1 }, returnDocument: "after" },
    );
    expect(updated).toEqual({ _id: 1, qty: 5, seen: true });
    await c.deleteMany({ $expr: { $lt: ["$qty", "$$floor"] } }, { let: { floor: 10 } });
    expect(await c.countDocuments()).toBe(2);
  });

  it("keeps _id when a pipeline update replaces the document without it", async () => {
    const c = engine.db.collection("replaced");
    await c.insertOne({ _id: 7 as never, a: 1, b: 2 });
    await c.updateOne({ _id: 7 as never }, [{ $replaceWith: { a: { $add: ["$a", 1] } } }]);
    expect(await c.findOne({})).toEqual({ _id: 7, a: 2 });
    await c.updateOne({ _id: 7 as never }, [{ $project: { _id: 0, a: 1 } }]);
    expect(await c.findOne({})).toEqual({ _id: 7, a: 2 });
  });

  it("refuses capped, time-series and clustered collections it does not implement (InvalidOptions, 72)", async () => {
    await expect(engine.db.createCollection("capped", { capped: true, size: 4096 })).rejects.toMatchObject({ code: 72 });
    await expect(engine.db.createCollection("series", { timeseries: { timeField: "t" } })).rejects.toMatchObject({ code: 72 });
    await expect(engine.db.createCollection("clustered", { clusteredIndex: { key: { _id: 1 }, unique: true } })).rejects.toMatchObject({ code: 72 });
    expect(await engine.db.listCollections().toArray()).toEqual([]);
  });
});

describe("find projections", () => {
  it("return the included or kept fields in the document's order, _id first, for find and findOneAndUpdate", async () => {
    const c = engine.db.collection("projections");
    await c.insertOne({ _id: 1 as never, b: 2, a: { x: 1 }, c: [1, 2], d: 4 });
    const keys = async (projection: Document): Promise<string[]> => Object.keys((await c.findOne({}, { projection }))!);
    expect(await keys({ d: 1, a: 1 })).toEqual(["_id", "a", "d"]);
    expect(await keys({ d: true, _id: false, missing: 1 })).toEqual(["d"]);
    expect(await keys({ d: 0, b: 0 })).toEqual(["_id", "a", "c"]);
    expect(await keys({ _id: 0 })).toEqual(["b", "a", "c", "d"]);
    expect(await keys({ _id: 1 })).toEqual(["_id"]);
    expect(await c.findOne({}, { projection: { c: 1, a: 1 } })).toEqual({ _id: 1, a: { x: 1 }, c: [1, 2] });
    const updated = await c.findOneAndUpdate({ d: 4 }, { $set: { d: 5 } }, { returnDocument: "after", projection: { d: 1, b: 1 } });
    expect(Object.entries(updated!)).toEqual([
      ["_id", 1],
      ["b", 2],
      ["d", 5],
    ]);
  });

  it("refuse inclusion mixed with exclusion with MongoDB's error", async () => {
    const c = engine.db.collection("projections");
    await c.insertOne({ _id: 1 as never, a: 1, b: 2 });
    await expect(c.findOne({}, { projection: { a: 1, b: 0 } })).rejects.toMatchObject({
      code: 31254,
      message: "Cannot do exclusion on field b in inclusion projection",
    });
    await expect(c.findOne({}, { projection: { _id: 1, a: 0, b: true } })).rejects.toMatchObject({
      code: 31253,
      message: "Cannot do inclusion on field b in exclusion projection",
    });
  });
});

describe("dollar-prefixed field names (MongoDB 5.0+)", () => {
  it("are stored by inserts, top level and nested, kept by updates of other fields and read with $getField", async () => {
    const c = engine.db.collection("dollars");
    const book = { _id: 1, $price: 50, quantity: 30, location: { $db: "novels", $ref: "2007042768", $inc: true } };
    await c.insertOne(book as never);
    expect(await c.findOne({ _id: 1 as never })).toEqual(book);
    await c.updateOne({ _id: 1 as never }, { $set: { quantity: 31 } });
    expect(await c.findOne({ _id: 1 as never })).toEqual({ ...book, quantity: 31 });
    expect(await c.aggregate([{ $match: { _id: 1 } }, { $project: { _id: 0, price: { $getField: { $literal: "$price" } } } }]).toArray()).toEqual([
      { price: 50 },
    ]);
    // MongoDB's upsert would insert a $-prefixed field named in $set; the engine's update operators refuse it, with the code MongoDB uses for such fields.
    await expect(c.updateOne({ date: "2021-07-07" }, { $set: { phone: 25.17, $hotel: 320.1 } }, { upsert: true })).rejects.toMatchObject({ code: 52 });
    expect(await c.countDocuments({ date: "2021-07-07" })).toBe(0);
  });

  it("refuses an update that adds a top-level one ($set in an upsert, $setField in a pipeline) with 52, the document unchanged", async () => {
    const c = engine.db.collection("dollars");
    await c.insertOne({ _id: 2 as never, date: "2021-07-08", phone: 1 });
    await expect(c.updateOne({ date: "2021-07-08" }, { $set: { phone: 2, $hotel: 320.1 } }, { upsert: true })).rejects.toMatchObject({ code: 52 });
    const addsOne = [{ $replaceWith: { $setField: { field: { $literal: "$hotel" }, input: "$$ROOT", value: 1 } } }];
    await expect(c.updateOne({ _id: 2 as never }, addsOne)).rejects.toMatchObject({ code: 52 });
    expect(await c.findOne({ _id: 2 as never })).toEqual({ _id: 2, date: "2021-07-08", phone: 1 });
  });
});
