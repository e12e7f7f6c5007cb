// Secondary indexes: B+ trees of composite keys (values..., recordId), unique checks, and range scans for the planner.
import BTree from "sorted-btree";
import { bulkLoad } from "sorted-btree/extended/bulkLoad";
import type { Document } from "bson";
import { Query, queryOptions } from "./query-language";
import { compareKeys, compareValues, describeValue, valuesAtParts, MIN_KEY, MAX_KEY } from "./bson-values";
import { compileFastMatcher } from "./fast-match";
import { CommandError } from "./errors";
import { geoCellOf, parsePoint } from "./geo";
import { collationKey, holdsString, parseCollation, type Collation } from "./collation";

/** An index as listIndexes shows it. */
export interface IndexSpec extends Document {
  v: number;
  key: Document;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Document;
  expireAfterSeconds?: number;
  collation?: Document;
}

/** What the planner knows about one field of a filter. */
export interface FieldPredicate {
  equals?: unknown[];
  lower?: unknown;
  upper?: unknown;
}

type IndexKey = unknown[];

/**
 * The tree entry of a key for a record: the key's values, then the record id, in an array of exactly that size (a
 * spread leaves room for 17 elements: about 200 bytes per entry instead of 70). One-field keys, the common case,
 * take the faster literal.
 */
export function entryOf(key: readonly unknown[], recordId: number): IndexKey {
  return key.length === 1 ? [key[0], recordId] : key.concat(recordId);
}

const SUPPORTED_TYPES = new Set<unknown>([1, -1, "2dsphere", "hashed"]);

/** Builds the conventional name of an index from its key pattern, e.g. `{ a: 1, b: -1 }` → `a_1_b_-1`. */
export function defaultIndexName(key: Document): string {
  return Object.entries(key)
    .map(([field, type]) => `${field}_${type}`)
    .join("_");
}

/** Checks a createIndexes entry and returns it as it will be stored. */
export function validateIndexSpec(raw: Document): IndexSpec {
  if (raw.key === null || typeof raw.key !== "object" || Object.keys(raw.key).length === 0) {
    throw new CommandError("CannotCreateIndex", "Index keys cannot be empty.");
  }
  for (const [field, type] of Object.entries(raw.key as Document)) {
    const normalised = typeof type === "number" ? Math.sign(type) : type;
    if (!SUPPORTED_TYPES.has(normalised)) {
      throw new CommandError(
        "CannotCreateIndex",
        `Index type ${JSON.stringify(type)} on field '${field}' is not supported by the embedded engine (supported: 1, -1, "2dsphere", "hashed")`,
      );
    }
  }
  const spec: IndexSpec = { ...raw, v: 2, key: raw.key as Document, name: typeof raw.name === "string" ? raw.name : defaultIndexName(raw.key as Document) };
  // A collation is kept in MongoDB's full form; the simple one is no collation at all.
  const collation = parseCollation(raw.collation, "createIndexes.collation");
  if (collation) spec.collation = collation.spec;
  else delete spec.collation;
  if (collation && holdsString(spec.partialFilterExpression))
    throw new CommandError(
      "InvalidOptions",
      "a partialFilterExpression comparing strings on an index with a collation is not supported by the embedded engine",
    );
  if (spec.name === "_id_" && spec.unique === undefined) spec.unique = true;
  return spec;
}

