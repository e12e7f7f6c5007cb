// Queries with $all and $or on indexed fields: the source with the fewest records drives (seen in explain), and the
// answers are those of the same queries on a collection without those indexes.
import type { Collection, Document } from "mongodb";
import { startHarness, stopHarness, type Harness } from "./helpers";

let harness: Harness;
let indexed: Collection;
let plain: Collection;

const CENTRE = [136.45, 36.4];
const WORDS = ["訪問", "看護", "介護", "通所", "薬局", "歯科", "病院", "さくら"];

/** A deterministic generator, so a failure is reproducible. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

beforeAll(async () => {
  harness = await startHarness();
  const db = harness.client.db("candidates");
  indexed = db.collection("indexed");
  plain = db.collection("plain");
  const next = random(7);
  const docs: Document[] = Array.from({ length: 3_000 }, (_, i) => {
    const name = `${WORDS[Math.floor(next() * WORDS.length)]}${WORDS[Math.floor(next() * WORDS.length)]}`;
    const grams = [...new Set(Array.from(name).flatMap((c, j, all) => (j + 1 < all.length ? [c, c + all[j + 1]] : [c])))];
    return {
      i,
      name,
      grams,
      category: `c${i % 20}`,
      archivedAt: i % 10 === 0 ? new Date(0) : null,
      ...(i % 50 === 0 ? {} : { location: { type: "Point", coordinates: [CENTRE[0] + (next() - 0.5) * 0.2, CENTRE[1] + (next() - 0.5) * 0.2] } }),
    };
  });
  await indexed.insertMany(docs.map((doc) => ({ ...doc })));
  await plain.insertMany(docs.map((doc) => ({ ...doc })));
  await indexed.createIndexes([{ key: { grams: 1 } }, { key: { category: 1 } }, { key: { archivedAt: 1 } }, { key: { location: "2dsphere" } }]);
  await plain.createIndex({ location: "2dsphere" });
});

afterAll(() => stopHarness(harness));

const FILTERS: Document[] = [
  { grams: { $all: ["訪問", "問看"] } },
  { archivedAt: null, grams: { $all: ["看護"] }, category: { $in: ["c1", "c2", "c3"] } },
  { $and: [{ archivedAt: null }, { $or: [{ grams: { $all: ["さく", "くら"] } }, { category: "c4" }] }, { name: { $regex: "さくら" } }] },
  { grams: { $all: ["歯"] }, name: { $regex: "^歯" } },
  { grams: { $regex: "^看" }, archivedAt: null },
  { $or: [{ grams: /^さく/ }, { category: "c4" }] },
  { grams: { $regex: "^看." } },
  { grams: { $all: ["無い"] } },
];

test.each(FILTERS.map((filter) => [JSON.stringify(filter), filter]))("find %s answers as without the indexes", async (_, filter) => {
  const ids = async (collection: Collection) => (await collection.find(filter).sort({ i: 1 }).toArray()).map((doc) => doc.i as number);
  const found = await ids(indexed);
  expect(found.length > 0).toBe(filter !== FILTERS.at(-1));
  expect(found).toEqual(await ids(plain));
});

test.each(FILTERS.map((filter) => [JSON.stringify(filter), filter]))("$geoNear with %s answers as without the indexes, nearest first", async (_, filter) => {
  const pipeline = [
    { $geoNear: { near: { type: "Point", coordinates: CENTRE }, key: "location", distanceField: "d", maxDistance: 4_000, spherical: true, query: filter } },
    { $project: { _id: 0, i: 1, d: 1 } },
  ];
  const found = await indexed.aggregate(pipeline).toArray();
  // Every filter but the last (a gram no name has) finds something near the centre.
  expect(found.length > 0).toBe(filter !== FILTERS.at(-1));
  expect(found).toEqual(await plain.aggregate(pipeline).toArray());
  const distances = found.map((doc) => doc.d as number);
  expect(distances).toEqual([...distances].sort((a, b) => a - b));
  expect(distances.every((d) => d <= 4_000)).toBe(true);
});

test("the smallest source drives: a rare gram over the archived flag, a rare prefix over a scan, a small category over a common gram", async () => {
  const rare = await indexed.find({ archivedAt: null, grams: { $all: ["歯科"] } }).explain("executionStats");
  expect(rare.queryPlanner.winningPlan.inputStage.indexName).toBe("grams_1");
  expect(rare.executionStats.totalDocsExamined).toBeLessThan(3_000 / 4);
  const prefix = await indexed.find({ grams: { $regex: "^歯" } }).explain("executionStats");
  expect(prefix.queryPlanner.winningPlan.inputStage.indexName).toBe("grams_1");
  expect(prefix.executionStats.totalDocsExamined).toBeLessThan(3_000 / 4);
  const categoryWins = await indexed.find({ category: "c5", grams: { $all: ["看"] } }).explain("executionStats");
  expect(categoryWins.queryPlanner.winningPlan.inputStage.indexName).toBe("category_1");
  expect(categoryWins.executionStats.totalDocsExamined).toBe(150);
});
