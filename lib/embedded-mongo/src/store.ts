// The catalogue of namespaces, units of write that journal their changes, and multi-document transactions.
import { UUID, type Document } from "bson";
import { Collection } from "./collection";
import { CommandError, ErrorCodes } from "./errors";
import type { IndexSpec } from "./indexes";
import type { Journal } from "./journal";
import { idKey } from "./bson-values";
import { validateWrite } from "./validation";

/** A logical change as the journal records it; replaying the same ops in order rebuilds the same state. */
export type Op =
  | { op: "i"; ns: string; doc: Document }
  | { op: "u"; ns: string; id: unknown; doc: Document }
  | { op: "d"; ns: string; id: unknown }
  | { op: "c"; ns: string; options: Document; uuid: UUID }
  | { op: "cm"; ns: string; options: Document }
  | { op: "dc"; ns: string }
  | { op: "ci"; ns: string; spec: IndexSpec }
  | { op: "di"; ns: string; name: string }
  | { op: "dd"; db: string };

type Namespaces = Map<string, Collection>;

/**
 * Applies one op to a set of namespaces; used for recovery and for committing transactions. Recovery replays only
 * acknowledged writes (`replay`), so inserts skip the checks they passed when they were made, and collections it
 * creates build their secondary indexes once at the end (`Collection.finishLoading`).
 */
export function applyOp(namespaces: Namespaces, entry: Document, replay = false): void {
  const op = entry as Op;
  switch (op.op) {
    case "c":
      if (!namespaces.has(op.ns)) {
        const collection = new Collection(op.ns, op.options, op.uuid);
        if (replay) collection.startLoading();
        namespaces.set(op.ns, collection);
      }
      return;
    case "cm": {
      // Collections share their options object with their clones: give this one a new object.
      const collection = requireCollection(namespaces, op.ns);
      collection.options = op.options;
      return;
    }
    case "dc":
      namespaces.delete(op.ns);
      return;
    case "dd":
      for (const ns of [...namespaces.keys()]) if (ns.startsWith(`${op.db}.`)) namespaces.delete(ns);
      return;
    case "ci":
      requireCollection(namespaces, op.ns).createIndex(op.spec);
      return;
    case "di":
      requireCollection(namespaces, op.ns).dropIndex(op.name);
      return;
    case "i":
      if (replay) requireCollection(namespaces, op.ns).restore(op.doc);
      else requireCollection(namespaces, op.ns).insert(op.doc);
      return;
    case "u": {
      const collection = requireCollection(namespaces, op.ns);
      const recordId = collection.recordIdOf(op.id);
      if (recordId === undefined) throw new CommandError("InternalError", `replay: no document ${String(op.id)} in ${op.ns}`);
      collection.replace(recordId, op.doc);
      return;
    }
    case "d": {
      const collection = requireCollection(namespaces, op.ns);
      const recordId = collection.recordIdOf(op.id);
      if (recordId !== undefined) collection.remove(recordId);
      return;
    }
  }
}

function requireCollection(namespaces: Namespaces, ns: string): Collection {
  const collection = namespaces.get(ns);
  if (!collection) throw new CommandError("InternalError", `replay: namespace ${ns} does not exist`);
  return collection;
}

