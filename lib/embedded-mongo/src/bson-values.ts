// BSON value helpers: MongoDB's cross-type sort order, identity keys for _id, deep copies and path reads.
import { serialize, Code, BSONSymbol, DBRef, MaxKey, MinKey, ObjectId, Binary, Decimal128, Long, Timestamp, Double, Int32, BSONRegExp } from "bson";
import type { Document } from "bson";
import { compareNumbers, deserializeKeepingTypes, numberKey, numberType, TYPE_CODE_OF_NUMBER } from "./numbers";

/** MongoDB's canonical order of BSON types when values of different types are compared. */
export function typeRank(value: unknown): number {
  if (value instanceof MinKey) return 1;
  if (value === null || value === undefined) return 2;
  if (
    typeof value === "number" ||
    typeof value === "bigint" ||
    value instanceof Long ||
    value instanceof Decimal128 ||
    value instanceof Double ||
    value instanceof Int32
  )
    return 3;
  if (typeof value === "string") return 4;
  if (Array.isArray(value)) return 6;
  if (value instanceof Binary) return 7;
  if (value instanceof ObjectId) return 8;
  if (typeof value === "boolean") return 9;
  if (value instanceof Date) return 10;
  if (value instanceof Timestamp) return 11;
  if (value instanceof RegExp || value instanceof BSONRegExp) return 12;
  if (value instanceof MaxKey) return 13;
  return 5;
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return sign(a[i] - b[i]);
  return sign(a.length - b.length);
}

/** bson 7 holds an ObjectId as four 24-bit words (its `id` getter builds a new buffer each call). */
interface ObjectIdWords {
  i0?: number;
  i1: number;
  i2: number;
  i3: number;
}

function compareObjectIds(a: ObjectId, b: ObjectId): number {
  const x = a as unknown as ObjectIdWords;
  const y = b as unknown as ObjectIdWords;
  if (x.i0 === undefined || y.i0 === undefined) return compareBytes(a.id, b.id);
  return sign(x.i0 - y.i0) || sign(x.i1 - y.i1) || sign(x.i2 - y.i2) || sign(x.i3 - y.i3);
}

/** Compares two BSON values as MongoDB orders them in indexes and sorts (-1, 0 or 1). */
export function compareValues(a: unknown, b: unknown): number {
  // Fast paths for the commonest keys; the general comparison below gives the same answers.
  if (typeof a === "string" && typeof b === "string") return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === "number" && typeof b === "number" && !Number.isNaN(a) && !Number.isNaN(b)) return sign(a - b);
  if (a instanceof ObjectId && b instanceof ObjectId) return compareObjectIds(a, b);
  const rankA = typeRank(a);
  const rankB = typeRank(b);
  if (rankA !== rankB) return sign(rankA - rankB);
  switch (rankA) {
    case 3:
      return compareNumbers(a, b);
    case 4:
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
    case 5:
      return compareDocuments(a as Document, b as Document);
    case 6: {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return sign(x.length - y.length);
    }
    case 7:
      return compareBytes((a as Binary).buffer, (b as Binary).buffer);
    case 8:
      return compareObjectIds(a as ObjectId, b as ObjectId);
    case 9:
      return sign(Number(a) - Number(b));
    case 10:
      return sign((a as Date).getTime() - (b as Date).getTime());
    case 11:
      return (a as Timestamp).compare(b as Timestamp);
    case 12:
      return compareValues(String(a), String(b));
    default:
      return 0;
  }
}

function compareDocuments(a: Document, b: Document): number {
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  for (let i = 0; i < Math.min(keysA.length, keysB.length); i++) {
    const byValueType = sign(typeRank(a[keysA[i]]) - typeRank(b[keysB[i]]));
    if (byValueType !== 0) return byValueType;
    const byName = compareValues(keysA[i], keysB[i]);
    if (byName !== 0) return byName;
    const byValue = compareValues(a[keysA[i]], b[keysB[i]]);
    if (byValue !== 0) return byValue;
  }
  return sign(keysA.length - keysB.length);
}

/**
 * Element-wise comparison of composite index keys. Index upkeep calls it some twenty times per entry, so strings and
 * ordinary numbers (record ids) are compared inline; everything else as `compareValues` does.
 */
export function compareKeys(a: readonly unknown[], b: readonly unknown[]): number {
  const length = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < length; i++) {
    const x = a[i];
    const y = b[i];
    if (typeof x === "string" && typeof y === "string") {
      if (x !== y) return x < y ? -1 : 1;
    } else if (typeof x === "number" && typeof y === "number" && !Number.isNaN(x) && !Number.isNaN(y)) {
      if (x !== y) return x < y ? -1 : 1;
    } else {
      const c = compareValues(x, y);
      if (c !== 0) return c;
    }
  }
  return sign(a.length - b.length);
}

