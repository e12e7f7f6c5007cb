// Relay connections over keyset cursors: capped page sizes, opaque cursors holding the sort keys of the last row (dates and ObjectIds), and the filter that resumes after one.
import { Types, trusted } from "mongoose";
import { badUserInput, isObjectIdHex } from "@tsunagu/service-kit";

/** One sort key of a list: a document path, its direction, and whether it holds dates or ObjectIds. */
export interface SortKey {
  path: string;
  direction: 1 | -1;
  kind: "date" | "objectId";
}

export type KeyValue = Date | Types.ObjectId;

export interface Page {
  size: number;
  /** The sort key values to resume after, decoded from `after`. */
  after: KeyValue[] | null;
}

/** `first`/`after` checked: BAD_USER_INPUT naming `first` outside 1..max, or `after` that is not a cursor of this list. */
export function parsePage(args: { first?: number | null; after?: string | null }, sort: readonly SortKey[], fallback: number, max: number): Page {
  const size = args.first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > max) throw badUserInput(`first: 1〜${max}件を指定してください (between 1 and ${max})`, "first");
  return { size, after: args.after == null ? null : decodeCursor(args.after, sort) };
}

export function encodeCursor(values: readonly KeyValue[]): string {
  const plain = values.map((value) => (value instanceof Date ? value.getTime() : value.toHexString()));
  return Buffer.from(JSON.stringify(plain), "utf8").toString("base64url");
}

function decodeCursor(cursor: string, sort: readonly SortKey[]): KeyValue[] {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    decoded = null;
  }
  const values = Array.isArray(decoded) && decoded.length === sort.length
    ? sort.map((key, index) => {
        const raw: unknown = decoded[index];
        if (key.kind === "date") return typeof raw === "number" && Number.isFinite(raw) ? new Date(raw) : null;
        return typeof raw === "string" && isObjectIdHex(raw) ? new Types.ObjectId(raw) : null;
      })
    : [];
  if (values.length !== sort.length || values.some((value) => value === null)) {
    throw badUserInput("after: カーソルが不正です (not a cursor from this list)", "after");
  }
  return values as KeyValue[];
}

/** The filter for rows strictly after `values` in the order `sort`: the first key beyond it, or equal and the next beyond, ... */
export function afterFilter(sort: readonly SortKey[], values: readonly KeyValue[]): Record<string, unknown> {
  return {
    $or: sort.map((key, index) => {
      const branch: Record<string, unknown> = {};
      sort.slice(0, index).forEach((previous, position) => {
        branch[previous.path] = values[position];
      });
      branch[key.path] = trusted({ [key.direction === 1 ? "$gt" : "$lt"]: values[index] });
      return branch;
    }),
  };
}

export function sortDocument(sort: readonly SortKey[]): Record<string, 1 | -1> {
  return Object.fromEntries(sort.map((key) => [key.path, key.direction]));
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** A connection from up to `page.size + 1` rows (the extra row only says that another page follows). */
export function toConnection<T>(rows: readonly T[], page: Page, keysOf: (row: T) => KeyValue[]): Connection<T> {
  const edges = rows.slice(0, page.size).map((node) => ({ cursor: encodeCursor(keysOf(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > page.size,
      hasPreviousPage: page.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

/** Runs one page of a list: `filter` narrowed to rows after the cursor, sorted, one extra row fetched. */
export async function findPage<T>(
  find: (filter: Record<string, unknown>, sort: Record<string, 1 | -1>, limit: number) => Promise<T[]>,
  filter: Record<string, unknown>,
  sort: readonly SortKey[],
  page: Page,
  keysOf: (row: T) => KeyValue[],
): Promise<Connection<T>> {
  const narrowed = page.after === null ? filter : { $and: [filter, afterFilter(sort, page.after)] };
  const rows = await find(narrowed, sortDocument(sort), page.size + 1);
  return toConnection(rows, page, keysOf);
}
