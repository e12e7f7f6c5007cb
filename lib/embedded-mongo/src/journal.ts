// Durability: an append-only, checksummed journal fsynced before each acknowledgement, compacted into snapshots.
import { promises as fs, openSync, closeSync, writeSync, fdatasync, ftruncateSync, existsSync, statSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { serialize, type Document } from "bson";
import { CommandError } from "./errors";
import { deserializeKeepingTypes } from "./numbers";

const FRAME_HEADER = 8;
const SNAPSHOT_FILE = "snapshot.bson";
const JOURNAL_PATTERN = /^journal-(\d{16})\.log$/;

/** One acknowledged unit of change: a command's writes, or a whole transaction. */
export interface JournalRecord {
  seq: number;
  ops: Document[];
}

/** Receives what a data directory holds, in order, as recovery reads it (nothing is held in memory beyond one read). */
export interface RecoveryTarget {
  /** Each document of the snapshot, between its header and footer. */
  snapshotDocument(doc: Document): void;
  /** Each journal record after the snapshot, in sequence. */
  record(record: JournalRecord): void;
}

/** What recovery found besides the documents and records it handed over. */
export interface RecoveredState {
  /** The sequence number of the last record (the snapshot's when the journal adds none). */
  lastSeq: number;
  /** Bytes cut from the end of the journal because the last write was torn by a crash. */
  tornBytes: number;
}

/** Frames a document as [length][crc32][bson]. */
function encodeFrame(doc: Document): Buffer {
  const body = Buffer.from(serialize(doc));
  const frame = Buffer.allocUnsafe(FRAME_HEADER + body.length);
  frame.writeUInt32LE(body.length, 0);
  frame.writeUInt32LE(crc32(body), 4);
  body.copy(frame, FRAME_HEADER);
  return frame;
}

/** How much of a file recovery reads at once (a larger frame is read whole). */
const READ_BYTES = 1 << 20;

/**
 * Reads a file's frames in order, handing each document to `onDocument`, until the end or the first torn/corrupt
 * frame; returns the valid length and the file's size. The file is read a megabyte at a time, each read in a fresh
 * buffer (deserialised binary values are views of it).
 */
async function readFrames(path: string, onDocument: (doc: Document) => void): Promise<{ validLength: number; size: number }> {
  const handle = await fs.open(path, "r");
  try {
    const { size } = await handle.stat();
    let window = Buffer.alloc(0);
    let windowStart = 0;
    let offset = 0;
    /** Makes the window hold bytes [offset, end) of the file; false when the file ends before `end`. */
    const cover = async (end: number): Promise<boolean> => {
      if (end > size) return false;
      if (end <= windowStart + window.length) return true;
      window = Buffer.allocUnsafe(Math.min(size - offset, Math.max(READ_BYTES, end - offset)));
      windowStart = offset;
      let read = 0;
      while (read < window.length) {
        const { bytesRead } = await handle.read(window, read, window.length - read, offset + read);
        if (bytesRead === 0) throw new Error(`${path} ended while being read`);
        read += bytesRead;
      }
      return true;
    };
    while (await cover(offset + FRAME_HEADER)) {
      const length = window.readUInt32LE(offset - windowStart);
      const checksum = window.readUInt32LE(offset - windowStart + 4);
      const end = offset + FRAME_HEADER + length;
      if (!(await cover(end))) break;
      const body = window.subarray(offset - windowStart + FRAME_HEADER, end - windowStart);
      if (crc32(body) !== checksum) break;
      onDocument(deserializeKeepingTypes(body));
      offset = end;
    }
    return { validLength: offset, size };
  } finally {
    await handle.close();
  }
}

const journalName = (startSeq: number): string => `journal-${String(startSeq).padStart(16, "0")}.log`;

/**
 * Hands the snapshot's documents and then the journal records after it to `target`, reading each file as a stream,
 * and cuts a torn tail off the last journal file. A corrupt snapshot or a corrupt journal file before the last
 * fails recovery (the engine then refuses to start).
 */
export async function recover(dataDir: string, target: RecoveryTarget): Promise<RecoveredState> {
  await fs.mkdir(dataDir, { recursive: true });
  // A temporary snapshot is what an interrupted compaction leaves; the journal still covers it.
  await fs.rm(join(dataDir, `${SNAPSHOT_FILE}.tmp`), { force: true });
  let snapshotSeq = 0;
  const snapshotPath = join(dataDir, SNAPSHOT_FILE);
  if (existsSync(snapshotPath)) {
    // Frames are header, documents, footer: each document is handed over once the next frame shows it is not the footer.
    let header: Document | undefined;
    let last: Document | undefined;
    let count = 0;
    const corrupt = (): Error => new Error(`snapshot ${snapshotPath} is incomplete or corrupt; refusing to start on it`);
    await readFrames(snapshotPath, (doc) => {
      if (!header) {
        if (doc.format !== "tsunagu-embedded-mongo") throw corrupt();
        header = doc;
        return;
      }
      if (last) {
        target.snapshotDocument(last);
        count++;
      }
      last = doc;
    });
    if (!header || last?.end !== true || last.count !== count) throw corrupt();
    snapshotSeq = header.seq as number;
  }
  const files = (await fs.readdir(dataDir)).filter((name) => JOURNAL_PATTERN.test(name)).sort();
  let tornBytes = 0;
  let expectedSeq = snapshotSeq + 1;
  for (const [i, name] of files.entries()) {
    const path = join(dataDir, name);
    const { validLength, size } = await readFrames(path, (doc) => {
      const record = doc as JournalRecord;
      if (record.seq < expectedSeq) return;
      if (record.seq !== expectedSeq) throw new Error(`journal ${path} skips from record ${expectedSeq - 1} to ${record.seq}`);
      target.record(record);
      expectedSeq++;
    });
    if (validLength < size) {
      if (i !== files.length - 1) throw new Error(`journal ${path} is corrupt at byte ${validLength} and is not the last journal file`);
      tornBytes = size - validLength;
      await fs.truncate(path, validLength);
    }
  }
  return { lastSeq: expectedSeq - 1, tornBytes };
}

/** Produces the documents of a snapshot (header and footer are added by the journal). */
export type SnapshotSource = () => Iterable<Document>;

/** The file operations of the journal's appends; tests put a failing layer here (ENOSPC) instead of filling a disk. */
export interface JournalFiles {
  write(fd: number, data: Buffer): void;
  sync(fd: number): Promise<void>;
  truncate(fd: number, length: number): void;
}

/** The real file system. */
export const NODE_JOURNAL_FILES: JournalFiles = {
  write: (fd, data) => {
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written);
  },
  sync: (fd) => new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve()))),
  truncate: (fd, length) => ftruncateSync(fd, length),
};

