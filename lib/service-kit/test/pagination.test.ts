// The one cursor codec: cursors bound to their query and order, several sort keys in either direction (nulls included), the one page-size rule, and paging a real collection end to end.
import { Schema, Types } from "mongoose";
import type { GraphQLError } from "graphql";
import { createLogger } from "../src/logger";
import { connectMongo } from "../src/mongo";
import type { MongoHandle } from "../src/mongo";
import { MAX_PAGE_SIZE, parsePage } from "../src/inputs";
import { afterFilter, decodeCursor, encodeCursor, findKeysetPage, keysetOf, keysetPage } from "../src/pagination";
import type { CursorValue, Page, SortKey } from "../src/pagination";

const id = new Types.ObjectId("65f000000000000000000001");
const NEWEST_PINNED_FIRST: SortKey[] = [
  { path: "pinned", direction: -1 },
  { path: "createdAt", direction: -1 },
  { path: "_id", direction: -1 },
];

function refusal(run: () => unknown): GraphQLError {
  try {
    run();
  } catch (error) {
    return error as GraphQLError;
  }
  throw new Error("expected a refusal");
}

test("a cursor carries strings, numbers, booleans, dates, ObjectIds and nulls back as themselves", () => {
  const keyset = keysetOf(
    [...NEWEST_PINNED_FIRST.slice(0, 2), { path: "n", direction: 1 }, { path: "s", direction: 1 }, { path: "v", direction: 1 }, { path: "_id", direction: 1 }],
    { board: 1 },
  );
  const at = new Date("2026-04-15T09:30:00Z");
  const values: CursorValue[] = [true, at, 42.5, "さくら", null, id];
  const decoded = decodeCursor(keyset, encodeCursor(keyset, values));
  expect(decoded).toEqual(values);
  expect(decoded[1]).toBeInstanceOf(Date);
  expect(decoded[5]).toBeInstanceOf(Types.ObjectId);
});

test("a cursor replayed with another filter or another sort is BAD_USER_INPUT", () => {
  const issued = keysetOf(NEWEST_PINNED_FIRST, { tag: "研修" });
  const cursor = encodeCursor(issued, [false, new Date(0), id]);
  const otherFilter = refusal(() => decodeCursor(keysetOf(NEWEST_PINNED_FIRST, { tag: "会議" }), cursor));
  expect(otherFilter.extensions).toEqual({ code: "BAD_USER_INPUT", field: "after" });
  expect(otherFilter.message).toContain("another query or order");
  const otherOrder = keysetOf(
    NEWEST_PINNED_FIRST.map((key) => ({ ...key, direction: 1 as const })),
    { tag: "研修" },
  );
  expect(refusal(() => decodeCursor(otherOrder, cursor)).extensions).toEqual({ code: "BAD_USER_INPUT", field: "after" });
  for (const broken of ["", "!!!", "bm90IGpzb24", encodeCursor(issued, [false, id])]) {
    expect(refusal(() => decodeCursor(issued, broken, "input.after")).extensions).toEqual({ code: "BAD_USER_INPUT", field: "input.after" });
  }
});

test("resuming means a key beyond (nulls first ascending, last descending), or equal and the next key beyond", () => {
  const at = new Date(0);
  const descending = afterFilter(NEWEST_PINNED_FIRST, [false, at, id]);
  expect(JSON.parse(JSON.stringify(descending))).toEqual({
    $or: [
      { $or: [{ pinned: { $lt: false } }, { pinned: null }] },
      { pinned: false, $or: [{ createdAt: { $lt: at.toISOString() } }, { createdAt: null }] },
      { pinned: false, createdAt: at.toISOString(), $or: [{ _id: { $lt: id.toHexString() } }, { _id: null }] },
    ],
  });
  const ascendingFromNull = afterFilter(
    [
      { path: "verifiedAt", direction: 1 },
      { path: "_id", direction: 1 },
    ],
    [null, id],
  );
  expect(JSON.parse(JSON.stringify(ascendingFromNull))).toEqual({
    $or: [{ verifiedAt: { $ne: null } }, { verifiedAt: null, _id: { $gt: id.toHexString() } }],
  });
});

test("one page-size rule: 0 to MAX_PAGE_SIZE, 0 gives no edges, above the cap is refused on `first`", () => {
  expect(parsePage({})).toEqual({ first: 20 });
  expect(parsePage({ first: null, after: null }, 50)).toEqual({ first: 50 });
  expect(parsePage({ first: 0, after: "c" })).toEqual({ first: 0, after: "c" });
  expect(refusal(() => parsePage({ first: MAX_PAGE_SIZE + 1 })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
  expect(refusal(() => parsePage({ first: -1 })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
  const keyset = keysetOf([{ path: "_id", direction: 1 }], null);
  const rows = [{ _id: id }];
  expect(keysetPage(keyset, rows, 0, (row) => [row._id], false)).toEqual({
    edges: [],
    pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null },
  });
});

type Row = { _id: Types.ObjectId; pinned: boolean; createdAt: Date; reviewedAt: Date | null };

describe("paging a collection", () => {
  let handle: MongoHandle;
  const postSchema = new Schema({ board: String, pinned: Boolean, createdAt: Date, reviewedAt: { type: Date, default: null } }, { versionKey: false });

  beforeAll(async () => {
    handle = await connectMongo({ dbName: "pagination_test", logger: createLogger({ name: "pagination-test", level: "silent" }) });
  });
  afterAll(async () => {
    await handle?.close();
  });

  /** Every row of the list, read `size` at a time through cursors. */
  async function readAll<T>(read: (after: string | undefined) => Promise<Page<T>>): Promise<T[]> {
    const seen: T[] = [];
    let after: string | undefined;
    for (let guard = 0; guard < 100; guard += 1) {
      const page = await read(after);
      seen.push(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasNextPage) return seen;
      after = page.pageInfo.endCursor ?? undefined;
    }
    throw new Error("paging did not end");
  }

  test("pages follow the sort in either direction, with equal keys and nulls, each row once", async () => {
    const Post = handle.connection.model("Post", postSchema);
    const base = Date.UTC(2026, 3, 1);
    await Post.insertMany(
      Array.from({ length: 23 }, (_, n) => ({
        board: n % 5 === 0 ? "other" : "main",
        pinned: n % 4 === 0,
        createdAt: new Date(base + (n % 6) * 60_000),
        reviewedAt: n % 3 === 0 ? null : new Date(base + (n % 7) * 60_000),
      })),
    );
    for (const sort of [
      NEWEST_PINNED_FIRST,
      [
        { path: "reviewedAt", direction: 1 },
        { path: "_id", direction: 1 },
      ],
      [
        { path: "reviewedAt", direction: -1 },
        { path: "_id", direction: -1 },
      ],
    ] as SortKey[][]) {
      const keyset = keysetOf(sort, { board: "main" });
      const paged = await readAll((after) =>
        findKeysetPage(
          keyset,
          parsePage({ first: 4, after }),
          { board: "main" },
          (filter, order, limit) => Post.find(filter).sort(order).limit(limit).lean<Row[]>(),
          (row) => sort.map((key) => row[key.path as keyof Row] ?? null),
        ),
      );
      const whole = await Post.find({ board: "main" })
        .sort(Object.fromEntries(sort.map((key) => [key.path, key.direction])))
        .lean<Row[]>();
      expect(whole).toHaveLength(18);
      expect(paged.map((row) => row._id.toHexString())).toEqual(whole.map((row) => row._id.toHexString()));
    }
  });
});
