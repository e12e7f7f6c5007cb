// The engine driven through mongoose models: validation, unique indexes, populate, lean, aggregation, geo, transactions.
import { Double, Long } from "mongodb";
import { Mongoose, Schema, Types } from "mongoose";
import { startEmbeddedMongo, type EmbeddedMongo } from "../src/index";

let engine: EmbeddedMongo;
const mongoose = new Mongoose({ strictQuery: true });

const officeSchema = new Schema({
  name: { type: String, required: true, maxlength: 100 },
  careOfficeNumber: { type: String, required: true, unique: true, match: /^\d{10}$/ },
  district: String,
  location: { type: { type: String, enum: ["Point"], required: true }, coordinates: { type: [Number], required: true } },
});
officeSchema.index({ location: "2dsphere" });
const managerSchema = new Schema({ name: String, office: { type: Schema.Types.ObjectId, ref: "Office" }, caseload: Number });

const Office = mongoose.model("Office", officeSchema);
const Manager = mongoose.model("Manager", managerSchema);

// Around Komatsu station (136.4525E, 36.4080N).
const station: [number, number] = [136.4525, 36.408];
const offices: Array<{ name: string; careOfficeNumber: string; district: string; location: { type: "Point"; coordinates: [number, number] } }> = [
  { name: "駅前居宅介護支援事業所", careOfficeNumber: "1770100011", district: "中央", location: { type: "Point", coordinates: [136.453, 36.4085] } },
  { name: "粟津ケアプランセンター", careOfficeNumber: "1770100029", district: "南部", location: { type: "Point", coordinates: [136.47, 36.37] } },
  { name: "安宅居宅介護支援センター", careOfficeNumber: "1770100037", district: "北部", location: { type: "Point", coordinates: [136.43, 36.44] } },
];

beforeAll(async () => {
  engine = await startEmbeddedMongo({ log: () => undefined });
  await mongoose.connect(engine.connectionString("mongoose"), { serverSelectionTimeoutMS: 5000 });
  await Office.init();
  await Manager.init();
  const created = await Office.insertMany(offices);
  await Manager.insertMany([
    { name: "山田", office: created[0]._id, caseload: 30 },
    { name: "中村", office: created[0]._id, caseload: 25 },
    { name: "小林", office: created[1]._id, caseload: 38 },
  ]);
});
afterAll(async () => {
  await mongoose.disconnect();
  await engine.stop();
});

it("validates documents against the schema before they reach the engine", async () => {
  await expect(Office.create({ name: "x", careOfficeNumber: "12", location: { type: "Point", coordinates: [136, 36] } })).rejects.toMatchObject({
    name: "ValidationError",
  });
});

it("enforces the unique index with code 11000", async () => {
  await expect(Office.create({ ...offices[0], name: "重複" })).rejects.toMatchObject({ code: 11000, keyValue: { careOfficeNumber: "1770100011" } });
  expect(await Office.countDocuments()).toBe(3);
});

it("populates references and returns lean objects", async () => {
  const managers = await Manager.find().sort({ caseload: -1 }).populate("office", "name").lean();
  expect(managers.map((m) => [m.name, (m.office as unknown as { name: string }).name])).toEqual([
    ["小林", "粟津ケアプランセンター"],
    ["山田", "駅前居宅介護支援事業所"],
    ["中村", "駅前居宅介護支援事業所"],
  ]);
  expect(managers[0]._id).toBeInstanceOf(Types.ObjectId);
});

it("aggregates with $lookup and $group", async () => {
  const perOffice = await Office.aggregate([
    { $lookup: { from: "managers", localField: "_id", foreignField: "office", as: "staff" } },
    { $project: { _id: 0, name: 1, open: { $sum: "$staff.caseload" } } },
    { $sort: { open: -1 } },
  ]);
  expect(perOffice).toEqual([
    { name: "駅前居宅介護支援事業所", open: 55 },
    { name: "粟津ケアプランセンター", open: 38 },
    { name: "安宅居宅介護支援センター", open: 0 },
  ]);
  const byDistrict = await Office.aggregate([{ $group: { _id: "$district", n: { $sum: 1 } } }, { $sort: { _id: 1 } }]);
  expect(byDistrict).toEqual([
    { _id: "中央", n: 1 },
    { _id: "北部", n: 1 },
    { _id: "南部", n: 1 },
  ]);
});

it("answers $near with $maxDistance in metres, nearest first", async () => {
  const near = await Office.find({ location: { $near: { $geometry: { type: "Point", coordinates: station }, $maxDistance: 4300 } } }).lean();
  expect(near.map((o) => o.name)).toEqual(["駅前居宅介護支援事業所", "安宅居宅介護支援センター"]);
});

