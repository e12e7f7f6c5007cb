// An index filled in batches (inserts' deferred entries, createIndex over existing records) holds its entries in the comparator's key order.
import { Collection } from "../src/collection";
import { compareKeys } from "../src/bson-values";
import { validateIndexSpec } from "../src/indexes";

/** Strings whose UTF-16 order a locale-aware sort would get wrong: case, kana, kanji, a surrogate pair, an empty string. */
const WORDS = ["b", "B", "a", "", "ひま", "ヒマ", "介護", "𠮷野", "ｶﾅ", "z", "ひ"];

function documents(count: number): Array<{ _id: number; words: unknown }> {
  return Array.from({ length: count }, (_, i) => ({
    _id: i,
    // Every third document mixes a number in, so the index also takes the comparator's path.
    words: i % 3 === 0 ? [WORDS[i % WORDS.length], i] : [WORDS[i % WORDS.length], WORDS[(i * 7) % WORDS.length], WORDS[(i * 5) % WORDS.length]],
  }));
}

function keys(collection: Collection, name: string): unknown[][] {
  return collection.indexes.get(name)!.tree.keysArray();
}

function expectKeyOrder(entries: unknown[][]): void {
  expect(entries.length).toBeGreaterThan(0);
  expect([...entries].sort(compareKeys)).toEqual(entries);
}

test.each([
  ["only strings", (i: number) => ({ _id: i, words: [WORDS[i % WORDS.length], WORDS[(i * 7) % WORDS.length]] })],
  ["strings and numbers", (i: number) => documents(i + 1)[i]],
])("entries of deferred inserts (%s) land in key order, records in order within a value", (_, make) => {
  const collection = new Collection("db.words");
  collection.createIndex(validateIndexSpec({ key: { words: 1 }, name: "words_1" }));
  for (let batch = 0; batch < 3; batch++) {
    collection.deferIndexUpkeep();
    for (let i = batch * 40; i < batch * 40 + 40; i++) collection.insert(make(i));
    collection.flushIndexUpkeep();
  }
  const entries = keys(collection, "words_1");
  expectKeyOrder(entries);
  expect(entries.filter(([word]) => word === "ひま").map((entry) => entry[1])).toEqual(
    [...collection.records.keys()].filter((recordId) => (collection.records.get(recordId)!.words as unknown[]).includes("ひま")),
  );
});

test("an index created over existing records is in key order and still refuses duplicate string keys when unique", () => {
  const collection = new Collection("db.words");
  for (const doc of documents(60)) collection.insert(doc);
  collection.createIndex(validateIndexSpec({ key: { words: 1 }, name: "words_1" }));
  expectKeyOrder(keys(collection, "words_1"));
  expect(() => collection.createIndex(validateIndexSpec({ key: { words: 1 }, name: "unique_words", unique: true }))).toThrow(/E11000 duplicate key/);
  const distinct = new Collection("db.distinct");
  WORDS.forEach((word, i) => distinct.insert({ _id: i, word }));
  distinct.createIndex(validateIndexSpec({ key: { word: 1 }, name: "word_1", unique: true }));
  expect(keys(distinct, "word_1").map(([word]) => word)).toEqual([...WORDS].sort((a, b) => compareKeys([a], [b])));
});
