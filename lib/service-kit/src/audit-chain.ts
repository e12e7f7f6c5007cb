// Tamper-evident audit logs: every entry carries the SHA-256 of its content and of the entry before it, appends are serialised through a chain-head document, the head is written out as checkpoints, and a verifier names the first broken link.
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MongoServerError, ObjectId } from "mongodb";
import type { ClientSession, Collection, Document } from "mongodb";
import DataLoader from "dataloader";
import type { Connection } from "mongoose";
import type { Logger } from "./logger";

/** The unique index that keeps two entries from taking the same place. */
const SEQ_INDEX = "chain_seq_unique";

/** The `prev` of the first entry of every chain. */
export const GENESIS_HASH = "0".repeat(64);

/** The collection holding one head document per chained log: `{ _id: <log collection>, seq, hash, at }`. */
export const CHAIN_HEADS_COLLECTION = "auditChainHeads";

/** What each chained entry carries: its place in the chain, the hash of the entry before it, and its own hash. */
export interface ChainLink {
  seq: number;
  prev: string;
  hash: string;
}

/** The last entry of a chain as the head document (or a checkpoint) records it. */
export interface ChainHead {
  seq: number;
  hash: string;
  at: Date;
}

/** How a chain was found broken: an entry's content changed, entries missing, entries added, entries out of order, the tail cut off, or the chain recomputed since a checkpoint. */
export type ChainBreakKind = "EDITED" | "DELETED" | "INSERTED" | "REORDERED" | "TRUNCATED" | "REWRITTEN";

/** The first broken link: its kind, where (`seq` in the chain, the entry's `_id` when there is one) and a sentence saying what was found. */
export interface ChainBreak {
  kind: ChainBreakKind;
  seq: number | null;
  entryId: string | null;
  message: string;
}

/** What the verifier found in one log. */
export interface ChainReport {
  log: string;
  entries: number;
  head: ChainHead | null;
  /** The newest written-out checkpoint the chain was compared with, if any. */
  checkpoint: ChainHead | null;
  firstBreak: ChainBreak | null;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The JSON value a stored BSON value is hashed as: dates and ObjectIds tagged, keys sorted, undefined dropped. */
function canonicalValue(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`audit chain: cannot hash the number ${value}`);
    return value;
  }
  if (value instanceof Date) return { $date: value.toISOString() };
  if (value instanceof ObjectId) return { $oid: value.toHexString() };
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (typeof value === "object") {
    const bsonType = (value as { _bsontype?: unknown })._bsontype;
    if (bsonType === "ObjectId" || bsonType === "ObjectID") return { $oid: String((value as { toHexString(): string }).toHexString()) };
    if (bsonType !== undefined) throw new Error(`audit chain: cannot hash a BSON ${typeof bsonType === "string" ? bsonType : "value"}`);
    const sorted: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) {
      const field = (value as Record<string, unknown>)[key];
      if (field !== undefined) sorted[key] = canonicalValue(field);
    }
    return sorted;
  }
  throw new Error(`audit chain: cannot hash a ${typeof value}`);
}

/** The canonical serialisation of an entry: sorted keys, no whitespace, `{ $date }` and `{ $oid }` for dates and ids. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalValue(value));
}

/** The hash of an entry: SHA-256 over the previous hash and the entry's canonical content (everything but `chain`). */
export function linkHash(prev: string, entry: Document): string {
  const { chain: _chain, ...content } = entry;
  return createHash("sha256").update(prev).update("\n").update(canonicalJson(content)).digest("hex");
}

/** A copy without undefined fields, so what is hashed is exactly what the driver stores. */
function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (value === null || typeof value !== "object" || value instanceof Date || "_bsontype" in value) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .map(([key, field]) => [key, withoutUndefined(field)]),
  ) as T;
}

/** An error the driver's transaction helper retries: another append moved the head first. */
function headMoved(log: string): MongoServerError {
  return new MongoServerError({
    message: `audit chain ${log}: another append moved the head; retrying`,
    code: 112,
    codeName: "WriteConflict",
    errorLabels: ["TransientTransactionError"],
  });
}

interface HeadDocument {
  _id: string;
  seq: number;
  hash: string;
  at: Date;
}

interface ChainedEntry extends Document {
  _id: unknown;
  chain?: ChainLink;
}

