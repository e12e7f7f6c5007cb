// One collection's records (by record id, in insertion order) and its indexes, with copy-on-write cloning.
import BTree from "sorted-btree";
import { UUID, calculateObjectSize, type Document } from "bson";
import { Index, entryOf, validateIndexSpec, type IndexSpec } from "./indexes";
import { CommandError, dollarPrefixedField } from "./errors";
import { compareValues, isPlainObject } from "./bson-values";
import { storedForm } from "./storage-form";

/** The largest document MongoDB stores (16 MiB). */
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

/** Records and indexes of one namespace. Cloning is O(number of indexes); clones share unchanged tree nodes. */
export class Collection {
  readonly ns: string;
  readonly uuid: UUID;
  options: Document;
  records: BTree<number, Document>;
  indexes: Map<string, Index>;
  nextRecordId: number;
  /** Entries of new documents waiting to be added to non-unique indexes in one sorted pass (`deferIndexUpkeep`). */
  private pendingEntries: Map<Index, unknown[][]> | undefined;
  /**
   * True while recovery replays acknowledged writes: the indexes are built at the end, the _id index earlier when an
   * update or delete first needs to find a document (`idIndexBuilt`), and kept from then on.
   */
  private loading = false;
  private idIndexBuilt = true;

  constructor(ns: string, options: Document = {}, uuid: UUID = new UUID(), from?: Collection) {
    this.ns = ns;
    this.uuid = uuid;
    this.options = options;
    this.records = from ? from.records.clone() : new BTree<number, Document>();
    this.indexes = from
      ? new Map([...from.indexes].map(([name, index]) => [name, index.clone()]))
      : // The _id index takes the collection's default collation, as MongoDB's does.
        new Map([
          [
            "_id_",
            new Index(validateIndexSpec({ key: { _id: 1 }, name: "_id_", unique: true, ...(options.collation ? { collation: options.collation } : {}) })),
          ],
        ]);
    this.nextRecordId = from ? from.nextRecordId : 1;
  }

  clone(): Collection {
    this.flushIndexUpkeep();
    return new Collection(this.ns, this.options, this.uuid, this);
  }

  /**
   * Until `flushIndexUpkeep`, inserts add their entries to non-unique indexes in one sorted pass instead of one by
   * one (a batch insert). Unique indexes are kept as before, so every insert is still checked against those in
   * order; the other indexes miss the new documents until the flush, so the caller flushes before anything reads.
   */
  deferIndexUpkeep(): void {
    this.pendingEntries ??= new Map();
  }

  /** Adds the entries deferred since `deferIndexUpkeep` and stops deferring. */
  flushIndexUpkeep(): void {
    const pending = this.pendingEntries;
    this.pendingEntries = undefined;
    if (pending) for (const [index, entries] of pending) if (this.indexes.get(index.name) === index) index.addEntries(entries);
  }

  /** Recovery: until `finishLoading`, documents are restored without checks and without index upkeep (see `loading`). */
  startLoading(): void {
    this.loading = true;
    this.idIndexBuilt = false;
  }

  /** Builds the indexes from the restored documents in one sorted pass each (the _id index unless already built). */
  finishLoading(): void {
    if (!this.loading) return;
    this.loading = false;
    for (const index of this.indexes.values()) if (index.name !== "_id_" || !this.idIndexBuilt) index.build(this.records, this.ns, false);
    this.idIndexBuilt = true;
  }

  /** The indexes a write keeps up to date now. */
  private maintained(): Iterable<Index> {
    if (!this.loading) return this.indexes.values();
    return this.idIndexBuilt ? [this.indexes.get("_id_")!] : [];
  }

  get name(): string {
    return this.ns.slice(this.ns.indexOf(".") + 1);
  }

  get size(): number {
    return this.records.size;
  }

  /** The record id of the document with this _id, found through the _id index. */
  recordIdOf(id: unknown): number | undefined {
    if (!this.idIndexBuilt) {
      this.indexes.get("_id_")!.build(this.records, this.ns, false);
      this.idIndexBuilt = true;
    }
    const { recordIds } = this.indexes.get("_id_")!.scan(new Map([["_id", { equals: [id] }]]));
    return recordIds.find((recordId) => compareValues(this.records.get(recordId)?._id, id) === 0);
  }

  findById(id: unknown): Document | undefined {
    const recordId = this.recordIdOf(id);
    return recordId === undefined ? undefined : this.records.get(recordId);
  }

