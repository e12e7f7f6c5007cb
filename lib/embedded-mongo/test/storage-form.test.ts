// The stored form of a document: the same BSON field for field and in order, typed values kept, equal dates shared, the given document left as it was.
import { Binary, Decimal128, Double, Long, ObjectId, serialize } from "bson";
import { storedForm } from "../src/storage-form";
import { deserializeKeepingTypes } from "../src/numbers";

const given = () => {
  const doc = deserializeKeepingTypes(
    serialize({
      _id: new ObjectId("0123456789abcdef01234567"),
      name: "坂本 昭",
      count: 3,
      whole: new Double(2),
      big: Long.fromString("9007199254740993"),
      price: Decimal128.fromString("1.10"),
      at: new Date("2026-10-01T00:00:00Z"),
      items: [
        { kind: "SELF_REPORTED", at: new Date("2026-10-01T00:00:00Z"), tags: ["a", "b"] },
        { kind: "SELF_REPORTED", at: new Date("2026-10-02T00:00:00Z"), tags: [] },
      ],
      nested: { z: 1, a: [1, [2, 3]], blob: new Binary(Buffer.from([1, 2, 3])) },
      ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`field${i}`, i])),
    }),
  );
  return doc;
};

test("the stored form serialises to the same bytes and keeps every value's type", () => {
  const doc = given();
  const bytes = Buffer.from(serialize(doc));
  const stored = storedForm(doc);
  expect(Buffer.from(serialize(stored)).equals(bytes)).toBe(true);
  expect(Object.keys(stored)).toEqual(Object.keys(doc));
  expect(stored.whole).toBeInstanceOf(Double);
  expect(stored.big).toBeInstanceOf(Long);
  expect(stored.price).toBeInstanceOf(Decimal128);
  expect(stored._id).toBeInstanceOf(ObjectId);
  expect(Object.getPrototypeOf(stored.items[0])).toBe(Object.prototype);
});

test("the given document is left as it was: arrays and objects are new, class values are the same objects", () => {
  const doc = given();
  const before = Buffer.from(serialize(doc));
  const stored = storedForm(doc);
  expect(Buffer.from(serialize(doc)).equals(before)).toBe(true);
  expect(stored).not.toBe(doc);
  expect(stored.items).not.toBe(doc.items);
  expect(stored.items[0]).not.toBe(doc.items[0]);
  expect(stored.nested.a[1]).not.toBe(doc.nested.a[1]);
  expect(stored._id).toBe(doc._id);
  expect(stored.nested.blob).toBe(doc.nested.blob);
});

test("equal dates of stored documents are one Date object, different ones stay apart", () => {
  const first = storedForm(given());
  const second = storedForm(given());
  expect(first.at).toBe(second.at);
  expect(first.items[0].at).toBe(first.at);
  expect(first.items[1].at).not.toBe(first.at);
  expect((first.items[1].at as Date).toISOString()).toBe("2026-10-02T00:00:00.000Z");
});

test("a field named __proto__ stays an own field and does not change the prototype", () => {
  const doc = deserializeKeepingTypes(serialize({ a: 1, ["__proto__"]: { polluted: true } }));
  const stored = storedForm(doc);
  expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
  expect(Object.keys(stored)).toEqual(Object.keys(doc));
  expect(Buffer.from(serialize(stored)).equals(Buffer.from(serialize(doc)))).toBe(true);
});
