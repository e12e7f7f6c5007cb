// Opens a service's mongoose connection: to MONGODB_URI when set, otherwise to an embedded engine it starts.
import { Mongoose } from "mongoose";
import type { Connection } from "mongoose";
import { maskUriCredentials } from "./logger";
import type { Logger } from "./logger";

export interface ConnectMongoOptions {
  /** A mongodb:// or mongodb+srv:// URI; unset = start the embedded engine. */
  uri?: string;
  /** Where the embedded engine keeps its files; unset = in memory. Ignored when `uri` is set. */
  dataDir?: string;
  /** Database used by this connection (overrides any database in `uri`). */
  dbName: string;
  logger: Logger;
  /** How long to wait for a server before failing; default 10 s. */
  serverSelectionTimeoutMS?: number;
}

export interface MongoHandle {
  /** A connection of its own (never mongoose's global one), with strictQuery and sanitizeFilter on. */
  connection: Connection;
  /** The URI connected to; for the embedded engine with its database and credentials (mask it with maskUriCredentials before showing it). */
  uri: string;
  /** True when this handle started the embedded engine. */
  embedded: boolean;
  /** Closes the connection, then stops the embedded engine if this handle started it; safe to call twice. */
  close(): Promise<void>;
}

const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 10_000;

/**
 * Connects to MongoDB and resolves once the server has answered.
 * strictQuery (unknown filter keys are dropped) is not a per-connection option in mongoose, so each
 * connection comes from its own Mongoose instance carrying both options; global mongoose is untouched.
 * @throws Error naming the (credential-masked) URI when no server answers in time.
 */
export async function connectMongo(options: ConnectMongoOptions): Promise<MongoHandle> {
  const { dbName, logger } = options;
  let uri = options.uri;
  let engine: RunningEngine | undefined;
  if (uri === undefined) {
    engine = await startEngine(options.dataDir);
    uri = engine.connectionString(dbName);
  }
  const masked = maskUriCredentials(uri);

  const connection = new Mongoose({ strictQuery: true, sanitizeFilter: true }).createConnection(uri, {
    dbName,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? DEFAULT_SERVER_SELECTION_TIMEOUT_MS,
  });
  try {
    await connection.asPromise();
  } catch (error) {
    await connection.close(true);
    await engine?.stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot connect to MongoDB at ${masked}: ${reason}`, { cause: error });
  }

  const embedded = engine !== undefined;
  const storage = embedded ? (options.dataDir ?? "memory") : undefined;
  logger.info({ uri: masked, database: dbName, embedded, storage }, "MongoDB connected");

  let closing: Promise<void> | undefined;
  return {
    connection,
    uri,
    embedded,
    close() {
      closing ??= (async () => {
        await connection.close();
        await engine?.stop();
        logger.info({ database: dbName, embedded }, "MongoDB connection closed");
      })();
      return closing;
    },
  };
}

/** The part of the embedded engine this module uses. */
interface RunningEngine {
  connectionString(db: string): string;
  stop(): Promise<void>;
}

/** `uri` with further options, e.g. `{ monitorCommands: "true" }` (a second connection to the same server). */
export function withUriOptions(uri: string, options: Readonly<Record<string, string>>): string {
  return `${uri}${uri.includes("?") ? "&" : "?"}${new URLSearchParams(options).toString()}`;
}

/**
 * Loaded on demand so services pointed at a real MongoDB never load the engine. With `require`, not `import()`: npm start's
 * processes load TypeScript through tsx's CommonJS hook only (`--require tsx/cjs`, about 22 MB less per process than tsx's
 * ESM loader thread), and `import()` of a TypeScript package needs the ESM loader.
 */
async function startEngine(dataDir: string | undefined): Promise<RunningEngine> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startEmbeddedMongo } = require("@tsunagu/embedded-mongo") as typeof import("@tsunagu/embedded-mongo");
  return startEmbeddedMongo({ dataDir, port: 0, host: "127.0.0.1" });
}
