// The one cursor codec: Relay connections over MongoDB keysets (several sort keys, either direction), opaque cursors bound to the query and order they were issued for, the filter that resumes after one, and the page shape.
import { createHash } from "node:crypto";
import { Types, trusted } from "mongoose";
import { z } from "zod";
import { badUserInput } from "./errors";
import type { PageRequest } from "./inputs";

/** Relay page information. */
export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** A page of a list. */
export interface Page<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
}

/** A value of one sort key of a row; null (or a missing field) sorts before every other value ascending, as in MongoDB. */
export type CursorValue = string | number | boolean | Date | Types.ObjectId | null;

/** One sort key: a document path and its direction (1 ascending, -1 descending). The last key must be unique (`_id`). */
export interface SortKey {
  path: string;
  direction: 1 | -1;
}

/** A list's order bound to the query it pages through: a cursor of one keyset is refused by any other. */
export interface Keyset {
  readonly sort: readonly SortKey[];
  /** A short hash of the order and the query. */
  readonly hash: string;
}

/** The keyset of a list in order `sort` for `query` (everything that selects the rows: filter, parent, window). */
export function keysetOf(sort: readonly SortKey[], query: unknown): Keyset {
  const hash = createHash("sha256")
    .update(JSON.stringify([sort, query ?? null]))
    .digest("base64url")
    .slice(0, 16);
  return { sort, hash };
}

/** How each value travels: a one-letter type tag and a JSON value, so dates and ObjectIds come back as themselves. */
type TaggedValue = ["s", string] | ["n", number] | ["b", boolean] | ["d", string] | ["o", string] | ["z", null];

const taggedValueSchema = z.union([
  z.tuple([z.literal("s"), z.string()]),
  z.tuple([z.literal("n"), z.number()]),
  z.tuple([z.literal("b"), z.boolean()]),
  z.tuple([z.literal("d"), z.iso.datetime()]),
  z.tuple([z.literal("o"), z.string().regex(/^[0-9a-f]{24}$/)]),
  z.tuple([z.literal("z"), z.null()]),
]);

const cursorSchema = z.object({ q: z.string(), v: z.array(taggedValueSchema) });

function tag(value: CursorValue): TaggedValue {
  if (value === null) return ["z", null];
  if (value instanceof Date) return ["d", value.toISOString()];
  if (value instanceof Types.ObjectId) return ["o", value.toHexString()];
  if (typeof value === "string") return ["s", value];
  if (typeof value === "number") return ["n", value];
  return ["b", value];
}

function untag([kind, value]: TaggedValue): CursorValue {
  if (kind === "d") return new Date(value);
  if (kind === "o") return new Types.ObjectId(value);
  return value;
}

/** The opaque cursor of a row whose sort key values are `values` (in the keyset's order; undefined counts as null). */
export function encodeCursor(keyset: Keyset, values: readonly (CursorValue | undefined)[]): string {
  return Buffer.from(JSON.stringify({ q: keyset.hash, v: values.map((value) => tag(value ?? null)) })).toString("base64url");
}

/** The sort key values an `after` cursor of this keyset holds; BAD_USER_INPUT on `field` for anything else. */
export function decodeCursor(keyset: Keyset, cursor: string, field = "after"): CursorValue[] {
  const refuse = (why: string) => badUserInput(`${field}: ${why}`, field);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw refuse("カーソルが不正です (not a cursor from this list)");
  }
  const parsed = cursorSchema.safeParse(decoded);
  if (!parsed.success || parsed.data.v.length !== keyset.sort.length) throw refuse("カーソルが不正です (not a cursor from this list)");
  if (parsed.data.q !== keyset.hash) {
    throw refuse("別の検索条件・並び順のカーソルです (the cursor belongs to another query or order; start again without after)");
  }
  return parsed.data.v.map((value) => untag(value));
}

/** The condition "path lies beyond `value`" in `direction`, nulls first ascending and last descending; undefined when nothing does. */
function beyond(path: string, direction: 1 | -1, value: CursorValue): Record<string, unknown> | undefined {
  if (direction === 1) return { [path]: trusted(value === null ? { $ne: null } : { $gt: value }) };
  if (value === null) return undefined;
  return { $or: [{ [path]: trusted({ $lt: value }) }, { [path]: null }] };
}

/**
 * The rows strictly after `values` in the order `sort`: the first key beyond, or equal and the second beyond, ...
 * Operators are marked trusted, so the filter is safe under mongoose's sanitizeFilter (and plain in aggregations).
 */
export function afterFilter(sort: readonly SortKey[], values: readonly CursorValue[]): Record<string, unknown> {
  const branches = sort.flatMap((key, index) => {
    const step = beyond(key.path, key.direction, values[index] ?? null);
    if (step === undefined) return [];
    const equal = Object.fromEntries(sort.slice(0, index).map((previous, position) => [previous.path, values[position] ?? null]));
    return [{ ...equal, ...step }];
  });
  return branches.length === 0 ? { _id: trusted({ $exists: false }) } : { $or: branches };
}

/** The MongoDB sort document of `sort`. */
export function sortDocument(sort: readonly SortKey[]): Record<string, 1 | -1> {
  return Object.fromEntries(sort.map((key) => [key.path, key.direction]));
}

/** The filter resuming after the `after` cursor of `keyset`, or undefined on a first page. */
export function resumeAfter(keyset: Keyset, after: string | undefined, field = "after"): Record<string, unknown> | undefined {
  return after === undefined ? undefined : afterFilter(keyset.sort, decodeCursor(keyset, after, field));
}

/**
 * A page from up to `first + 1` rows (the extra one tells whether another page follows), each row's cursor from
 * `cursorOf`; `hasPreviousPage` is true when the page was asked for after a cursor.
 */
export function pageOf<T>(rows: readonly T[], first: number, cursorOf: (row: T) => string, afterGiven: boolean): Page<T> {
  const edges = rows.slice(0, first).map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: afterGiven,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** A page of `keyset` from up to `first + 1` rows in its order; `valuesOf` gives a row's sort key values. */
export function keysetPage<T>(
  keyset: Keyset,
  rows: readonly T[],
  first: number,
  valuesOf: (row: T) => readonly (CursorValue | undefined)[],
  afterGiven: boolean,
): Page<T> {
  return pageOf(rows, first, (row) => encodeCursor(keyset, valuesOf(row)), afterGiven);
}

/** Reads rows matching a filter in a sort order, at most `limit` of them. */
export type FindRows<T> = (filter: Record<string, unknown>, sort: Record<string, 1 | -1>, limit: number) => Promise<T[]>;

/** One page of a list: `filter` narrowed to the rows after `page.after`, read in the keyset's order with one extra row. */
export async function findKeysetPage<T>(
  keyset: Keyset,
  page: PageRequest,
  filter: Record<string, unknown>,
  find: FindRows<T>,
  valuesOf: (row: T) => readonly (CursorValue | undefined)[],
): Promise<Page<T>> {
  const resume = resumeAfter(keyset, page.after);
  const rows = await find(resume === undefined ? filter : { $and: [filter, resume] }, sortDocument(keyset.sort), page.first + 1);
  return keysetPage(keyset, rows, page.first, valuesOf, page.after !== undefined);
}