/** Checks a database name and a collection name as MongoDB does. */
export function namespaceOf(db: string, collection: unknown): string {
  if (!db || /[/\\. "$\0]/.test(db) || db.length > 63) throw new CommandError("InvalidNamespace", `Invalid database name: '${db}'`);
  if (typeof collection !== "string" || collection.length === 0 || collection.includes("$") || collection.includes("\0") || collection.startsWith(".")) {
    throw new CommandError("InvalidNamespace", `Invalid namespace specified '${db}.${String(collection)}'`);
  }
  return `${db}.${collection}`;
}

/** A multi-document transaction: a private copy of each namespace it touches, and the ops to replay on commit. */
export class Transaction {
  readonly txnNumber: number;
  state: "active" | "committed" | "aborted" = "active";
  /** Every namespace as committed when the transaction's first operation ran: one snapshot for all it reads. */
  base: Namespaces | undefined;
  readonly snapshots = new Map<string, Collection | undefined>();
  readonly working: Namespaces = new Map();
  ops: Op[] = [];
  lastUsed = Date.now();

  constructor(txnNumber: number) {
    this.txnNumber = txnNumber;
  }

  /**
   * Commits or aborts it and lets go of its snapshot, copies and ops: a session keeps its last transaction until the next
   * one (to answer a retried commit or abort), and the snapshot would otherwise keep every tree node changed since alive.
   */
  end(state: "committed" | "aborted"): void {
    this.state = state;
    this.base = undefined;
    this.snapshots.clear();
    this.working.clear();
    this.ops = [];
  }
}

/** All namespaces of the engine, and the journal that makes their changes durable. */
export class Store {
  namespaces: Namespaces = new Map();
  journal: Journal | undefined;

  /** The collection as a command sees it: the transaction's copy inside a transaction, else the committed one. */
  collection(ns: string, txn?: Transaction): Collection | undefined {
    if (!txn) return this.namespaces.get(ns);
    txn.base ??= new Map([...this.namespaces].map(([name, collection]) => [name, collection.clone()]));
    if (!txn.snapshots.has(ns)) {
      const base = txn.base.get(ns);
      txn.snapshots.set(ns, base);
      if (base) txn.working.set(ns, base.clone());
    }
    return txn.working.get(ns);
  }

  namespacesOf(db: string): string[] {
    return [...this.namespaces.keys()].filter((ns) => ns.startsWith(`${db}.`)).sort();
  }

  databases(): string[] {
    return [...new Set([...this.namespaces.keys()].map((ns) => ns.slice(0, ns.indexOf("."))))].sort();
  }

  /** Starts a unit of write for one command; refused before anything is applied while the journal cannot write. */
  begin(txn?: Transaction, options: { bypassDocumentValidation?: boolean } = {}): WriteUnit {
    if (!txn) this.refuseWritesWhileJournalFails();
    return new WriteUnit(this, txn, options.bypassDocumentValidation === true);
  }

  private refuseWritesWhileJournalFails(): void {
    const refusal = this.journal?.writeRefusal();
    if (refusal) throw refusal;
  }

  /** Applies a transaction's ops to the committed state all at once, or not at all. */
  async commit(txn: Transaction): Promise<void> {
    if (txn.ops.length > 0) this.refuseWritesWhileJournalFails();
    const staged: Namespaces = new Map(this.namespaces);
    for (const ns of new Set(txn.ops.map((op) => ("ns" in op ? op.ns : "")))) {
      const base = this.namespaces.get(ns);
      if (base) staged.set(ns, base.clone());
    }
    const checked = new Set<string>();
    for (const op of txn.ops) {
      if (op.op === "u" || op.op === "d") {
        const key = `${op.ns}\0${idKey(op.id)}`;
        if (!checked.has(key)) {
          checked.add(key);
          this.checkNoConflict(txn, op.ns, op.id);
        }
      }
      try {
        applyOp(staged, op);
      } catch (error) {
        // A unique key taken by a transaction that committed meanwhile: MongoDB reports that as a write conflict.
        throw error instanceof CommandError && error.code === ErrorCodes.DuplicateKey ? writeConflict() : error;
      }
    }
    const { ops } = txn;
    txn.end("committed");
    this.namespaces = staged;
    if (this.journal && ops.length > 0) await this.journal.append(ops);
  }

  /** Fails with WriteConflict when someone else changed the document since the transaction first read it. */
  checkNoConflict(txn: Transaction, ns: string, id: unknown): void {
    const current = this.namespaces.get(ns)?.findById(id);
    const seen = txn.snapshots.get(ns)?.findById(id);
    if (current !== seen) throw writeConflict();
  }

  /** Fails with WriteConflict when a unique key the transaction writes was committed by someone else meanwhile. */
  checkUniqueAgainstCommitted(ns: string, doc: Document): void {
    const committed = this.namespaces.get(ns);
    if (committed?.uniqueClash(doc, committed.recordIdOf(doc._id) ?? -1)) throw writeConflict();
  }
}

function writeConflict(): CommandError {
  return new CommandError(
    "WriteConflict",
    "Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.",
    {},
    ["TransientTransactionError"],
  );
}

/** The writes of one command, applied as they happen and journaled together when the command completes. */
export class WriteUnit {
  private readonly store: Store;
  private readonly txn: Transaction | undefined;
  private readonly ops: Op[] = [];
  private readonly bypassDocumentValidation: boolean;
  /** The collections whose index upkeep waits for the end of `batch`. */
  private batching: Set<Collection> | undefined;

  constructor(store: Store, txn?: Transaction, bypassDocumentValidation = false) {
    this.store = store;
    this.txn = txn;
    this.bypassDocumentValidation = bypassDocumentValidation;
  }

  private get target(): Namespaces {
    return this.txn ? this.txn.working : this.store.namespaces;
  }

  /**
   * Runs a command's inserts as one batch: each is checked against unique indexes in order as before, and the other
   * indexes get the new entries in one sorted pass when the body returns or fails.
   */
  batch<T>(body: () => T): T {
    this.batching = new Set();
    try {
      return body();
    } finally {
      for (const collection of this.batching) collection.flushIndexUpkeep();
      this.batching = undefined;
    }
  }

  private record(op: Op): void {
    if (this.txn) this.txn.ops.push(op);
    else this.ops.push(op);
  }

  collection(ns: string): Collection | undefined {
    return this.store.collection(ns, this.txn);
  }

  /** The collection, created implicitly as MongoDB does on first write. */
  ensureCollection(ns: string): Collection {
    const existing = this.collection(ns);
    if (existing) return existing;
    return this.createCollection(ns, {});
  }

  createCollection(ns: string, options: Document): Collection {
    const op: Op = { op: "c", ns, options, uuid: new UUID() };
    applyOp(this.target, op);
    this.record(op);
    return this.target.get(ns)!;
  }

  /** Replaces a collection's options (collMod). */
  modifyCollection(ns: string, options: Document): void {
    this.requireOutsideTransaction("collMod");
    const op: Op = { op: "cm", ns, options };
    applyOp(this.target, op);
    this.record(op);
  }

  dropCollection(ns: string): void {
    this.requireOutsideTransaction("drop");
    applyOp(this.target, { op: "dc", ns });
    this.record({ op: "dc", ns });
  }

  dropDatabase(db: string): void {
    this.requireOutsideTransaction("dropDatabase");
    applyOp(this.target, { op: "dd", db });
    this.record({ op: "dd", db });
  }

  createIndex(ns: string, spec: IndexSpec): void {
    this.requireOutsideTransaction("createIndexes");
    this.ensureCollection(ns).createIndex(spec);
    this.record({ op: "ci", ns, spec });
  }

  dropIndex(ns: string, name: string): void {
    this.requireOutsideTransaction("dropIndexes");
    this.ensureCollection(ns).dropIndex(name);
    this.record({ op: "di", ns, name });
  }

  /** `sizeBound`: as for `Collection.insert`. */
  insert(ns: string, doc: Document, sizeBound?: number): void {
    const collection = this.ensureCollection(ns);
    if (!this.bypassDocumentValidation) validateWrite(collection, doc, undefined);
    if (this.batching) {
      collection.deferIndexUpkeep();
      this.batching.add(collection);
    }
    collection.insert(doc, sizeBound);
    if (this.txn) this.store.checkUniqueAgainstCommitted(ns, doc);
    this.record({ op: "i", ns, doc });
  }

  replace(ns: string, recordId: number, doc: Document): void {
    if (this.txn) this.store.checkNoConflict(this.txn, ns, doc._id);
    const collection = this.ensureCollection(ns);
    if (!this.bypassDocumentValidation) validateWrite(collection, doc, collection.records.get(recordId));
    collection.replace(recordId, doc);
    if (this.txn) this.store.checkUniqueAgainstCommitted(ns, doc);
    this.record({ op: "u", ns, id: doc._id, doc });
  }

  remove(ns: string, recordId: number): void {
    const collection = this.ensureCollection(ns);
    const id = collection.records.get(recordId)?._id;
    if (this.txn) this.store.checkNoConflict(this.txn, ns, id);
    collection.remove(recordId);
    this.record({ op: "d", ns, id });
  }

  /** Makes this command's writes durable (inside a transaction, that happens at commit). */
  async finish(): Promise<void> {
    if (this.ops.length > 0 && this.store.journal) await this.store.journal.append(this.ops);
  }

  private requireOutsideTransaction(command: string): void {
    if (this.txn) throw new CommandError("OperationNotSupportedInTransaction", `Cannot run '${command}' in a multi-document transaction.`);
  }
}