export interface JournalOptions {
  dataDir: string;
  lastSeq: number;
  /** Journal size that triggers compaction into a snapshot. */
  compactBytes: number;
  onError: (error: Error) => void;
  /** Default NODE_JOURNAL_FILES. */
  files?: JournalFiles;
  /** How often a failed append is retried; default 1000 ms. */
  retryMs?: number;
}

/**
 * The append side of the journal, with group commit: concurrent appends share one fsync. When an append fails
 * (a full disk), its records stay queued in order and are retried on their own: the engine refuses new writes
 * (`writeRefusal`) until they are on disk, then accepts writes again without a restart.
 */
export class Journal {
  private readonly options: JournalOptions;
  private seq: number;
  private fd: number;
  private size = 0;
  private pending: Buffer[] = [];
  private waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private flushing = false;
  private compacting: Promise<void> | undefined;
  private failure: Error | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly files: JournalFiles;
  private readonly snapshotSource: SnapshotSource;

  constructor(options: JournalOptions, snapshotSource: SnapshotSource) {
    this.options = options;
    this.seq = options.lastSeq;
    this.snapshotSource = snapshotSource;
    this.files = options.files ?? NODE_JOURNAL_FILES;
    const files = existsSyncJournals(options.dataDir);
    const current = files.at(-1) ?? journalName(this.seq + 1);
    this.fd = openSync(join(options.dataDir, current), "a");
    this.size = statSync(join(options.dataDir, current)).size;
  }

  /** True while the journal cannot write: the engine then refuses writes (see `writeRefusal`). */
  get failing(): boolean {
    return this.failure !== undefined;
  }