/** The entry's link when it is well formed; anything else (missing, null, wrong types) counts as no link. */
function linkOf(entry: ChainedEntry): ChainLink | null {
  const link: unknown = entry.chain;
  if (link === null || typeof link !== "object") return null;
  const { seq, prev, hash } = link as Record<string, unknown>;
  return typeof seq === "number" && typeof prev === "string" && typeof hash === "string" ? { seq, prev, hash } : null;
}

const idOf = (entry: ChainedEntry): string | null =>
  entry._id instanceof ObjectId ? entry._id.toHexString() : entry._id === undefined ? null : JSON.stringify(entry._id);

/** Appends waiting for the next group commit, each with how its caller is answered. */
interface PendingAppend {
  entries: ChainedEntry[];
  resolve(stored: Array<ChainedEntry & { chain: ChainLink }>): void;
  reject(error: unknown): void;
}

/** One hash-chained log collection. */
export class AuditChain {
  readonly log: string;
  private readonly connection: Connection;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;

  /** `log` is the name of the collection holding the entries. */
  constructor(connection: Connection, log: string) {
    this.connection = connection;
    this.log = log;
  }

  private entries(): Collection<ChainedEntry> {
    const db = this.connection.db;
    if (db === undefined) throw new Error("audit chain: the connection is not open");
    return db.collection<ChainedEntry>(this.log);
  }

  private heads(): Collection<HeadDocument> {
    const db = this.connection.db;
    if (db === undefined) throw new Error("audit chain: the connection is not open");
    return db.collection<HeadDocument>(CHAIN_HEADS_COLLECTION);
  }