export const MIN_KEY = new MinKey();
export const MAX_KEY = new MaxKey();

/** The BSON type number of a value, as `$type` names it (arrays are 4). */
export function bsonTypeCode(value: unknown): number {
  const number = numberType(value);
  if (number) return TYPE_CODE_OF_NUMBER[number];
  if (value === undefined) return 6;
  if (value === null) return 10;
  if (typeof value === "string") return 2;
  if (typeof value === "boolean") return 8;
  if (Array.isArray(value)) return 4;
  if (value instanceof Binary) return 5;
  if (value instanceof ObjectId) return 7;
  if (value instanceof Date) return 9;
  if (value instanceof RegExp || value instanceof BSONRegExp) return 11;
  if (value instanceof Code) return value.scope ? 15 : 13;
  if (value instanceof BSONSymbol) return 14;
  if (value instanceof Timestamp) return 17;
  if (value instanceof MinKey) return -1;
  if (value instanceof MaxKey) return 127;
  if (value instanceof DBRef) return 3;
  return 3;
}

/** A deep copy that keeps BSON classes (ObjectId, Binary, Decimal128...) intact. */
export function cloneDocument<T extends Document>(doc: T): T {
  return deserializeKeepingTypes(serialize(doc)) as T;
}

/** True when two documents serialise to the same bytes (used to tell whether an update changed anything). */
export function sameDocument(a: Document, b: Document): boolean {
  return Buffer.from(serialize(a)).equals(Buffer.from(serialize(b)));
}

/** Reads a dotted path, descending into arrays as MongoDB does; returns every value found. */
export function valuesAtPath(doc: unknown, path: string): unknown[] {
  return valuesAtParts(doc, path.split("."));
}

/** `valuesAtPath` for a path already split on its dots (an index reads the same paths for every document). */
export function valuesAtParts(doc: unknown, parts: readonly string[]): unknown[] {
  const found: unknown[] = [];
  collect(doc, parts, 0, found);
  return found;
}

function collect(value: unknown, parts: readonly string[], depth: number, found: unknown[]): void {
  if (depth === parts.length) {
    found.push(value);
    return;
  }
  if (Array.isArray(value)) {
    const part = parts[depth];
    if (/^\d+$/.test(part)) {
      if (Number(part) < value.length) collect(value[Number(part)], parts, depth + 1, found);
      return;
    }
    for (const element of value) if (isPlainObject(element)) collect(element, parts, depth, found);
    return;
  }
  if (isPlainObject(value) && Object.hasOwn(value, parts[depth])) collect(value[parts[depth]], parts, depth + 1, found);
}

/** A plain JavaScript object (a sub-document), as opposed to a BSON value class or an array. */
export function isPlainObject(value: unknown): value is Document {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A stable string identity for an _id value, used for retry and conflict bookkeeping. */
export function idKey(id: unknown): string {
  if (id instanceof ObjectId) return `o${id.toHexString()}`;
  if (typeof id === "string") return `s${id}`;
  if (typeof id === "number") return `n${id}`;
  return `x${Buffer.from(serialize({ v: id })).toString("base64")}`;
}

/**
 * A string that two values share exactly when MongoDB groups or joins them as equal: numbers by value across their
 * types (int 5, long 5, double 5.0 and decimal 5.00 are one), null and missing as one, documents field by field.
 */
export function valueKey(value: unknown): string {
  if (typeof value === "string") return `s${value}`;
  if (value === null || value === undefined) return "z";
  if (numberType(value) !== undefined) return `n${numberKey(value)}`;
  if (Array.isArray(value)) return `a[${value.map(valueKey).join(",")}]`;
  if (isPlainObject(value))
    return `d{${Object.entries(value)
      .map(([key, inner]) => `${JSON.stringify(key)}:${valueKey(inner)}`)
      .join(",")}}`;
  if (typeof value === "boolean") return `b${value}`;
  if (value instanceof Date) return `t${value.getTime()}`;
  return idKey(value);
}

/** Formats a value for error messages the way the mongo shell would, roughly. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value === undefined) return "undefined";
  if (isPlainObject(value))
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${describeValue(v)}`)
      .join(", ")} }`;
  if (Array.isArray(value)) return `[ ${value.map(describeValue).join(", ")} ]`;
  if (value === null) return "null";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return Object.prototype.toString.call(value);
}
