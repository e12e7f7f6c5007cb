// Keyset pagination: cursors bound to their query, the resume filter, and page information.
import { Types } from "mongoose";
import type { GraphQLError } from "graphql";
import { afterPosition, decodeKeysetCursor, encodeKeysetCursor, keysetPage, queryHash } from "../src/pagination";

const id = new Types.ObjectId("65f000000000000000000001");

test("a cursor carries the sort value and id back, for its own query only", () => {
  const hash = queryHash(["events", { from: "2026-04-01" }]);
  const at = new Date("2026-04-15T09:30:00Z");
  const cursor = encodeKeysetCursor(hash, { value: at, id });
  expect(decodeKeysetCursor(cursor, hash)).toEqual({ value: at, id });
  expect(decodeKeysetCursor(encodeKeysetCursor(hash, { value: 42, id }), hash)).toEqual({ value: 42, id });
  let refused: GraphQLError | undefined;
  try {
    decodeKeysetCursor(cursor, queryHash(["events", { from: "2026-05-01" }]));
  } catch (error) {
    refused = error as GraphQLError;
  }
  expect(refused?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "after" });
  expect(() => decodeKeysetCursor("not-a-cursor", hash, "input.after")).toThrow("input.after: カーソルが不正です (not a cursor from this list)");
});

test("the resume filter continues after the position in (field, _id) order", () => {
  const filter = afterPosition("startsAt", { value: 5, id }) as { $or: Record<string, unknown>[] };
  expect(JSON.parse(JSON.stringify(filter))).toEqual({ $or: [{ startsAt: { $gt: 5 } }, { startsAt: 5, _id: { $gt: id.toHexString() } }] });
});

test("a page read with one row more than asked knows whether more follow", () => {
  const rows = [1, 2, 3].map((n) => ({ n, id: new Types.ObjectId() }));
  const page = keysetPage(rows, 2, "h", (row) => ({ value: row.n, id: row.id }), false);
  expect(page.edges.map((edge) => edge.node.n)).toEqual([1, 2]);
  expect(page.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: page.edges[0]?.cursor, endCursor: page.edges[1]?.cursor });
  expect(keysetPage(rows.slice(0, 1), 2, "h", (row) => ({ value: row.n, id: row.id }), true).pageInfo.hasNextPage).toBe(false);
});