it("computes $geoNear distances in metres on MongoDB's earth radius", async () => {
  const withDistance = await Office.aggregate([
    { $geoNear: { near: { type: "Point", coordinates: station }, distanceField: "meters", spherical: true } },
    { $project: { _id: 0, name: 1, meters: 1 } },
  ]);
  expect(withDistance.map((o) => o.name)).toEqual(["駅前居宅介護支援事業所", "安宅居宅介護支援センター", "粟津ケアプランセンター"]);
  // Independent figures: haversine on a sphere of radius 6,378.1 km, computed outside the engine.
  [71.446, 4092.801, 4511.451].forEach((meters, i) => expect(withDistance[i].meters).toBeCloseTo(meters, 2));
});

it("answers $geoWithin with $centerSphere, $box, $polygon and $geometry", async () => {
  const names = async (filter: object): Promise<string[]> => (await Office.find(filter).sort({ careOfficeNumber: 1 }).lean()).map((o) => o.name);
  const tenKmInRadians = 10_000 / 6_378_100;
  expect(await names({ location: { $geoWithin: { $centerSphere: [station, tenKmInRadians] } } })).toHaveLength(3);
  expect(await names({ location: { $geoWithin: { $centerSphere: [station, 1_000 / 6_378_100] } } })).toEqual(["駅前居宅介護支援事業所"]);
  expect(
    await names({
      location: {
        $geoWithin: {
          $box: [
            [136.44, 36.39],
            [136.46, 36.45],
          ],
        },
      },
    }),
  ).toEqual(["駅前居宅介護支援事業所"]);
  expect(
    await names({
      location: {
        $geoWithin: {
          $polygon: [
            [136.42, 36.43],
            [136.44, 36.43],
            [136.44, 36.45],
            [136.42, 36.45],
          ],
        },
      },
    }),
  ).toEqual(["安宅居宅介護支援センター"]);
  const south = {
    type: "Polygon",
    coordinates: [
      [
        [136.46, 36.36],
        [136.48, 36.36],
        [136.48, 36.38],
        [136.46, 36.38],
        [136.46, 36.36],
      ],
    ],
  };
  expect(await names({ location: { $geoWithin: { $geometry: south } } })).toEqual(["粟津ケアプランセンター"]);
});

it("refuses out-of-range coordinates under a 2dsphere index with code 16755", async () => {
  await expect(
    Office.collection.insertOne({ name: "bad", careOfficeNumber: "1770100045", location: { type: "Point", coordinates: [136.4, 136.4] } }),
  ).rejects.toMatchObject({ code: 16755 });
});

it("needs a 2dsphere index for $near, as MongoDB does", async () => {
  await expect(Manager.collection.find({ home: { $near: { $geometry: { type: "Point", coordinates: station } } } }).toArray()).rejects.toMatchObject({
    code: 291,
  });
});

it("findOneAndUpdate with new: true and bulkWrite through models", async () => {
  const updated = await Manager.findOneAndUpdate({ name: "山田" }, { $inc: { caseload: 1 } }, { new: true }).lean();
  expect(updated!.caseload).toBe(31);
  const result = await Manager.bulkWrite(
    [{ updateMany: { filter: { caseload: { $gte: 30 } }, update: { $set: { full: true } } } }, { deleteOne: { filter: { name: "中村" } } }],
    { strict: false },
  );
  expect(result.modifiedCount).toBe(2);
  expect(result.deletedCount).toBe(1);
});

it("findOneAndUpdate with new: true and .select() returns the updated document although the filter no longer matches it", async () => {
  await Manager.create({ name: "異動", caseload: 5 });
  const moved = await Manager.findOneAndUpdate({ name: "異動", caseload: { $lt: 10 } }, { $set: { caseload: 12 } }, { new: true })
    .select("caseload")
    .lean();
  expect(moved).toMatchObject({ caseload: 12 });
  expect(moved).not.toHaveProperty("name");
});

it("upserts with a range filter keep every update operator (MongoDB seeds only the equalities)", async () => {
  const created = await Manager.findOneAndUpdate({ name: "臨時", caseload: { $gte: 0 } }, { $set: { caseload: 3 } }, { new: true, upsert: true }).lean();
  expect(created).toMatchObject({ name: "臨時", caseload: 3 });
});

