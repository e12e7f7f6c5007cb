// Collation (simple, en, ja; strengths 1-3; collection, index and unique-index collations) and read-only views, as MongoDB 7 documents them, through the driver.
import { Decimal128, Double, Int32, Long, type CollationOptions, type Document } from "mongodb";
import { databasePerTest } from "./helpers";

const engine = databasePerTest("collation");

const en2 = { locale: "en", strength: 2 };

/** The stage names of an explain's winning plan, outermost first. */
function stagesOf(explained: Document): string[] {
  const stages: string[] = [];
  for (let plan = explained.queryPlanner.winningPlan; plan; plan = plan.inputStage) stages.push(plan.stage);
  return stages;
}

describe("collation on reads: strength 1 ignores case and accents, 2 ignores case, 3 (the default) tells both", () => {
  beforeEach(async () => {
    await engine.db.collection("words").insertMany([
      { _id: 1, x: "ping" },
      { _id: 2, x: "PING" },
      { _id: 3, x: "Ping" },
      { _id: 4, x: "café" },
      { _id: 5, x: "CAFE" },
      { _id: 6, x: "cafe" },
    ] as never[]);
  });

  it("find matches by the strength asked for", async () => {
    const words = engine.db.collection("words");
    const ids = async (filter: Document, collation?: CollationOptions): Promise<unknown[]> =>
      (await words.find(filter, { collation, sort: { _id: 1 } }).toArray()).map((doc) => doc._id);
    expect(await ids({ x: "PING" })).toEqual([2]);
    expect(await ids({ x: "PING" }, en2)).toEqual([1, 2, 3]);
    expect(await ids({ x: "PING" }, { locale: "en", strength: 3 })).toEqual([2]);
    expect(await ids({ x: "cafe" }, { locale: "en", strength: 1 })).toEqual([4, 5, 6]);
    expect(await ids({ x: "cafe" }, en2)).toEqual([5, 6]);
    expect(await ids({ x: { $in: ["ping", "CAFÉ"] } }, en2)).toEqual([1, 2, 3, 4]);
    expect(await ids({ x: { $ne: "ping" } }, en2)).toEqual([4, 5, 6]);
    expect(await ids({ x: { $gte: "PING" } }, en2)).toEqual([1, 2, 3]);
    expect(await ids({ x: "ping" }, { locale: "en", strength: 1, caseLevel: true })).toEqual([1]);
    // A projection keeps every document the collation matched (it is not matched again comparing binary).
    expect(await words.find({ x: { $in: ["PING", "nothing"] } }, { collation: en2, projection: { _id: 0, x: 1 }, sort: { _id: 1 } }).toArray()).toEqual([
      { x: "ping" },
      { x: "PING" },
      { x: "Ping" },
    ]);
  });

  it("count, distinct and aggregate's $match and $sort use the collation", async () => {
    const words = engine.db.collection("words");
    expect(await words.countDocuments({ x: "ping" }, { collation: en2 })).toBe(3);
    expect(await words.countDocuments({ x: "ping" })).toBe(1);
    const distinct = await words.distinct("x", { x: { $in: ["ping", "cafe"] } }, { collation: en2 });
    expect(distinct).toHaveLength(2);
    const aggregated = await words
      .aggregate([{ $match: { x: "Cafe" } }, { $sort: { _id: -1 } }, { $project: { _id: 1 } }], { collation: { locale: "en", strength: 1 } })
      .toArray();
    expect(aggregated).toEqual([{ _id: 6 }, { _id: 5 }, { _id: 4 }]);
  });

  it("sorts as the locale does: lower case before upper at strength 3, numbers by value with numericOrdering", async () => {
    const c = engine.db.collection("sorting");
    await c.insertMany([{ v: "b" }, { v: "A" }, { v: "a" }, { v: "B" }]);
    const order = async (collation?: CollationOptions): Promise<unknown[]> => (await c.find({}, { sort: { v: 1 }, collation }).toArray()).map((doc) => doc.v);
    expect(await order()).toEqual(["A", "B", "a", "b"]);
    expect(await order({ locale: "en" })).toEqual(["a", "A", "b", "B"]);
    expect(await order({ locale: "en", caseFirst: "upper" })).toEqual(["A", "a", "B", "b"]);
    const numbers = engine.db.collection("numbered");
    await numbers.insertMany([{ v: "10" }, { v: "9" }, { v: "2" }]);
    const byText = await numbers.find({}, { sort: { v: 1 }, collation: { locale: "en" } }).toArray();
    expect(byText.map((doc) => doc.v)).toEqual(["10", "2", "9"]);
    const byNumber = await numbers.find({}, { sort: { v: 1 }, collation: { locale: "en", numericOrdering: true } }).toArray();
    expect(byNumber.map((doc) => doc.v)).toEqual(["2", "9", "10"]);
  });

  it("ja: voiced kana differ from unvoiced only from strength 2, and kana sort by reading; en: full-width letters differ at strength 3", async () => {
    const c = engine.db.collection<{ _id: number; v: string }>("kana");
    await c.insertMany([
      { _id: 1, v: "カ" },
      { _id: 2, v: "ガ" },
      { _id: 3, v: "Ａ" },
      { _id: 4, v: "A" },
      { _id: 5, v: "い" },
      { _id: 6, v: "ア" },
    ] as never[]);
    const ids = async (filter: Document, locale: string, strength: number): Promise<unknown[]> =>
      (await c.find(filter, { collation: { locale, strength }, sort: { _id: 1 } }).toArray()).map((doc) => doc._id);
    expect(await ids({ v: "カ" }, "ja", 1)).toEqual([1, 2]);
    expect(await ids({ v: "カ" }, "ja", 2)).toEqual([1]);
    expect(await ids({ v: "ガ" }, "ja", 3)).toEqual([2]);
    expect(await ids({ v: "A" }, "en", 2)).toEqual([3, 4]);
    expect(await ids({ v: "A" }, "en", 3)).toEqual([4]);
    const sorted = await c.find({ _id: { $in: [5, 6] } }, { sort: { v: 1 }, collation: { locale: "ja" } }).toArray();
    expect(sorted.map((doc) => doc.v)).toEqual(["ア", "い"]);
  });
});