  /**
   * Creates the collections (transactions need them to exist) and the unique index on `chain.seq`, so two appends can
   * never take the same place. Replicas starting together may race to create a collection: the loser finds it there.
   */
  async ensureIndexes(): Promise<void> {
    const db = this.connection.db;
    if (db === undefined) throw new Error("audit chain: the connection is not open");
    const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((collection) => collection.name));
    for (const name of [this.log, CHAIN_HEADS_COLLECTION]) {
      if (existing.has(name)) continue;
      try {
        await db.createCollection(name);
      } catch (error) {
        if ((error as { codeName?: unknown }).codeName !== "NamespaceExists") throw error;
      }
    }
    await this.entries().createIndex({ "chain.seq": 1 }, { unique: true, sparse: true, name: SEQ_INDEX });
  }

  /**
   * Appends `entries` (each with its `_id`) at the head and resolves once they are committed, with the entries as
   * stored (with their `chain`). Inside `session`'s transaction when given (the caller's retry loop runs again when
   * another append moved the head); otherwise by group commit: the appends of this process that wait while one
   * transaction runs go together in the next, so concurrent writers never race each other for the head.
   */
  async append<T extends ChainedEntry>(entries: readonly T[], session?: ClientSession): Promise<Array<T & { chain: ChainLink }>> {
    if (session !== undefined) return this.appendIn(entries, session);
    const stored = await new Promise<Array<ChainedEntry & { chain: ChainLink }>>((resolve, reject) => {
      this.pending.push({ entries: [...entries], resolve, reject });
      this.flush();
    });
    return stored as Array<T & { chain: ChainLink }>;
  }

  /** Runs group commits until no append waits; one at a time per chain. */
  private flush(): void {
    if (this.flushing !== null) return;
    this.flushing = (async () => {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0);
        try {
          const stored = await this.connection.transaction((session) =>
            this.appendIn(
              batch.flatMap((item) => item.entries),
              session,
            ),
          );
          let offset = 0;
          for (const item of batch) {
            item.resolve(stored.slice(offset, offset + item.entries.length));
            offset += item.entries.length;
          }
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    })().finally(() => {
      this.flushing = null;
      if (this.pending.length > 0) this.flush();
    });
  }

  private async appendIn<T extends ChainedEntry>(entries: readonly T[], session: ClientSession): Promise<Array<T & { chain: ChainLink }>> {
    const head = await this.heads().findOne({ _id: this.log }, { session });
    let seq = head?.seq ?? 0;
    let prev = head?.hash ?? GENESIS_HASH;
    const chained = entries.map((entry) => {
      const content = withoutUndefined(entry);
      const hash = linkHash(prev, content);
      seq += 1;
      const linked = { ...content, chain: { seq, prev, hash } };
      prev = hash;
      return linked;
    });
    if (chained.length === 0) return [];
    try {
      await this.entries().insertMany(chained, { session });
    } catch (error) {
      // Another append committed this place after the head was read.
      if ((error as { code?: unknown }).code === 11000 && String((error as Error).message).includes(SEQ_INDEX)) throw headMoved(this.log);
      throw error;
    }
    const at = new Date();
    if (head === null) {
      try {
        await this.heads().insertOne({ _id: this.log, seq, hash: prev, at }, { session });
      } catch (error) {
        if ((error as { code?: unknown }).code === 11000) throw headMoved(this.log);
        throw error;
      }
    } else {
      const moved = await this.heads().updateOne({ _id: this.log, seq: head.seq, hash: head.hash }, { $set: { seq, hash: prev, at } }, { session });
      if (moved.matchedCount !== 1) throw headMoved(this.log);
    }
    return chained;
  }

  /** The head as the database records it, or null before the first append. */
  async head(): Promise<ChainHead | null> {
    const head = await this.heads().findOne({ _id: this.log });
    return head === null ? null : { seq: head.seq, hash: head.hash, at: head.at };
  }

  /**
   * Chains entries written before the log was chained (a one-time migration): only while the log has no head, in
   * the order they were written, so an entry slipped in later is never sealed into the chain.
   */
  async sealUnchained(): Promise<number> {
    if ((await this.head()) !== null) return 0;
    const unchained = await this.entries()
      .find({ chain: { $exists: false } })
      .sort({ at: 1, _id: 1 })
      .toArray();
    if (unchained.length === 0) return 0;
    const sealing = this.connection.transaction(async (session) => {
      let prev = GENESIS_HASH;
      let seq = 0;
      for (const entry of unchained) {
        seq += 1;
        const hash = linkHash(prev, entry);
        await this.entries().updateOne({ _id: entry._id }, { $set: { chain: { seq, prev, hash } } }, { session });
        prev = hash;
      }
      await this.heads().insertOne({ _id: this.log, seq, hash: prev, at: new Date() }, { session });
    });
    try {
      await sealing;
    } catch (error) {
      // Another replica starting at the same moment sealed them first.
      if ((error as { code?: unknown }).code === 11000) return 0;
      throw error;
    }
    return unchained.length;
  }

  /**
   * Walks the chain in `seq` order and reports the first broken link; then compares the end with the head document
   * and with `checkpoints` (heads written out earlier, oldest first), so a cut-off tail or a recomputed chain shows.
   */
  async verify(checkpoints: readonly ChainHead[] = []): Promise<ChainReport> {
    const links = await this.entries()
      .find({}, { projection: { chain: 1 } })
      .sort({ "chain.seq": 1, _id: 1 })
      .toArray();
    const positionOfHash = new Map<string, number>();
    const linkedTo = new Set<string>();
    links.forEach((entry, position) => {
      const link = linkOf(entry);
      if (link === null) return;
      if (!positionOfHash.has(link.hash)) positionOfHash.set(link.hash, position);
      linkedTo.add(link.prev);
    });
    const head = await this.head();
    const checkpoint = checkpoints.at(-1) ?? null;
    const report = (firstBreak: ChainBreak | null): ChainReport => ({ log: this.log, entries: links.length, head, checkpoint, firstBreak });
    const broken = (kind: ChainBreakKind, seq: number | null, entry: ChainedEntry | null, message: string) =>
      report({ kind, seq, entryId: entry === null ? null : idOf(entry), message });

    let prev = GENESIS_HASH;
    let expectedSeq = 1;
    let position = 0;
    const cursor = this.entries().find({}).sort({ "chain.seq": 1, _id: 1 });
    for await (const entry of cursor) {
      const link = linkOf(entry);
      if (link === null) {
        await cursor.close();
        return broken("INSERTED", null, entry, `an entry without a chain link was added to ${this.log}`);
      }
      const contentMatches = linkHash(link.prev, entry) === link.hash;
      if (!contentMatches) {
        await cursor.close();
        const known = linkedTo.has(link.hash) || (head !== null && head.hash === link.hash);
        return known
          ? broken("EDITED", link.seq, entry, `entry ${link.seq} of ${this.log} was changed after it was written`)
          : broken("INSERTED", link.seq, entry, `entry ${link.seq} of ${this.log} does not belong to the chain (its hash does not match its content)`);
      }
      if (link.prev !== prev) {
        await cursor.close();
        const linkedPosition = positionOfHash.get(link.prev);
        if (linkedPosition !== undefined && linkedPosition > position) {
          return broken("REORDERED", link.seq, entry, `entry ${link.seq} of ${this.log} follows an entry placed after it: entries were reordered`);
        }
        if (linkedPosition !== undefined || link.prev === GENESIS_HASH) {
          const first = links[(linkedPosition ?? -1) + 1] ?? null;
          return broken(
            "INSERTED",
            first === null ? null : (linkOf(first)?.seq ?? null),
            first,
            `entries were inserted into ${this.log} before entry ${link.seq}`,
          );
        }
        return broken("DELETED", expectedSeq, entry, `entries of ${this.log} are missing before entry ${link.seq} (expected entry ${expectedSeq})`);
      }
      if (link.seq !== expectedSeq) {
        await cursor.close();
        return broken("EDITED", link.seq, entry, `entry ${link.seq} of ${this.log} had its place (seq) changed; expected ${expectedSeq}`);
      }
      prev = link.hash;
      expectedSeq += 1;
      position += 1;
    }
    const lastSeq = expectedSeq - 1;
    if (head !== null && (head.seq !== lastSeq || head.hash !== prev)) {
      if (head.seq > lastSeq)
        return broken("TRUNCATED", lastSeq + 1, null, `${this.log} ends at entry ${lastSeq} but its head records entry ${head.seq}: the tail was cut off`);
      if (head.seq < lastSeq) return broken("INSERTED", head.seq + 1, null, `${this.log} has entries after its recorded head (entry ${head.seq})`);
      return broken("REWRITTEN", lastSeq, null, `entry ${lastSeq} of ${this.log} is not the one its head records`);
    }
    if (head === null && lastSeq > 0) return broken("INSERTED", 1, null, `${this.log} has chained entries but no head: they were not appended by the service`);
    const hashesBySeq = await this.hashesAt(checkpoints.map((point) => point.seq));
    for (const point of checkpoints) {
      const stored = hashesBySeq.get(point.seq);
      if (stored === undefined) {
        return broken(
          "TRUNCATED",
          lastSeq + 1,
          null,
          `${this.log} ends at entry ${lastSeq}, but entry ${point.seq} was written out at ${point.at.toISOString()}: the tail was cut off`,
        );
      }
      if (stored !== point.hash) {
        return broken(
          "REWRITTEN",
          point.seq,
          null,
          `entry ${point.seq} of ${this.log} differs from the head written out at ${point.at.toISOString()}: the chain was recomputed`,
        );
      }
    }
    return report(null);
  }

  private async hashesAt(seqs: readonly number[]): Promise<Map<string | number, string>> {
    if (seqs.length === 0) return new Map();
    const found = await this.entries()
      .find({ "chain.seq": { $in: [...new Set(seqs)] } }, { projection: { chain: 1 } })
      .toArray();
    return new Map(
      found.flatMap((entry) => {
        const link = linkOf(entry);
        return link === null ? [] : [[link.seq, link.hash] as const];
      }),
    );
  }
}