  /** The error a write gets while the journal cannot write (before anything is applied), or undefined. */
  writeRefusal(): CommandError | undefined {
    if (this.failure === undefined) return undefined;
    const full = (this.failure as NodeJS.ErrnoException).code === "ENOSPC";
    return new CommandError(
      full ? "OutOfDiskSpace" : "InternalError",
      `the journal cannot write (${this.failure.message}); writes are refused until it can, which is retried every ${this.options.retryMs ?? 1000} ms`,
    );
  }

  /**
   * Makes the operations durable; resolves once they are on disk. The operations are already applied in memory,
   * so they are kept in order even when this rejects (the journal failed): they reach the disk on a later retry.
   */
  append(ops: Document[]): Promise<void> {
    this.seq++;
    this.pending.push(encodeFrame({ seq: this.seq, ops }));
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.failure) {
      this.rejectWaiters(this.failure);
    } else if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.flush());
    }
    return done;
  }

  private rejectWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  /** Writes and syncs everything pending; on failure cuts any partial frame off and keeps the records for a retry. */
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const frames = this.pending.splice(0);
      const batch = Buffer.concat(frames);
      const waiters = this.waiters.splice(0);
      try {
        // After a failure the file may end in a partial frame; cut it so the retried records follow the last good one.
        if (this.failure) this.files.truncate(this.fd, this.size);
        this.files.write(this.fd, batch);
        await this.files.sync(this.fd);
        this.size += batch.length;
        if (this.failure) this.options.onError(new Error("journal writes again; the engine accepts writes"));
        this.failure = undefined;
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        this.pending.unshift(...frames);
        const failure = Object.assign(new Error(`journal write failed: ${(error as Error).message}`), { code: (error as NodeJS.ErrnoException).code });
        if (!this.failure) this.options.onError(failure);
        this.failure = failure;
        for (const waiter of waiters) waiter.reject(failure);
        this.rejectWaiters(failure);
        this.flushing = false;
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = undefined;
          if (!this.flushing) {
            this.flushing = true;
            void this.flush();
          }
        }, this.options.retryMs ?? 1000).unref();
        return;
      }
    }
    this.flushing = false;
    if (this.size >= this.options.compactBytes && !this.compacting) {
      this.compacting = this.compact()
        .catch((error: Error) => this.options.onError(new Error(`compaction failed (the journal still holds every record): ${error.message}`)))
        .finally(() => (this.compacting = undefined));
    }
  }

  /** Writes a snapshot of the current state and drops the journal files it covers. */
  async compact(): Promise<void> {
    if (this.compacting) return this.compacting;
    const seq = this.seq;
    const docs = this.snapshotSource();
    const olderFiles = existsSyncJournals(this.options.dataDir);
    // New records go to a fresh file while the snapshot is written (opened first: a failure leaves the old one in use).
    const fresh = openSync(join(this.options.dataDir, journalName(seq + 1)), "a");
    closeSync(this.fd);
    this.fd = fresh;
    this.size = 0;
    const tmp = join(this.options.dataDir, `${SNAPSHOT_FILE}.tmp`);
    const handle = await fs.open(tmp, "w");
    try {
      let count = 0;
      let chunk: Buffer[] = [encodeFrame({ format: "tsunagu-embedded-mongo", version: 1, seq })];
      let chunkBytes = 0;
      for (const doc of docs) {
        const frame = encodeFrame(doc);
        chunk.push(frame);
        chunkBytes += frame.length;
        count++;
        if (chunkBytes > 1 << 20) {
          await handle.write(Buffer.concat(chunk));
          chunk = [];
          chunkBytes = 0;
        }
      }
      chunk.push(encodeFrame({ end: true, count }));
      await handle.write(Buffer.concat(chunk));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, join(this.options.dataDir, SNAPSHOT_FILE));
    await syncDirectory(this.options.dataDir);
    for (const name of olderFiles) await fs.unlink(join(this.options.dataDir, name));
  }

  /** Waits for pending writes and compaction, then closes the file. */
  async close(): Promise<void> {
    clearTimeout(this.retryTimer);
    while (this.flushing || this.compacting) {
      await (this.compacting ?? new Promise((resolve) => setImmediate(resolve)));
    }
    closeSync(this.fd);
  }
}

function existsSyncJournals(dataDir: string): string[] {
  return readdirSync(dataDir)
    .filter((name) => JOURNAL_PATTERN.test(name))
    .sort();
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