describe("collation on writes and collection defaults", () => {
  it("updateMany, deleteMany and findOneAndUpdate match by the statement's collation", async () => {
    const c = engine.db.collection("writes");
    await c.insertMany([{ x: "ping" }, { x: "PING" }, { x: "pong" }]);
    expect((await c.updateMany({ x: "Ping" }, { $set: { hit: true } }, { collation: en2 })).modifiedCount).toBe(2);
    expect((await c.updateMany({ x: "Ping" }, { $set: { miss: true } })).matchedCount).toBe(0);
    const found = await c.findOneAndUpdate({ x: "PONG" }, { $set: { y: 1 } }, { collation: en2, returnDocument: "after" });
    expect(found).toMatchObject({ x: "pong", y: 1 });
    expect((await c.deleteMany({ x: "PiNg" }, { collation: en2 })).deletedCount).toBe(2);
    expect(await c.countDocuments()).toBe(1);
  });

  it("a collection's default collation applies to operations without their own; { locale: 'simple' } overrides it", async () => {
    await engine.db.createCollection("people", { collation: en2 });
    const people = engine.db.collection("people");
    await people.insertMany([{ name: "ann" }, { name: "ANN" }, { name: "bob" }]);
    expect(await people.countDocuments({ name: "Ann" })).toBe(2);
    expect(await people.countDocuments({ name: "Ann" }, { collation: { locale: "simple" } })).toBe(0);
    expect((await people.updateMany({ name: "Ann" }, { $set: { seen: 1 } })).modifiedCount).toBe(2);
    const [info] = await engine.db.listCollections({ name: "people" }).toArray();
    expect((info as Document).options.collation).toEqual({
      locale: "en",
      caseLevel: false,
      caseFirst: "off",
      strength: 2,
      numericOrdering: false,
      alternate: "non-ignorable",
      maxVariable: "punct",
      normalization: false,
      backwards: false,
      version: "57.1",
    });
  });
});