it("answers a server-side validator's refusal with code 121 through a model", async () => {
  await mongoose.connection.createCollection("checkedvisits", {
    validator: { $jsonSchema: { bsonType: "object", required: ["minutes"], properties: { minutes: { bsonType: "number", minimum: 1 } } } },
  });
  const Visit = mongoose.model("CheckedVisit", new Schema({ minutes: Number, note: String }), "checkedvisits");
  await expect(Visit.create({ note: "no minutes" })).rejects.toMatchObject({ code: 121 });
  await Visit.create({ minutes: 30 });
  await expect(Visit.updateOne({}, { $set: { minutes: 0 } })).rejects.toMatchObject({ code: 121 });
  expect((await Visit.findOne().lean())!.minutes).toBe(30);
});

it("runs a transaction through connection.transaction", async () => {
  await mongoose.connection.transaction(async (session) => {
    await Manager.create([{ name: "新人", caseload: 0 }], { session });
    await Manager.updateOne({ name: "小林" }, { $inc: { caseload: -1 } }, { session });
  });
  expect(await Manager.countDocuments({ name: "新人" })).toBe(1);
  expect((await Manager.findOne({ name: "小林" }).lean())!.caseload).toBe(37);
});

it("applies a schema's collation to the collection and its queries, and a case-insensitive unique index (11000)", async () => {
  const strength2 = { locale: "en", strength: 2 };
  const contactSchema = new Schema({ email: String, name: String }, { collation: strength2, autoCreate: true });
  contactSchema.index({ email: 1 }, { unique: true, collation: strength2 });
  const Contact = mongoose.model("Contact", contactSchema);
  await Contact.init();
  const [info] = await mongoose.connection.db!.listCollections({ name: "contacts" }).toArray();
  expect(info).toMatchObject({ options: { collation: { locale: "en", strength: 2 } } });
  await Contact.create({ email: "Ann@X", name: "アン" });
  await expect(Contact.create({ email: "ann@x", name: "別人" })).rejects.toMatchObject({ code: 11000 });
  expect((await Contact.findOne({ email: "ANN@x" }).lean())?.name).toBe("アン");
  expect(await Contact.countDocuments({ email: "ANN@X" }).collation({ locale: "simple" })).toBe(0);
  expect(await Contact.countDocuments({ name: "あん" }).collation({ locale: "ja", strength: 1 })).toBe(1);
});

it("keeps BigInt (long) and Double fields' types through projections, $lookup, $facet, $group and operators, and refuses (72) what it cannot type", async () => {
  const Ledger = mongoose.model("Ledger", new Schema({ account: String, amount: Schema.Types.BigInt, rate: Schema.Types.Double }));
  const Entry = mongoose.model("Entry", new Schema({ account: String, delta: Schema.Types.BigInt }));
  await Ledger.create([
    { account: "a", amount: 9007199254740993n, rate: 2 },
    { account: "b", amount: 5n, rate: 1.5 },
  ]);
  await Entry.create([
    { account: "a", delta: 1n },
    { account: "a", delta: 2n },
  ]);
  const raw = { promoteValues: false };
  // A long beyond 2^53 moved by an operator keeps every digit; the hydrated document reads it as a BigInt.
  const projected = await Ledger.findOne({ account: "a" }).select({ amount: 1, rate: 1 }).lean().setOptions(raw);
  expect(projected).toMatchObject({ amount: Long.fromString("9007199254740993"), rate: new Double(2) });
  expect((await Ledger.findOne({ account: "a" }).select({ amount: 1 }))!.amount).toBe(9007199254740993n);
  const [joined] = await Ledger.aggregate([
    { $match: { account: "a" } },
    { $lookup: { from: "entries", localField: "account", foreignField: "account", as: "entries" } },
    {
      $project: {
        _id: 0,
        amount: { $arrayElemAt: [["$amount"], 0] },
        deltas: { $map: { input: "$entries", in: "$$this.delta" } },
        total: { $sum: "$entries.delta" },
        rate: { $let: { vars: { r: "$rate" }, in: "$$r" } },
      },
    },
  ]).option(raw);
  expect(joined).toEqual({
    amount: Long.fromString("9007199254740993"),
    deltas: [Long.fromNumber(1), Long.fromNumber(2)],
    total: Long.fromNumber(3),
    rate: new Double(2),
  });
  const [faceted] = await Entry.aggregate([{ $facet: { byAccount: [{ $group: { _id: "$account", largest: { $max: "$delta" } } }] } }]).option(raw);
  expect(faceted.byAccount).toEqual([{ _id: "a", largest: Long.fromNumber(2) }]);
  await expect(Ledger.aggregate([{ $project: { top: { $maxN: { input: ["$amount", "$rate"], n: 1 } } } }])).rejects.toMatchObject({ code: 72 });
});
