// Open cursors: results handed out in batches through getMore, closed by killCursors or when idle too long.
import { Long, calculateObjectSize, type Document } from "bson";
import { randomInt } from "node:crypto";
import { CommandError } from "./errors";

/** Replies stay under MongoDB's 16 MiB batch limit. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 16 * 1024;
const DEFAULT_FIRST_BATCH = 101;

interface OpenCursor {
  ns: string;
  docs: Document[];
  position: number;
  lastUsed: number;
}

/** The cursors of one engine. */
export class CursorRegistry {
  private readonly cursors = new Map<number, OpenCursor>();
  private readonly idleTimeoutMs: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(idleTimeoutMs: number) {
    this.idleTimeoutMs = idleTimeoutMs;
    this.sweeper = setInterval(() => this.expireIdle(), Math.max(50, Math.min(idleTimeoutMs, 60_000)));
    this.sweeper.unref();
  }

  get openCount(): number {
    return this.cursors.size;
  }

  /** Builds the `cursor` of a find/aggregate/list reply, keeping the rest open when it does not fit one batch. */
  open(ns: string, docs: Document[], batchSize: number | undefined, singleBatch = false): Document {
    const cursor: OpenCursor = { ns, docs, position: 0, lastUsed: Date.now() };
    const firstBatch = batchSize === 0 ? [] : takeBatch(cursor, batchSize ?? DEFAULT_FIRST_BATCH);
    let id = 0;
    if (!singleBatch && cursor.position < docs.length) {
      do id = randomInt(1, 2 ** 47);
      while (this.cursors.has(id));
      this.cursors.set(id, cursor);
    }
    return { firstBatch, id: Long.fromNumber(id), ns };
  }

  getMore(id: number, ns: string, batchSize: number | undefined): Document {
    const cursor = this.cursors.get(id);
    if (!cursor) throw new CommandError("CursorNotFound", `cursor id ${id} not found`);
    if (cursor.ns !== ns)
      throw new CommandError("BadValue", `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`);
    cursor.lastUsed = Date.now();
    const nextBatch = takeBatch(cursor, batchSize ?? Number.MAX_SAFE_INTEGER);
    const exhausted = cursor.position >= cursor.docs.length;
    if (exhausted) this.cursors.delete(id);
    return { nextBatch, id: Long.fromNumber(exhausted ? 0 : id), ns };
  }

  kill(ids: number[]): Document {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) (this.cursors.delete(id) ? killed : notFound).push(Long.fromNumber(id));
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [] };
  }

  close(): void {
    clearInterval(this.sweeper);
    this.cursors.clear();
  }

  private expireIdle(): void {
    const now = Date.now();
    for (const [id, cursor] of this.cursors) if (now - cursor.lastUsed > this.idleTimeoutMs) this.cursors.delete(id);
  }
}

function takeBatch(cursor: OpenCursor, batchSize: number): Document[] {
  const batch: Document[] = [];
  let bytes = 0;
  const limit = batchSize <= 0 ? Number.MAX_SAFE_INTEGER : batchSize;
  while (cursor.position < cursor.docs.length && batch.length < limit) {
    const doc = cursor.docs[cursor.position];
    bytes += calculateObjectSize(doc);
    if (batch.length > 0 && bytes > MAX_BATCH_BYTES) break;
    batch.push(doc);
    cursor.position++;
  }
  return batch;
}