describe("index collation", () => {
  it("a case-insensitive unique index refuses ann@x beside Ann@X with 11000", async () => {
    const users = engine.db.collection("users");
    await users.createIndex({ email: 1 }, { unique: true, collation: en2 });
    await users.insertOne({ email: "Ann@X" });
    await expect(users.insertOne({ email: "ann@x" })).rejects.toMatchObject({ code: 11000 });
    await users.insertOne({ email: "bob@x" });
    await expect(users.updateOne({ email: "bob@x" }, { $set: { email: "ANN@x" } })).rejects.toMatchObject({ code: 11000 });
    expect(await users.countDocuments()).toBe(2);
    const [, index] = await users.listIndexes().toArray();
    expect(index).toMatchObject({ key: { email: 1 }, unique: true, collation: { locale: "en", strength: 2 } });
  });

  it("creating a case-insensitive unique index over case-variant duplicates fails with 11000", async () => {
    const users = engine.db.collection("existing");
    await users.insertMany([{ email: "a@x" }, { email: "A@X" }]);
    await expect(users.createIndex({ email: 1 }, { unique: true, collation: en2 })).rejects.toMatchObject({ code: 11000 });
  });

  it("indexes and the _id index inherit the collection's default collation", async () => {
    await engine.db.createCollection("accounts", { collation: en2 });
    const accounts = engine.db.collection("accounts");
    await accounts.createIndex({ login: 1 }, { unique: true });
    await accounts.insertOne({ _id: "Key" as never, login: "Ann" });
    await expect(accounts.insertOne({ login: "ANN" })).rejects.toMatchObject({ code: 11000 });
    await expect(accounts.insertOne({ _id: "KEY" as never, login: "other" })).rejects.toMatchObject({ code: 11000 });
    const indexes = await accounts.listIndexes().toArray();
    expect(indexes.map((index) => index.collation?.strength)).toEqual([2, 2]);
  });

  it("an index serves equality and sort only under its own collation; otherwise the collection is scanned", async () => {
    const c = engine.db.collection("indexed");
    await c.createIndex({ name: 1 }, { collation: en2, name: "name_ci" });
    await c.insertMany([{ name: "b" }, { name: "A" }, { name: "a" }, { name: "B" }]);
    const matching = await c.find({ name: "A" }).collation(en2).explain("executionStats");
    expect(stagesOf(matching)).toEqual(["FETCH", "IXSCAN"]);
    expect(matching.executionStats.nReturned).toBe(2);
    const binary = await c.find({ name: "A" }).explain("executionStats");
    expect(stagesOf(binary)).toEqual(["COLLSCAN"]);
    expect(binary.executionStats.nReturned).toBe(1);
    const sortedByIndex = await c.find({}).sort({ name: 1 }).collation(en2).limit(2).explain();
    expect(stagesOf(sortedByIndex)).toEqual(["FETCH", "IXSCAN"]);
    expect(stagesOf(await c.find({}).sort({ name: 1 }).limit(2).explain())).toEqual(["SORT", "COLLSCAN"]);
    const page = await c.find({}).sort({ name: -1 }).collation(en2).toArray();
    expect(page.map((doc) => doc.name.toLowerCase())).toEqual(["b", "b", "a", "a"]);
  });
});

