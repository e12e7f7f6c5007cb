// Starts and stops the embedded MongoDB-compatible engine: recovery from the data directory, journal, TCP server.
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync, unlinkSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Document } from "bson";
import { Authenticator, connectionString, credentialsIn, generateCredentials, type EngineCredentials } from "./auth";
import { Collection } from "./collection";
import { CursorRegistry } from "./cursors";
import { Journal, recover, type JournalFiles } from "./journal";
import { createWireServer } from "./server";
import { Sessions } from "./sessions";
import { Store, applyOp } from "./store";
import { removeExpired } from "./ttl";
import type { Engine } from "./commands";

export interface EmbeddedMongoOptions {
  /** Where data lives; without it the engine keeps everything in memory. */
  dataDir?: string;
  /** TCP port on the loopback interface; 0 (the default) picks a free one. */
  port?: number;
  host?: string;
  /** Idle cursors are closed after this long (MongoDB: 10 minutes). */
  cursorTimeoutMs?: number;
  /** Journal size at which it is compacted into a snapshot. */
  compactBytes?: number;
  transactionLifetimeMs?: number;
  ttlIntervalMs?: number;
  /** The user clients authenticate as (SCRAM-SHA-256); default: the data directory's `engine-credentials.json`, created on first start, or random ones in memory. */
  credentials?: EngineCredentials;
  /** The journal's file operations; tests inject failures (ENOSPC) here. Default: the real file system. */
  journalFiles?: JournalFiles;
  /** How often a failed journal write is retried; default 1000 ms. */
  journalRetryMs?: number;
  /** Receives operational messages (protocol errors, journal failures). */
  log?: (level: "warn" | "error", message: string) => void;
}

export interface EmbeddedMongo {
  /** `mongodb://host:port`, without credentials: every command but the handshake needs them (see `connectionString`). */
  uri: string;
  /** Who may connect; in a data directory also in its `engine-credentials.json` (mode 0600). */
  credentials: EngineCredentials;
  /** `mongodb://user:password@host:port/<db>?authSource=admin`, for clients of this process (never print it). */
  connectionString(db?: string): string;
  host: string;
  port: number;
  /** Writes a snapshot now and drops the journal it covers (no-op in memory). */
  compact(): Promise<void>;
  stop(): Promise<void>;
}

const LOCK_FILE = "engine.lock";

function acquireLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, "utf8"));
    if (pid && pid !== process.pid && processAlive(pid)) throw new Error(`data directory ${dataDir} is in use by process ${pid}`);
  }
  writeFileSync(path, String(process.pid));
  return () => existsSync(path) && unlinkSync(path);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Restores snapshot documents in order: a collection's header, then its documents. */
function snapshotLoader(store: Store): (doc: Document) => void {
  let current: Collection | undefined;
  return (doc) => {
    if (doc.kind === "collection") {
      current = new Collection(doc.ns, doc.options, doc.uuid);
      current.startLoading();
      for (const spec of doc.indexes as Document[]) if (spec.name !== "_id_") current.createIndex(spec as never);
      store.namespaces.set(doc.ns, current);
    } else if (current) current.restore(doc.d);
  };
}

function* snapshotDocuments(collections: Collection[]): Generator<Document> {
  for (const collection of collections) {
    yield {
      kind: "collection",
      ns: collection.ns,
      uuid: collection.uuid,
      options: collection.options,
      indexes: [...collection.indexes.values()].map((index) => index.spec),
    };
    for (const doc of collection.records.values()) yield { kind: "doc", d: doc };
  }
}

/** Starts the engine; resolves once it accepts connections. */
export async function startEmbeddedMongo(options: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? ((level, message) => process.stderr.write(`[embedded-mongo] ${level}: ${message}\n`));
  const store = new Store();
  let releaseLock = (): void => undefined;
  if (options.dataDir) {
    releaseLock = acquireLock(options.dataDir);
    const recovered = await recover(options.dataDir, {
      snapshotDocument: snapshotLoader(store),
      record: (record) => {
        for (const op of record.ops) applyOp(store.namespaces, op, true);
      },
    });
    for (const collection of store.namespaces.values()) collection.finishLoading();
    if (recovered.tornBytes > 0) log("warn", `discarded ${recovered.tornBytes} bytes of an unacknowledged write torn by a crash`);
    store.journal = new Journal(
      {
        dataDir: options.dataDir,
        lastSeq: recovered.lastSeq,
        compactBytes: options.compactBytes ?? 64 * 1024 * 1024,
        onError: (error) => log("error", error.message),
        files: options.journalFiles,
        retryMs: options.journalRetryMs,
      },
      () => snapshotDocuments([...store.namespaces.values()].map((collection) => collection.clone())),
    );
  }
  const cursors = new CursorRegistry(options.cursorTimeoutMs ?? 10 * 60_000);
  const sessions = new Sessions(store, options.transactionLifetimeMs ?? 60_000);
  const engine: Engine = {
    store,
    cursors,
    sessions,
    me: "",
    startedAt: Date.now(),
    connections: { current: 0, totalCreated: 0 },
    opcounters: { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 },
  };
  const credentials = options.credentials ?? (options.dataDir ? credentialsIn(options.dataDir) : generateCredentials());
  const authenticator = new Authenticator(credentials);
  const { server, sockets } = createWireServer(
    engine,
    { onProtocolError: (remote, message) => log("warn", `dropped connection ${remote}: ${message}`) },
    authenticator,
  );
  server.listen(options.port ?? 0, host);
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 0);
  engine.me = `${host}:${port}`;

  const housekeeping = setInterval(() => {
    sessions.expire();
    removeExpired(store).catch((error: Error) => log("error", `TTL monitor: ${error.message}`));
  }, options.ttlIntervalMs ?? 60_000);
  housekeeping.unref();

  let stopped = false;
  return {
    uri: `mongodb://${host}:${port}`,
    host,
    port,
    credentials,
    connectionString: (db = "") => connectionString(host, port, credentials, db),
    compact: async () => store.journal?.compact(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(housekeeping);
      cursors.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await store.journal?.close();
      releaseLock();
    },
  };
}

export { CommandError, ErrorCodes } from "./errors";
export { CREDENTIALS_FILE, type EngineCredentials } from "./auth";
export { NODE_JOURNAL_FILES, type JournalFiles } from "./journal";
