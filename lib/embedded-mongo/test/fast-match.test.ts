// The compiled matcher agrees with mingo on every filter it accepts, over documents with arrays, nulls and mixed types.
import { ObjectId, type Document } from "bson";
import { compileFastMatcher } from "../src/fast-match";
import { Query, queryOptions } from "../src/query-language";

/** A small deterministic PRNG, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const ids = [new ObjectId("650000000000000000000001"), new ObjectId("650000000000000000000002")];
const values = [0, 1, 5, 7.5, -3, "a", "訪問看護", "ほうもんかんご", "", true, false, null, new Date(1_000), new Date(2_000), ids[0], ids[1]];

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)];
}

function randomValue(next: () => number): unknown {
  const r = next();
  if (r < 0.2) return Array.from({ length: Math.floor(next() * 4) }, () => pick(next, values));
  if (r < 0.25) return { e: pick(next, values) };
  if (r < 0.3) return [{ e: pick(next, values) }, { f: 1 }];
  return pick(next, values);
}

function randomDoc(next: () => number): Document {
  const doc: Document = {};
  for (const field of ["a", "b", "d"]) if (next() < 0.8) doc[field] = randomValue(next);
  return doc;
}

function randomCondition(next: () => number): Document {
  const path = pick(next, ["a", "b", "d", "d.e", "missing"]);
  const value = pick(next, values);
  const shape = Math.floor(next() * 9);
  switch (shape) {
    case 0:
      return { [path]: value };
    case 1:
      return { [path]: { $in: [value, ...Array.from({ length: Math.floor(next() * 4) }, () => pick(next, values))] } };
    case 2:
      return { [path]: { [pick(next, ["$gt", "$gte", "$lt", "$lte"])]: value } };
    case 3:
      return { [path]: { $ne: value } };
    case 4:
      return { [path]: { $exists: next() < 0.5 } };
    case 5:
      return { [path]: { $regex: pick(next, ["看護", "^ほう", "a", "^$"]) } };
    case 6:
      return { [path]: { $gte: pick(next, [0, 1, "a"]), $lt: pick(next, [5, 7.5, "z"]) } };
    case 7:
      return { $or: [randomCondition(next), randomCondition(next)] };
    default:
      return { $and: [randomCondition(next), randomCondition(next)] };
  }
}

it("matches exactly what mingo matches, for 3,000 random filters over 60 documents each", () => {
  const next = random(20261121);
  const options = queryOptions();
  let compiled = 0;
  for (let round = 0; round < 3_000; round++) {
    const filter = randomCondition(next);
    const fast = compileFastMatcher(filter);
    if (!fast) continue;
    compiled++;
    const reference = new Query(filter, options);
    for (let i = 0; i < 60; i++) {
      const doc = randomDoc(next);
      const expected = reference.test(doc);
      if (fast(doc) !== expected) throw new Error(`filter ${JSON.stringify(filter)} on ${JSON.stringify(doc)}: mingo says ${expected}`);
    }
  }
  expect(compiled).toBeGreaterThan(2_000);
});

it("leaves to mingo what it does not cover", () => {
  expect(compileFastMatcher({ a: { $elemMatch: { b: 1 } } })).toBeUndefined();
  expect(compileFastMatcher({ a: [1, 2] })).toBeUndefined();
  expect(compileFastMatcher({ "a.b": null })).toBeUndefined();
  expect(compileFastMatcher({ $expr: { $gt: ["$a", 1] } })).toBeUndefined();
  expect(compileFastMatcher({ a: { $in: [/x/] } })).toBeUndefined();
});

it("reads only a document's own fields: names of Object.prototype members are missing fields, as in MongoDB", () => {
  const doc = { a: 1, nested: { b: 2 } };
  for (const filter of [
    { constructor: { $exists: true } },
    { toString: { $type: "javascript" } },
    { hasOwnProperty: { $gt: 0 } },
    { "nested.constructor": { $exists: true } },
  ]) {
    const fast = compileFastMatcher(filter);
    expect(fast).toBeDefined();
    expect(fast?.(doc)).toBe(false);
  }
  expect(compileFastMatcher({ constructor: { $exists: false } })?.(doc)).toBe(true);
  expect(compileFastMatcher({ constructor: { $ne: 1 }, a: 1 })?.(doc)).toBe(true);
});

it("tests the cheapest conditions first, with the same answers", () => {
  let regexTests = 0;
  const counting = /看護/;
  const original = counting.test.bind(counting);
  counting.test = (text: string) => {
    regexTests++;
    return original(text);
  };
  const fast = compileFastMatcher({ $and: [{ name: counting }, { category: { $in: ["visiting-nursing"] } }] });
  expect(fast?.({ name: "訪問看護ステーション", category: "clinic" })).toBe(false);
  expect(regexTests).toBe(0);
  expect(fast?.({ name: "訪問看護ステーション", category: "visiting-nursing" })).toBe(true);
  expect(regexTests).toBe(1);
});
