// Relay connections: capped page sizes, opaque keyset cursors, the MongoDB filter that resumes after a cursor, and the connection shape.
import { Types, trusted } from "mongoose";
import { badUserInput } from "@tsunagu/service-kit";

/** A value a cursor may hold: the sort keys of the last row of a page. */
export type CursorValue = string | number | boolean | Date;

/** One sort key: a document path and its direction (1 ascending, -1 descending). */
export interface SortKey {
  path: string;
  direction: 1 | -1;
}

/** `first` as given, or BAD_USER_INPUT when it is outside 1..max. */
export function pageSize(first: number | null | undefined, fallback: number, max: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw badUserInput(`first: 1〜${max}件を指定してください (between 1 and ${max})`, "first");
  }
  return size;
}

/** How a cursor value is read back: ObjectIds travel as hex and come back as ObjectIds, dates as dates. */
export type CursorKind = "string" | "number" | "boolean" | "date" | "objectId";

type Decoded<K extends CursorKind> = K extends "string"
  ? string
  : K extends "number"
    ? number
    : K extends "boolean"
      ? boolean
      : K extends "date"
        ? Date
        : Types.ObjectId;

/** An opaque cursor over the sort keys of a row. */
export function encodeCursor(values: readonly (CursorValue | Types.ObjectId)[]): string {
  const encoded = values.map((value) =>
    value instanceof Date ? value.getTime() : value instanceof Types.ObjectId ? value.toHexString() : value,
  );
  return Buffer.from(JSON.stringify(encoded), "utf8").toString("base64url");
}

function decodeValue(kind: CursorKind, value: unknown): unknown {
  switch (kind) {
    case "date":
      return typeof value === "number" && Number.isFinite(value) ? new Date(value) : undefined;
    case "objectId":
      return typeof value === "string" && /^[0-9a-f]{24}$/.test(value) ? new Types.ObjectId(value) : undefined;
    default:
      return typeof value === kind ? value : undefined;
  }
}

/** The sort keys in `cursor` as `kinds` says, or BAD_USER_INPUT naming `after` when it is not a cursor of this list. */
export function decodeCursor<const K extends readonly CursorKind[]>(cursor: string, kinds: K): { [I in keyof K]: Decoded<K[I]> } {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    decoded = undefined;
  }
  const values = Array.isArray(decoded) && decoded.length === kinds.length ? kinds.map((kind, index) => decodeValue(kind, decoded[index])) : [];
  if (values.length !== kinds.length || values.some((value) => value === undefined)) {
    throw badUserInput("after: カーソルが不正です (not a cursor from this list)", "after");
  }
  return values as { [I in keyof K]: Decoded<K[I]> };
}

/**
 * The filter selecting rows strictly after `values` in the order `sort` (a keyset: the first key greater,
 * or equal and the next greater, ...). Operators are marked trusted because connections sanitise filters.
 */
export function afterFilter(sort: readonly SortKey[], values: readonly (CursorValue | Types.ObjectId)[]): Record<string, unknown> {
  const branches = sort.map((key, index) => {
    const branch: Record<string, unknown> = {};
    sort.slice(0, index).forEach((previous, position) => {
      branch[previous.path] = values[position];
    });
    branch[key.path] = trusted({ [key.direction === 1 ? "$gt" : "$lt"]: values[index] });
    return branch;
  });
  return { $or: branches };
}

/** The MongoDB sort document of `sort`. */
export function sortDocument(sort: readonly SortKey[]): Record<string, 1 | -1> {
  return Object.fromEntries(sort.map((key) => [key.path, key.direction]));
}