/** The mongoose model of an audit log, as far as making a stored entry needs it. */
interface EntryModel {
  new (entry: object): { validate(): Promise<void>; toObject<T>(): T };
}

/** `entry` as the database stores it: given an id, checked against the log's model, its defaults filled in. */
export async function storedEntry<D>(model: EntryModel, entry: object): Promise<D> {
  const document = new model(entry);
  await document.validate();
  return document.toObject<D>();
}

/**
 * A request's writer of an audit log: the entries loaded in one tick (e.g. 100 `_entities` representations) are
 * checked against `model` and appended to `chain` in one group; never cached, since every load is a new entry.
 */
export function appendLoader<N extends object, D extends ChainedEntry>(chain: AuditChain, model: EntryModel): DataLoader<N, D> {
  return new DataLoader<N, D>(async (entries) => chain.append(await Promise.all(entries.map((entry) => storedEntry<D>(model, entry)))), { cache: false });
}

/** Where the services write chain heads out and `npm run audit:verify` reads them: `<DATA_DIR>/audit`. */
export function auditHeadDirectory(dataDir: string): string {
  return join(dataDir, "audit");
}

/** The file the heads of `log` are written out to under `directory`: one JSON line per head that changed. */
export function checkpointFile(directory: string, log: string): string {
  return join(directory, `${log}.heads.jsonl`);
}

