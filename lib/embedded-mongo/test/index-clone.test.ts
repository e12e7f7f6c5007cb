// An index's copy for a transaction: its entries change apart from the original's, and it keeps the spec's partial filter and key order.
import { Index, validateIndexSpec } from "../src/indexes";

test("a clone's entries and multikey flag change apart from the original, and it keeps the partial filter", () => {
  const original = new Index(validateIndexSpec({ key: { tags: 1 }, name: "tags_1", partialFilterExpression: { kept: true } }));
  original.add({ _id: 1, tags: "a", kept: true }, 1);
  const copy = original.clone();
  copy.add({ _id: 2, tags: ["b", "c"], kept: true }, 2);
  copy.add({ _id: 3, tags: "d", kept: false }, 3);

  expect(copy.keysOf({ tags: "d", kept: false })).toEqual([]);
  expect(copy.tree.size).toBe(3);
  expect(copy.multikey).toBe(true);
  expect(original.tree.size).toBe(1);
  expect(original.multikey).toBe(false);
  expect(copy.name).toBe("tags_1");
  expect(copy).toBeInstanceOf(Index);
});
