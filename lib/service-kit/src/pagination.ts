// Relay connections over MongoDB in (sort field, _id) ascending order: opaque keyset cursors bound to their query, the filter that resumes after a cursor, and the page shape.
import { createHash } from "node:crypto";
import { Types, trusted } from "mongoose";
import { z } from "zod";
import { badUserInput } from "./errors";

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

/** Where a row sits in the order: its sort value and its id (the tie-breaker). */
export interface KeysetPosition {
  value: Date | number | string;
  id: Types.ObjectId;
}

const cursorSchema = z.object({
  q: z.string(),
  t: z.enum(["date", "number", "string"]),
  v: z.union([z.string(), z.number()]),
  id: z.string().regex(/^[0-9a-f]{24}$/),
});

/** A short hash identifying a list's query, so that a cursor is refused on another query. */
export function queryHash(query: unknown): string {
  return createHash("sha256").update(JSON.stringify(query)).digest("base64url").slice(0, 16);
}

export function encodeKeysetCursor(hash: string, { value, id }: KeysetPosition): string {
  const typed = value instanceof Date ? { t: "date", v: value.toISOString() } : { t: typeof value, v: value };
  return Buffer.from(JSON.stringify({ q: hash, ...typed, id: id.toHexString() })).toString("base64url");
}

/** The position an `after` cursor of the query `hash` points at; BAD_USER_INPUT on `field` for anything else. */
export function decodeKeysetCursor(cursor: string, hash: string, field = "after"): KeysetPosition {
  const refuse = (why: string) => badUserInput(`${field}: ${why}`, field);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw refuse("カーソルが不正です (not a cursor from this list)");
  }
  const parsed = cursorSchema.safeParse(decoded);
  if (!parsed.success) throw refuse("カーソルが不正です (not a cursor from this list)");
  const { q, t, v, id } = parsed.data;
  if (q !== hash) throw refuse("別の検索条件のカーソルです (the cursor belongs to another query; start again without after)");
  const value = t === "date" ? new Date(String(v)) : v;
  if ((t === "date" && Number.isNaN((value as Date).getTime())) || (t === "number" && typeof v !== "number")) {
    throw refuse("カーソルが不正です (not a cursor from this list)");
  }
  return { value, id: new Types.ObjectId(id) };
}

/** The rows after `position` in (`field` ascending, `_id` ascending) order, as a filter safe under sanitizeFilter. */
export function afterPosition(field: string, { value, id }: KeysetPosition): Record<string, unknown> {
  return { $or: [{ [field]: trusted({ $gt: value }) }, { [field]: value, _id: trusted({ $gt: id }) }] };
}

/**
 * The page of `rows` read with limit `first + 1` (one more than asked, to tell whether more follow); `positionOf`
 * gives each row's place in the order and `afterGiven` says whether the page started after a cursor.
 */
export function keysetPage<T>(rows: readonly T[], first: number, hash: string, positionOf: (row: T) => KeysetPosition, afterGiven: boolean): Page<T> {
  return pageOf(rows, first, (row) => encodeKeysetCursor(hash, positionOf(row)), afterGiven);
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