/** One secondary index over a collection's records. */
export class Index {
  readonly spec: IndexSpec;
  readonly fields: string[];
  readonly geoField: string | undefined;
  tree: BTree<IndexKey, undefined>;
  multikey: boolean;
  /** The index's collation (undefined: simple); its keys are ordered by it. */
  readonly collation: Collation | undefined;
  /** The order of this index's keys: the collation's for strings when it has one. */
  readonly compareKeys: (a: readonly unknown[], b: readonly unknown[]) => number;
  /** Each field's path split on its dots, once. */
  private readonly paths: readonly (readonly string[])[];
  /** Whether a document belongs in a partial index. */
  private readonly partialFilter: ((doc: Document) => boolean) | undefined;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.fields = Object.keys(spec.key);
    this.geoField = this.fields.find((field) => spec.key[field] === "2dsphere");
    this.collation = parseCollation(spec.collation);
    const compareValue = this.collation?.compare;
    this.compareKeys = compareValue ? (a, b) => compareKeysBy(compareValue, a, b) : compareKeys;
    this.tree = new BTree<IndexKey, undefined>(undefined, this.compareKeys);
    this.multikey = false;
    this.paths = this.fields.map((field) => field.split("."));
    this.partialFilter = spec.partialFilterExpression ? partialFilterTest(spec.partialFilterExpression) : undefined;
  }

  get name(): string {
    return this.spec.name;
  }

  get unique(): boolean {
    return this.spec.unique === true;
  }

  /**
   * A copy sharing tree nodes until either side changes (O(1)), and what the spec derives (fields, collation, key order,
   * the compiled partial filter), which never changes: a transaction clones every index of the collections it touches,
   * so deriving them again (a mingo query compiled per partial index) was work done on every write.
   */
  clone(): Index {
    return Object.assign(Object.create(Index.prototype) as Index, this, { tree: this.tree.clone() });
  }

  /** The keys (without record id) this document contributes; empty when the index leaves it out. */
  keysOf(doc: Document): IndexKey[] {
    if (this.partialFilter && !this.partialFilter(doc)) return [];
    if (this.fields.length === 1 && !this.geoField) return this.singleFieldKeys(doc);
    let present = false;
    let arrayFields = 0;
    const perField: unknown[][] = this.fields.map((field, position) => {
      if (field === this.geoField) {
        const raw = valuesAtParts(doc, this.paths[position]);
        if (raw.length === 0 || raw[0] === null || raw[0] === undefined) return [];
        present = true;
        const point = parsePoint(raw[0]);
        if (!point) {
          throw new CommandError(
            "CannotExtractGeoKeys",
            `Can't extract geo keys: ${describeValue({ _id: doc._id, [field]: raw[0] })} Point must be GeoJSON { type: "Point", coordinates: [longitude, latitude] } with longitude in [-180, 180] and latitude in [-90, 90]`,
          );
        }
        // The cell orders the entry; the exact point rides along so near queries measure without fetching documents.
        return [[geoCellOf(point), point.lng, point.lat]];
      }
      const raw = valuesAtParts(doc, this.paths[position]);
      if (raw.length > 0) present = true;
      const values = flattened(raw);
      for (const value of raw) if (Array.isArray(value)) arrayFields++;
      if (raw.length > 1) arrayFields++;
      return values.length === 0 ? [null] : this.distinct(values);
    });
    if (this.geoField && perField[this.fields.indexOf(this.geoField)].length === 0) return [];
    if (this.spec.sparse && !present) return [];
    if (arrayFields > 1 && perField.filter((values) => values.length > 1).length > 1) {
      throw new CommandError("CannotIndexParallelArrays", `cannot index parallel arrays in index ${this.name}`);
    }
    if (perField.some((values) => values.length > 1)) this.multikey = true;
    return cartesian(perField);
  }

  /** `keysOf` for the commonest index, one ordinary field: no parallel arrays to check, no combinations to form. */
  private singleFieldKeys(doc: Document): IndexKey[] {
    const raw = valuesAtParts(doc, this.paths[0]);
    if (raw.length === 0) return this.spec.sparse ? [] : [[null]];
    const values = this.distinct(flattened(raw));
    if (values.length > 1) this.multikey = true;
    return values.map((value) => [value]);
  }

  /** The distinct values in index order (strings under binary comparison sorted natively: the same order). */
  private distinct(values: unknown[]): unknown[] {
    if (values.length === 1) return values;
    if (!this.collation && values.every((value) => typeof value === "string")) return [...new Set(values)].sort();
    const compare = this.collation?.compare ?? compareValues;
    const sorted = values.sort(compare);
    return sorted.filter((value, i) => i === 0 || compare(value, sorted[i - 1]) !== 0);
  }

  add(doc: Document, recordId: number): void {
    this.addKeys(this.keysOf(doc), recordId);
  }

  /** Adds keys computed by `keysOf` for the record. */
  addKeys(keys: readonly IndexKey[], recordId: number): void {
    for (const key of keys) this.tree.set(entryOf(key, recordId), undefined);
  }

  remove(doc: Document, recordId: number): void {
    for (const key of this.keysOf(doc)) this.tree.delete(entryOf(key, recordId));
  }

  /**
   * Adds many documents' entries at once. Sorted first, neighbouring entries land in the same tree nodes (far fewer
   * cache misses than inserting them in document order); into an empty index they are bulk-loaded, O(n) after the sort.
   */
  addEntries(entries: IndexKey[]): void {
    this.addSorted(this.inKeyOrder(entries));
  }

  /**
   * Entries (given in record order) in key order. One-field string keys under binary comparison, such as the many
   * keys of a multikey text field, are grouped by value and only the distinct values sorted, natively (the same
   * order as the comparator's): a value's entries are then already in record order, as the comparator puts them.
   */
  private inKeyOrder(entries: IndexKey[]): IndexKey[] {
    if (this.fields.length !== 1 || this.collation || !entries.every((entry) => typeof entry[0] === "string")) return entries.sort(this.compareKeys);
    const byValue = new Map<string, IndexKey[]>();
    for (const entry of entries) {
      const group = byValue.get(entry[0] as string);
      if (group) group.push(entry);
      else byValue.set(entry[0] as string, [entry]);
    }
    const sorted: IndexKey[] = [];
    for (const value of [...byValue.keys()].sort()) for (const entry of byValue.get(value)!) sorted.push(entry);
    return sorted;
  }

  private addSorted(entries: IndexKey[]): void {
    if (this.tree.size === 0) this.tree = bulkLoad(entries, new Array<undefined>(entries.length).fill(undefined), this.tree.maxNodeSize, this.compareKeys);
    else for (const entry of entries) this.tree.set(entry, undefined);
  }

  /**
   * Builds the index afresh over every record at once, for createIndex and recovery. With `checkUnique`, a unique
   * index fails with the first clash in key order and is left empty.
   */
  build(records: BTree<number, Document>, ns: string, checkUnique: boolean): void {
    const entries: IndexKey[] = [];
    records.forEachPair((recordId, doc) => {
      for (const key of this.keysOf(doc)) entries.push(entryOf(key, recordId));
    });
    const sorted = this.inKeyOrder(entries);
    this.tree = new BTree<IndexKey, undefined>(undefined, this.compareKeys, this.tree.maxNodeSize);
    if (checkUnique && this.unique) {
      for (let i = 1; i < sorted.length; i++) {
        const key = sorted[i].slice(0, -1);
        if (this.compareKeys(sorted[i - 1].slice(0, -1), key) === 0) throw this.duplicateKeyError(ns, key);
      }
    }
    this.addSorted(sorted);
  }

  /** For a unique index: the first key of `doc` already held by another record, if any. */
  conflictingKey(doc: Document, recordId: number): IndexKey | undefined {
    return this.unique ? this.conflictAmong(this.keysOf(doc), recordId) : undefined;
  }

  /** For a unique index: the first of these keys (from `keysOf`) already held by another record, if any. */
  conflictAmong(keys: readonly IndexKey[], recordId: number): IndexKey | undefined {
    if (!this.unique) return undefined;
    for (const key of keys) {
      let clash = false;
      this.tree.forRange([...key, MIN_KEY], [...key, MAX_KEY], true, (entry) => {
        if (entry[entry.length - 1] !== recordId) clash = true;
        return clash ? { break: true } : undefined;
      });
      if (clash) return key;
    }
    return undefined;
  }

  /** The E11000 error MongoDB reports for a clash on this index. */
  duplicateKeyError(ns: string, key: IndexKey): CommandError {
    const keyValue: Document = {};
    this.fields.forEach((field, i) => (keyValue[field] = key[i]));
    const shown = this.fields.map((field, i) => `${field}: ${describeValue(key[i])}`).join(", ");
    return new CommandError("DuplicateKey", `E11000 duplicate key error collection: ${ns} index: ${this.name} dup key: { ${shown} }`, {
      keyPattern: this.spec.key,
      keyValue,
    });
  }

  /** Whether the index can bound a scan for these predicates under an operation's collation (as MongoDB: same collation, or no strings). */
  servesCollation(predicates: Map<string, FieldPredicate>, collation: Collation | undefined): boolean {
    if (collationKey(collation) === collationKey(this.collation)) return true;
    return this.fields.every((field) => {
      const predicate = predicates.get(field);
      return !predicate || ![...(predicate.equals ?? []), predicate.lower, predicate.upper].some(holdsString);
    });
  }

  /**
   * How well this index serves the predicates: equality fields matched from the left, plus one for a range
   * on the next field. Zero means it cannot narrow the scan.
   */
  score(predicates: Map<string, FieldPredicate>): number {
    if (this.geoField || this.spec.partialFilterExpression) return 0;
    let score = 0;
    for (const field of this.fields) {
      const predicate = predicates.get(field);
      if (!predicate) break;
      if (this.spec.sparse && predicate.equals?.some((value) => value === null)) return 0;
      if (predicate.equals) {
        score += 2;
        continue;
      }
      if (predicate.lower !== undefined || predicate.upper !== undefined) score += 1;
      break;
    }
    return score;
  }

  /** Record ids whose keys fall within the predicates' bounds, in index order, and how many keys were read. */
  scan(predicates: Map<string, FieldPredicate>): { recordIds: number[]; keysExamined: number } {
    let prefixes: IndexKey[] = [[]];
    let lower: unknown = MIN_KEY;
    let upper: unknown = MAX_KEY;
    for (const field of this.fields) {
      const predicate = predicates.get(field);
      if (predicate?.equals) {
        prefixes = prefixes.flatMap((prefix) => predicate.equals!.map((value) => [...prefix, value]));
        continue;
      }
      if (predicate) {
        lower = predicate.lower ?? MIN_KEY;
        upper = predicate.upper ?? MAX_KEY;
        // A multikey range may be satisfied by different elements on each side: keep one bound only.
        if (this.multikey && predicate.lower !== undefined) upper = MAX_KEY;
      }
      break;
    }
    const padding = this.fields.length - (prefixes[0]?.length ?? 0);
    const recordIds: number[] = [];
    const seen = new Set<number>();
    let keysExamined = 0;
    for (const prefix of prefixes.sort(this.compareKeys)) {
      const low = [...prefix, ...(padding > 0 ? [lower] : []), ...Array(Math.max(0, padding - 1)).fill(MIN_KEY), MIN_KEY];
      const high = [...prefix, ...(padding > 0 ? [upper] : []), ...Array(Math.max(0, padding - 1)).fill(MAX_KEY), MAX_KEY];
      this.tree.forRange(low, high, true, (entry) => {
        keysExamined++;
        const recordId = entry[entry.length - 1] as number;
        if (!seen.has(recordId)) {
          seen.add(recordId);
          recordIds.push(recordId);
        }
      });
    }
    return { recordIds, keysExamined };
  }

  /** Visits the indexed points whose cell lies in one of the given inclusive cell ranges (geo field first in the key). */
  forEachPointInCells(ranges: readonly (readonly [number, number])[], visit: (recordId: number, lng: number, lat: number) => void): void {
    for (const [from, to] of ranges) {
      this.tree.forRange([[from], MIN_KEY], [[to, MAX_KEY], MAX_KEY], true, (entry) => {
        const [, lng, lat] = entry[0] as [number, number, number];
        visit(entry[entry.length - 1] as number, lng, lat);
      });
    }
  }
}

/** The values found at a path with arrays opened (an empty array is itself a key), missing ones as null. */
function flattened(raw: readonly unknown[]): unknown[] {
  const values: unknown[] = [];
  for (const value of raw) {
    if (Array.isArray(value)) {
      if (value.length === 0) values.push([]);
      else for (const element of value) values.push(element);
    } else values.push(value === undefined ? null : value);
  }
  return values;
}

/** A partial index's membership test: the compiled matcher (it covers every partialFilterExpression shape MongoDB allows), else mingo. */
function partialFilterTest(expression: Document): (doc: Document) => boolean {
  const fast = compileFastMatcher(expression);
  if (fast) return fast;
  const query = new Query(expression, queryOptions());
  return (doc) => query.test(doc);
}

function compareKeysBy(compare: (a: unknown, b: unknown) => number, a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compare(a[i], b[i]);
    if (c !== 0) return c;
  }
  return Math.sign(a.length - b.length);
}

function cartesian(lists: unknown[][]): IndexKey[] {
  return lists.reduce<IndexKey[]>((keys, values) => keys.flatMap((key) => values.map((value) => [...key, value])), [[]]);
}