/** The heads of `log` written out under `directory`, oldest first; none when the file does not exist yet. */
export function readCheckpoints(directory: string, log: string): ChainHead[] {
  let text: string;
  try {
    text = readFileSync(checkpointFile(directory, log), "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return [];
    throw error;
  }
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const parsed = JSON.parse(line) as { seq: number; hash: string; at: string };
      return { seq: parsed.seq, hash: parsed.hash, at: new Date(parsed.at) };
    });
}

/** A running head export: `exportNow` writes the head out when it moved; `stop` writes it a last time and stops the timer. */
export interface HeadExport {
  exportNow(): Promise<ChainHead | null>;
  stop(): Promise<void>;
}

export interface HeadExportOptions {
  /** Where the checkpoint files go (DATA_DIR/audit). */
  directory: string;
  logger: Logger;
  /** How often the head is checked; default one minute. */
  intervalMs?: number;
}

/** Writes the chain head out regularly (a log line and a line in the checkpoint file) whenever it moved, so a cut-off tail is detected. */
export function startHeadExport(chain: AuditChain, options: HeadExportOptions): HeadExport {
  let last: string | null = readCheckpoints(options.directory, chain.log).at(-1)?.hash ?? null;
  const exportNow = async (): Promise<ChainHead | null> => {
    const head = await chain.head();
    if (head === null || head.hash === last) return head;
    mkdirSync(options.directory, { recursive: true, mode: 0o700 });
    appendFileSync(
      checkpointFile(options.directory, chain.log),
      `${JSON.stringify({ log: chain.log, seq: head.seq, hash: head.hash, at: new Date().toISOString() })}\n`,
      {
        mode: 0o600,
      },
    );
    options.logger.info({ auditLog: chain.log, seq: head.seq, hash: head.hash }, "audit chain head");
    last = head.hash;
    return head;
  };
  const report = (error: unknown) => options.logger.error({ err: error, auditLog: chain.log }, "audit chain head could not be written out");
  const timer = setInterval(() => void exportNow().catch(report), options.intervalMs ?? 60_000);
  timer.unref();
  return {
    exportNow,
    async stop() {
      clearInterval(timer);
      await exportNow().catch(report);
    },
  };
}

/** A chained log as a service runs it: the chain, its head written out under `headDirectory` (when given), and verification against those heads. */
export interface RunningAuditChain {
  chain: AuditChain;
  /** Verifies the chain against the heads written out so far. */
  verify(): Promise<ChainReport>;
  /** Writes the head out a last time and stops the timer. */
  stop(): Promise<void>;
}

export interface OpenAuditChainOptions {
  /** Where heads are written out (DATA_DIR/audit); null: only the head document in the database. */
  headDirectory: string | null;
  logger: Logger;
  intervalMs?: number;
}

/** Creates the chain's collections and index, seals entries from before chaining (once), and starts writing the head out. */
export async function openAuditChain(connection: Connection, log: string, options: OpenAuditChainOptions): Promise<RunningAuditChain> {
  const chain = new AuditChain(connection, log);
  await chain.ensureIndexes();
  const sealed = await chain.sealUnchained();
  if (sealed > 0) options.logger.info({ auditLog: log, sealed }, "audit chain: entries written before chaining were sealed");
  const { headDirectory } = options;
  const exporter = headDirectory === null ? null : startHeadExport(chain, { directory: headDirectory, logger: options.logger, intervalMs: options.intervalMs });
  return {
    chain,
    verify: () => chain.verify(headDirectory === null ? [] : readCheckpoints(headDirectory, log)),
    stop: async () => exporter?.stop(),
  };
}

/** A report as the GraphQL type `AuditChainReport` shows it. */
export interface ChainReportView {
  log: string;
  entries: number;
  headSeq: number | null;
  checkpointSeq: number | null;
  intact: boolean;
  firstBreak: ChainBreak | null;
}

export function chainReportView(report: ChainReport): ChainReportView {
  return {
    log: report.log,
    entries: report.entries,
    headSeq: report.head?.seq ?? null,
    checkpointSeq: report.checkpoint?.seq ?? null,
    intact: report.firstBreak === null,
    firstBreak: report.firstBreak,
  };
}