describe("collation options the engine does not implement are refused with MongoDB's errors", () => {
  it("answers invalid collations as MongoDB and unimplemented ones with InvalidOptions (72)", async () => {
    const c = engine.db.collection("refusals");
    await c.insertOne({ x: "a" });
    await expect(c.find({}, { collation: { locale: "not-a-locale" } }).toArray()).rejects.toMatchObject({ code: 2 });
    await expect(c.find({}, { collation: { locale: "simple", strength: 2 } }).toArray()).rejects.toMatchObject({ code: 2 });
    await expect(c.find({}, { collation: { locale: "en", strength: 9 } }).toArray()).rejects.toMatchObject({ code: 2 });
    await expect(c.find({}, { collation: { locale: "en", colour: 1 } as CollationOptions }).toArray()).rejects.toMatchObject({ code: 40415 });
    await expect(c.find({}, { collation: { strength: 2 } as unknown as CollationOptions }).toArray()).rejects.toMatchObject({ code: 40414 });
    await expect(c.find({}, { collation: { locale: "fr" } }).toArray()).rejects.toMatchObject({ code: 72 });
    await expect(c.find({}, { collation: { locale: "en", strength: 4 } }).toArray()).rejects.toMatchObject({ code: 72 });
    await expect(c.find({}, { collation: { locale: "en", alternate: "shifted" } }).toArray()).rejects.toMatchObject({ code: 72 });
    await expect(c.find({}, { collation: { locale: "en", strength: 2, caseLevel: true } }).toArray()).rejects.toMatchObject({ code: 72 });
    await expect(c.createIndex({ x: 1 }, { collation: { locale: "fr" } })).rejects.toMatchObject({ code: 72 });
    await expect(engine.db.createCollection("fr", { collation: { locale: "fr" } })).rejects.toMatchObject({ code: 72 });
  });

  it("refuses stages and operators it cannot run under a collation instead of comparing binary", async () => {
    const c = engine.db.collection("stages");
    await c.insertMany([{ x: "a" }, { x: "A" }]);
    await expect(c.aggregate([{ $group: { _id: "$x" } }], { collation: en2 }).toArray()).rejects.toMatchObject({ code: 72 });
    await expect(c.aggregate([{ $project: { same: { $eq: ["$x", "a"] } } }], { collation: en2 }).toArray()).rejects.toMatchObject({ code: 72 });
    await expect(c.find({ $expr: { $eq: ["$x", "a"] } }, { collation: en2 }).toArray()).rejects.toMatchObject({ code: 72 });
    await expect(c.updateMany({}, { $pull: { tags: "a" } as Document }, { collation: en2 })).rejects.toMatchObject({ code: 72 });
    expect(await c.aggregate([{ $match: { x: "a" } }, { $count: "n" }], { collation: en2 }).toArray()).toEqual([{ n: 2 }]);
  });
});