  /**
   * Adds a document (which must carry its _id), kept in its stored form; fails without changing anything on a unique
   * clash. `sizeBound`, when the caller knows one (the size of the message the document came in), spares measuring a
   * document that cannot be too large.
   */
  insert(given: Document, sizeBound?: number): number {
    checkStorable(given, sizeBound);
    const doc = storedForm(given);
    const recordId = this.nextRecordId;
    // Every index's keys first: geo and parallel-array errors, and unique clashes, surface before anything changes.
    const keysByIndex = [...this.indexes.values()].map((index) => ({ index, keys: index.keysOf(doc) }));
    for (const { index, keys } of keysByIndex) {
      const clash = index.conflictAmong(keys, recordId);
      if (clash) throw index.duplicateKeyError(this.ns, clash);
    }
    this.nextRecordId++;
    this.records.set(recordId, doc);
    const pending = this.pendingEntries;
    for (const { index, keys } of keysByIndex) {
      if (pending && !index.unique) {
        let entries = pending.get(index);
        if (!entries) pending.set(index, (entries = []));
        for (const key of keys) entries.push(entryOf(key, recordId));
      } else index.addKeys(keys, recordId);
    }
    return recordId;
  }

  /** Adds a document known to be valid (recovery replays only what was acknowledged): no size or unique checks. */
  restore(given: Document): number {
    const doc = storedForm(given);
    const recordId = this.nextRecordId++;
    this.records.set(recordId, doc);
    for (const index of this.maintained()) index.add(doc, recordId);
    return recordId;
  }

  /** Replaces the document at a record id with `given` in its stored form; fails without changing anything on a unique clash. */
  replace(recordId: number, given: Document): void {
    this.flushIndexUpkeep();
    const doc = storedForm(given);
    const previous = this.records.get(recordId);
    if (!previous) throw new CommandError("InternalError", `record ${recordId} vanished from ${this.ns}`);
    if (!this.loading) {
      checkStorable(doc);
      checkNoNewDollarFields(doc, previous);
      this.checkUnique(doc, recordId);
    }
    for (const index of this.maintained()) index.remove(previous, recordId);
    this.records.set(recordId, doc);
    for (const index of this.maintained()) index.add(doc, recordId);
  }

  remove(recordId: number): void {
    this.flushIndexUpkeep();
    const previous = this.records.get(recordId);
    if (!previous) return;
    for (const index of this.maintained()) index.remove(previous, recordId);
    this.records.delete(recordId);
  }

  /** Builds an index over the existing documents; a unique clash or bad geo value leaves the collection unchanged. */
  createIndex(spec: IndexSpec): void {
    this.flushIndexUpkeep();
    const index = new Index(spec);
    if (!this.loading) index.build(this.records, this.ns, true);
    this.indexes.set(spec.name, index);
  }

  dropIndex(name: string): void {
    this.flushIndexUpkeep();
    this.indexes.delete(name);
  }

  /** The duplicate-key error this document would raise here (as record `recordId`), if any. */
  uniqueClash(doc: Document, recordId: number): Error | undefined {
    for (const index of this.indexes.values()) {
      const clash = index.conflictingKey(doc, recordId);
      if (clash) return index.duplicateKeyError(this.ns, clash);
    }
    return undefined;
  }

  private checkUnique(doc: Document, recordId: number): void {
    const clash = this.uniqueClash(doc, recordId);
    if (clash) throw clash;
    // Keys are computed again on add; computing them here first also surfaces geo and parallel-array errors early.
    for (const index of this.indexes.values()) index.keysOf(doc);
  }
}

/**
 * An update may keep the top-level `$`-prefixed fields an insert stored (MongoDB 5.0+ permits them in inserts and keeps them
 * through updates of other fields) but not add one. MongoDB refuses that for a replacement; where it would store one (`$set`
 * in an upsert that inserts, `$setField` in a pipeline) the engine refuses too, with the same error (README).
 */
function checkNoNewDollarFields(doc: Document, previous: Document): void {
  for (const key of Object.keys(doc)) {
    if (key.startsWith("$") && !Object.hasOwn(previous, key)) throw dollarPrefixedField(key);
  }
}

function checkStorable(doc: Document, sizeBound = Infinity): void {
  if (Array.isArray(doc._id) || doc._id instanceof RegExp || doc._id === undefined) {
    throw new CommandError("BadValue", `The '_id' value cannot be of type ${Array.isArray(doc._id) ? "array" : doc._id === undefined ? "undefined" : "regex"}`);
  }
  if (isPlainObject(doc._id)) {
    for (const key of Object.keys(doc._id))
      if (key.startsWith("$")) throw new CommandError("BadValue", `_id fields may not contain '$'-prefixed fields: ${key}`);
  }
  if (sizeBound <= MAX_BSON_OBJECT_SIZE) return;
  const size = calculateObjectSize(doc);
  if (size > MAX_BSON_OBJECT_SIZE)
    throw new CommandError("BSONObjectTooLarge", `object to insert too large. size in bytes: ${size}, max size: ${MAX_BSON_OBJECT_SIZE}`);
}
