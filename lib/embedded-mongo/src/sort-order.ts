// MongoDB's sort order for documents: sort keys checked as MongoDB checks them, arrays by their smallest or largest element.
import type { Document } from "bson";
import { compareValues, valuesAtPath } from "./bson-values";
import { CommandError } from "./errors";
import { numberType } from "./numbers";

/** The keys of a sort specification, checked as MongoDB checks them. */
export function sortKeys(sort: Document): Array<{ field: string; direction: number }> {
  return Object.entries(sort).map(([field, direction]) => {
    const numeric = numberType(direction) === undefined ? Number.NaN : Number(direction);
    if (![1, -1].includes(Math.sign(numeric))) {
      throw new CommandError(
        "BadValue",
        `$sort key ordering must be 1 (for ascending) or -1 (for descending), got ${JSON.stringify(direction)} for '${field}'`,
      );
    }
    return { field, direction: Math.sign(numeric) };
  });
}

/** Sorts documents as MongoDB does: arrays sort by their smallest (ascending) or largest (descending) element. */
export function sortDocuments<T extends { doc: Document }>(items: T[], sort: Document, compare: (a: unknown, b: unknown) => number = compareValues): T[] {
  const keys = sortKeys(sort);
  const sortKey = (doc: Document, field: string, direction: number): unknown => {
    const values = valuesAtPath(doc, field).flatMap((value) => (Array.isArray(value) ? value : [value]));
    if (values.length === 0) return null;
    return values.reduce((best, value) => (compare(value, best) * direction < 0 ? value : best));
  };
  return items
    .map((item, position) => ({ item, position, keys: keys.map(({ field, direction }) => sortKey(item.doc, field, direction)) }))
    .sort((a, b) => {
      for (const [i, { direction }] of keys.entries()) {
        const c = compare(a.keys[i], b.keys[i]) * direction;
        if (c !== 0) return c;
      }
      return a.position - b.position;
    })
    .map(({ item }) => item);
}