describe("read-only views", () => {
  beforeEach(async () => {
    await engine.db.collection("staff").insertMany([
      { _id: 1, name: "Aoki", active: true, team: "north", secret: "s1" },
      { _id: 2, name: "Baba", active: false, team: "north", secret: "s2" },
      { _id: 3, name: "Chiba", active: true, team: "south", secret: "s3" },
      { _id: 4, name: "Doi", active: true, team: "north", secret: "s4" },
    ] as never[]);
    await engine.db.createCollection("activeStaff", { viewOn: "staff", pipeline: [{ $match: { active: true } }, { $project: { secret: 0 } }] });
  });

  it("find, count, distinct and aggregate run the view's pipeline first", async () => {
    const view = engine.db.collection<Document>("activeStaff");
    expect(await view.find({ team: "north" }, { sort: { name: -1 } }).toArray()).toEqual([
      { _id: 4, name: "Doi", active: true, team: "north" },
      { _id: 1, name: "Aoki", active: true, team: "north" },
    ]);
    expect(await view.find({}, { sort: { _id: 1 }, skip: 1, limit: 1, projection: { name: 1, _id: 0 } }).toArray()).toEqual([{ name: "Chiba" }]);
    expect(await view.countDocuments({ team: "north" })).toBe(2);
    expect(await view.estimatedDocumentCount()).toBe(3);
    expect((await view.distinct("team")).sort()).toEqual(["north", "south"]);
    expect(await view.aggregate([{ $group: { _id: "$team", n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray()).toEqual([
      { _id: "north", n: 2 },
      { _id: "south", n: 1 },
    ]);
  });

  it("a view over a view, and $lookup from a view, read through both pipelines", async () => {
    await engine.db.createCollection("northActive", { viewOn: "activeStaff", pipeline: [{ $match: { team: "north" } }] });
    expect(
      await engine.db
        .collection("northActive")
        .find({}, { sort: { _id: 1 } })
        .toArray(),
    ).toEqual([
      { _id: 1, name: "Aoki", active: true, team: "north" },
      { _id: 4, name: "Doi", active: true, team: "north" },
    ]);
    await engine.db.collection("teams").insertOne({ _id: "north" as never });
    const joined = await engine.db
      .collection("teams")
      .aggregate([{ $lookup: { from: "northActive", localField: "_id", foreignField: "team", as: "members" } }])
      .toArray();
    expect(joined[0].members.map((member: Document) => member.name)).toEqual(["Aoki", "Doi"]);
  });

  it("writes and index changes on a view fail with CommandNotSupportedOnView (166)", async () => {
    const view = engine.db.collection<{ _id: number; name: string }>("activeStaff");
    await expect(view.insertOne({ _id: 9, name: "x" })).rejects.toMatchObject({ code: 166 });
    await expect(view.updateOne({ _id: 1 }, { $set: { name: "y" } })).rejects.toMatchObject({ code: 166 });
    await expect(view.deleteMany({})).rejects.toMatchObject({ code: 166 });
    await expect(view.findOneAndUpdate({ _id: 1 }, { $set: { name: "y" } })).rejects.toMatchObject({ code: 166 });
    await expect(view.createIndex({ name: 1 })).rejects.toMatchObject({ code: 166 });
    await expect(
      engine.db
        .collection("staff")
        .aggregate([{ $out: "activeStaff" }])
        .toArray(),
    ).rejects.toMatchObject({ code: 166 });
    expect(await engine.db.collection("staff").countDocuments()).toBe(4);
  });

  it("listCollections reports the view with its options, and dropping it leaves the source", async () => {
    const [info] = await engine.db.listCollections({ name: "activeStaff" }).toArray();
    expect(info).toMatchObject({
      name: "activeStaff",
      type: "view",
      options: { viewOn: "staff", pipeline: [{ $match: { active: true } }, { $project: { secret: 0 } }] },
      info: { readOnly: true },
    });
    expect(await engine.db.collection<Document>("activeStaff").drop()).toBe(true);
    expect((await engine.db.listCollections({}, { nameOnly: true }).toArray()).map((entry) => entry.name)).toEqual(["staff"]);
    expect(await engine.db.collection("staff").countDocuments()).toBe(4);
  });

  it("a view's collation is its default and cannot be overridden (167)", async () => {
    await engine.db.createCollection("byName", { viewOn: "staff", pipeline: [], collation: en2 });
    const view = engine.db.collection("byName");
    expect(await view.countDocuments({ name: "AOKI" })).toBe(1);
    await expect(view.find({ name: "AOKI" }, { collation: { locale: "en", strength: 1 } }).toArray()).rejects.toMatchObject({ code: 167 });
  });
});

describe("aggregation keeps ObjectIds and number types as MongoDB", () => {
  it("$toString and $convert to string give an ObjectId's 24 hex digits", async () => {
    const c = engine.db.collection("ids");
    const { insertedId } = await c.insertOne({ n: 1 });
    const [doc] = await c
      .aggregate([{ $project: { _id: 0, text: { $toString: "$_id" }, converted: { $convert: { input: "$_id", to: "string" } } } }])
      .toArray();
    expect(doc).toEqual({ text: insertedId.toHexString(), converted: insertedId.toHexString() });
  });

  it("$sum and $add of longs give a long, an int32 overflow in $sum a long, and doubles stay doubles", async () => {
    const c = engine.db.collection("amounts");
    await c.insertMany([
      { g: "long", v: Long.fromNumber(5) },
      { g: "long", v: Long.fromNumber(7) },
      { g: "int", v: 2147483647 },
      { g: "int", v: 1 },
      { g: "double", v: new Double(1.5) },
      { g: "double", v: 2 },
    ]);
    const totals = await c
      .aggregate([{ $group: { _id: "$g", total: { $sum: "$v" } } }, { $sort: { _id: 1 } }], { promoteLongs: false, promoteValues: false })
      .toArray();
    expect(totals.map((row) => [row._id, row.total])).toEqual([
      ["double", new Double(3.5)],
      ["int", Long.fromNumber(2147483648)],
      ["long", Long.fromNumber(12)],
    ]);
    const [added] = await c
      .aggregate([{ $match: { g: "long" } }, { $group: { _id: null, a: { $first: "$v" } } }, { $project: { _id: 0, sum: { $add: ["$a", "$a", 1] } } }], {
        promoteLongs: false,
        promoteValues: false,
      })
      .toArray();
    expect(added).toEqual({ sum: Long.fromNumber(11) });
    const [expressions] = await engine.db
      .collection("lists")
      .aggregate([
        { $documents: [{ list: [1, 2, 3], a: 4, b: 9 }] },
        { $project: { total: { $sum: "$list" }, least: { $min: ["$a", "$b"] }, most: { $max: "$list" } } },
      ])
      .toArray();
    expect(expressions).toEqual({ total: 6, least: 4, most: 3 });
  });

  it("$avg and $divide give doubles, $multiply and $subtract keep the wider type and widen an int32 overflow to a long", async () => {
    await engine.db.collection("arithmetic").insertOne({ a: 4, b: 2, big: 2147483647, l: Long.fromNumber(3) });
    const [row] = await engine.db
      .collection("arithmetic")
      .aggregate(
        [
          {
            $project: {
              quotient: { $divide: ["$a", "$b"] },
              product: { $multiply: ["$big", 2] },
              longProduct: { $multiply: ["$l", 2] },
              difference: { $subtract: ["$l", 1] },
              intDifference: { $subtract: ["$a", "$b"] },
              _id: 0,
            },
          },
        ],
        { promoteLongs: false, promoteValues: false },
      )
      .toArray();
    expect(row).toEqual({
      quotient: new Double(2),
      product: Long.fromNumber(4294967294),
      longProduct: Long.fromNumber(6),
      difference: Long.fromNumber(2),
      intDifference: new Int32(2),
    });
    const c = engine.db.collection("averages");
    await c.insertMany([{ v: 1 }, { v: 3 }]);
    const [average] = await c.aggregate([{ $group: { _id: null, avg: { $avg: "$v" } } }], { promoteValues: false }).toArray();
    expect(average.avg).toEqual(new Double(2));
  });

  it("$type inside $expr tells int, long, double and decimal apart", async () => {
    const c = engine.db.collection("typed");
    await c.insertMany([
      { _id: 1, v: 1 },
      { _id: 2, v: Long.fromNumber(1) },
      { _id: 3, v: new Double(1) },
      { _id: 4, v: Decimal128.fromString("1") },
    ] as never[]);
    const types = await c.aggregate([{ $project: { t: { $type: "$v" } } }, { $sort: { _id: 1 } }]).toArray();
    expect(types.map((row) => row.t)).toEqual(["int", "long", "double", "decimal"]);
    const longs = await c.find({ $expr: { $eq: [{ $type: "$v" }, "long"] } }).toArray();
    expect(longs.map((row) => row._id)).toEqual([2]);
  });
});

describe("$group accumulators over expressions and $$ROOT", () => {
  test("each value is computed on its own document, as MongoDB's $group documents", async () => {
    const members = engine.db.collection<{ _id: number; name: string; team: string; affiliation?: { name: string } }>("members");
    await members.insertMany([
      { _id: 1, name: "a", team: "x", affiliation: { name: "R" } },
      { _id: 2, name: "b", team: "x" },
      { _id: 3, name: "c", team: "y" },
    ]);
    const groups = await members
      .aggregate([
        { $sort: { _id: 1 } },
        {
          $group: {
            _id: "$team",
            first: { $first: { $ifNull: ["$affiliation.name", "none"] } },
            names: { $push: { $concat: ["$name", "!"] } },
            everyone: { $push: "$$ROOT" },
            last: { $last: "$$ROOT" },
          },
        },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(groups).toEqual([
      {
        _id: "x",
        first: "R",
        names: ["a!", "b!"],
        everyone: [
          { _id: 1, name: "a", team: "x", affiliation: { name: "R" } },
          { _id: 2, name: "b", team: "x" },
        ],
        last: { _id: 2, name: "b", team: "x" },
      },
      { _id: "y", first: "none", names: ["c!"], everyone: [{ _id: 3, name: "c", team: "y" }], last: { _id: 3, name: "c", team: "y" } },
    ]);
  });
});
