// Authentication: SCRAM-SHA-256 over saslStart/saslContinue as MongoDB speaks it, credentials kept in the data directory (0600), and refusal (Unauthorized, 13) of every other command before a connection has authenticated.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Binary, type Document } from "bson";
import { CommandError } from "./errors";

/** The engine's one user, who may do everything; it lives in the `admin` database, as MongoDB's administrators do. */
export interface EngineCredentials {
  username: string;
  password: string;
}

/** The database the engine's user is defined in (`authSource=admin`). */
export const AUTH_DATABASE = "admin";
/** Where the credentials are kept in a data directory (mode 0600). */
export const CREDENTIALS_FILE = "engine-credentials.json";
export const SCRAM_MECHANISM = "SCRAM-SHA-256";
/** MongoDB's default scramSHA256IterationCount. */
const ITERATIONS = 15_000;
/** Printable ASCII without the characters a SCRAM user name escapes: SASLprep leaves such strings as they are. */
const PLAIN_CREDENTIAL = /^[\x21-\x2b\x2d-\x3c\x3e-\x7e]{1,200}$/;

/** Commands MongoDB answers before authentication (they need no privileges). */
const OPEN_COMMANDS = new Set(["hello", "isMaster", "ismaster", "saslStart", "saslContinue", "ping", "buildInfo", "buildinfo"]);

/** New random credentials: user `tsunagu`, 32 random bytes as the password. */
export function generateCredentials(): EngineCredentials {
  return { username: "tsunagu", password: randomBytes(32).toString("base64url") };
}

/** The credentials in `dataDir`, created with fresh random ones (mode 0600) on first start. */
export function credentialsIn(dataDir: string): EngineCredentials {
  const path = join(dataDir, CREDENTIALS_FILE);
  if (!existsSync(path)) {
    writeFileSync(path, `${JSON.stringify(generateCredentials(), null, 2)}\n`, { flag: "wx", mode: 0o600 });
    chmodSync(path, 0o600);
  }
  if ((statSync(path).mode & 0o077) !== 0) throw new Error(`${path} is readable by other users; run chmod 600 on it`);
  const stored = JSON.parse(readFileSync(path, "utf8")) as Partial<EngineCredentials>;
  if (typeof stored.username !== "string" || typeof stored.password !== "string") throw new Error(`${path} holds no username and password`);
  return { username: stored.username, password: stored.password };
}

/** `mongodb://user:password@host:port/<db>?authSource=admin`: what a client needs to reach and authenticate to the engine. */
export function connectionString(host: string, port: number, credentials: EngineCredentials, db = ""): string {
  const user = `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}`;
  return `mongodb://${user}@${host}:${port}/${db}?authSource=${AUTH_DATABASE}`;
}

const hmac = (key: Buffer, text: string | Buffer): Buffer => createHmac("sha256", key).update(text).digest();
const sha256 = (data: Buffer): Buffer => createHash("sha256").update(data).digest();

/** SCRAM's keys for a password (RFC 5802 / 7677): what the server keeps instead of the password. */
export function scramKeys(password: string, salt: Buffer, iterations: number): { clientKey: Buffer; storedKey: Buffer; serverKey: Buffer } {
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const clientKey = hmac(salted, "Client Key");
  return { clientKey, storedKey: sha256(clientKey), serverKey: hmac(salted, "Server Key") };
}

function xor(left: Buffer, right: Buffer): Buffer {
  return Buffer.from(left.map((byte, index) => byte ^ (right[index] ?? 0)));
}

/** `a=1,b=2` → { a: "1", b: "2" } (values may contain "="). */
function scramFields(message: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of message.split(",")) {
    const at = part.indexOf("=");
    if (at > 0) fields[part.slice(0, at)] = part.slice(at + 1);
  }
  return fields;
}

function payloadText(value: unknown): string {
  if (value instanceof Binary) return Buffer.from(value.buffer).toString("utf8");
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  if (typeof value === "string") return value;
  throw new CommandError("BadValue", "payload must be binary data");
}

/**
 * The client's side of SCRAM-SHA-256, for raw wire clients (benchmarks, protocol tests); applications use the
 * official driver. `command` sends one command and resolves with its reply.
 */
export async function authenticateClient(command: (cmd: Document) => Promise<Document>, { username, password }: EngineCredentials): Promise<void> {
  const clientFirstBare = `n=${username},r=${randomBytes(24).toString("base64")}`;
  const started = await command({
    saslStart: 1,
    mechanism: SCRAM_MECHANISM,
    payload: new Binary(Buffer.from(`n,,${clientFirstBare}`)),
    options: { skipEmptyExchange: true },
    $db: AUTH_DATABASE,
  });
  if (started.ok !== 1) throw new Error(`saslStart failed: ${String(started.errmsg)}`);
  const serverFirst = payloadText(started.payload);
  const fields = scramFields(serverFirst);
  const { clientKey, storedKey, serverKey } = scramKeys(password, Buffer.from(fields.s ?? "", "base64"), Number(fields.i));
  const withoutProof = `c=biws,r=${fields.r ?? ""}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const proof = xor(clientKey, hmac(storedKey, authMessage)).toString("base64");
  const finished = await command({
    saslContinue: 1,
    conversationId: started.conversationId,
    payload: new Binary(Buffer.from(`${withoutProof},p=${proof}`)),
    $db: AUTH_DATABASE,
  });
  const serverSignature = scramFields(finished.ok === 1 ? payloadText(finished.payload) : "").v;
  if (finished.done !== true || serverSignature !== hmac(serverKey, authMessage).toString("base64")) {
    throw new Error(`SCRAM authentication failed: ${String(finished.errmsg ?? "the server's signature does not verify")}`);
  }
}

const authenticationFailed = (): CommandError => new CommandError("AuthenticationFailed", "Authentication failed.");

/** One SCRAM conversation between saslStart and its last saslContinue. */
interface Conversation {
  id: number;
  clientFirstBare: string;
  serverFirst: string;
  nonce: string;
  /** Set once the proof checked out, when the client wants the empty final exchange. */
  proven: boolean;
}

/** The engine's authentication: the user's SCRAM keys, and a state per connection. */
export class Authenticator {
  private readonly username: string;
  private readonly salt = randomBytes(28);
  private readonly storedKey: Buffer;
  private readonly serverKey: Buffer;

  constructor(credentials: EngineCredentials) {
    if (!PLAIN_CREDENTIAL.test(credentials.username) || !PLAIN_CREDENTIAL.test(credentials.password)) {
      throw new Error("engine credentials must be printable ASCII without spaces, commas or '='");
    }
    this.username = credentials.username;
    const keys = scramKeys(credentials.password, this.salt, ITERATIONS);
    this.storedKey = keys.storedKey;
    this.serverKey = keys.serverKey;
  }

  /** A fresh, unauthenticated connection. */
  connection(): ConnectionAuth {
    return new ConnectionAuth(this);
  }

  /** The user a `hello`'s `saslSupportedMechs: "<db>.<user>"` asks about, if it is ours. */
  knows(qualifiedUser: unknown): boolean {
    return qualifiedUser === `${AUTH_DATABASE}.${this.username}`;
  }

  /** saslStart: checks mechanism, database and user; answers with the server-first message. */
  start(db: string, cmd: Document, id: number): { conversation: Conversation; reply: Document } {
    if (cmd.mechanism !== SCRAM_MECHANISM) {
      throw new CommandError("MechanismUnavailable", `Received authentication for mechanism ${String(cmd.mechanism)} which is not enabled`);
    }
    const clientFirst = payloadText(cmd.payload);
    if (!clientFirst.startsWith("n,,")) throw new CommandError("BadValue", "SCRAM channel binding is not supported");
    const clientFirstBare = clientFirst.slice(3);
    const { n: user, r: clientNonce } = scramFields(clientFirstBare);
    if (db !== AUTH_DATABASE || user !== this.username || clientNonce === undefined || clientNonce.length < 8) throw authenticationFailed();
    const nonce = `${clientNonce}${randomBytes(24).toString("base64")}`;
    const serverFirst = `r=${nonce},s=${this.salt.toString("base64")},i=${ITERATIONS}`;
    const conversation: Conversation = { id, clientFirstBare, serverFirst, nonce, proven: false };
    return { conversation, reply: { conversationId: id, done: false, payload: new Binary(Buffer.from(serverFirst)), ok: 1 } };
  }

  /** saslContinue with the client's proof: verifies it and answers with the server's signature. */
  prove(conversation: Conversation, payload: unknown, skipEmptyExchange: boolean): Document {
    const clientFinal = payloadText(payload);
    const fields = scramFields(clientFinal);
    const proofAt = clientFinal.lastIndexOf(",p=");
    if (fields.c !== "biws" || fields.r !== conversation.nonce || fields.p === undefined || proofAt < 0) throw authenticationFailed();
    const authMessage = `${conversation.clientFirstBare},${conversation.serverFirst},${clientFinal.slice(0, proofAt)}`;
    const proof = Buffer.from(fields.p, "base64");
    if (proof.length !== 32) throw authenticationFailed();
    const clientKey = xor(proof, hmac(this.storedKey, authMessage));
    if (!timingSafeEqual(sha256(clientKey), this.storedKey)) throw authenticationFailed();
    const serverSignature = hmac(this.serverKey, authMessage).toString("base64");
    return { conversationId: conversation.id, done: skipEmptyExchange, payload: new Binary(Buffer.from(`v=${serverSignature}`)), ok: 1 };
  }
}

/** What one connection has proven. */
export class ConnectionAuth {
  private readonly authenticator: Authenticator;
  private authenticated = false;
  private conversation: Conversation | undefined;
  private nextConversationId = 1;
  private skipEmptyExchange = false;

  constructor(authenticator: Authenticator) {
    this.authenticator = authenticator;
  }

  /**
   * The reply to an authentication command, or MongoDB's refusal of a command this connection may not
   * run yet; undefined when the command may go to the engine.
   */
  intercept(db: string, cmd: Document): Document | undefined {
    const name = Object.keys(cmd)[0] ?? "";
    try {
      if (name === "saslStart") return this.saslStart(db, cmd);
      if (name === "saslContinue") return this.saslContinue(cmd);
    } catch (error) {
      this.conversation = undefined;
      if (error instanceof CommandError) return error.toReply();
      throw error;
    }
    if (this.authenticated || OPEN_COMMANDS.has(name)) return undefined;
    return new CommandError("Unauthorized", `Command ${name} requires authentication`).toReply();
  }

  /** A handshake reply, with `saslSupportedMechs` when the client asked about the engine's user (as MongoDB answers). */
  decorate(cmd: Document, reply: Document): Document {
    const name = Object.keys(cmd)[0] ?? "";
    if ((name === "hello" || name === "isMaster" || name === "ismaster") && this.authenticator.knows(cmd.saslSupportedMechs)) {
      return { ...reply, saslSupportedMechs: [SCRAM_MECHANISM] };
    }
    return reply;
  }

  private saslStart(db: string, cmd: Document): Document {
    const { conversation, reply } = this.authenticator.start(db, cmd, this.nextConversationId++);
    this.conversation = conversation;
    this.skipEmptyExchange = (cmd as { options?: Document }).options?.skipEmptyExchange === true;
    return reply;
  }

  private saslContinue(cmd: Document): Document {
    const conversation = this.conversation;
    if (conversation === undefined || Number(cmd.conversationId) !== conversation.id) {
      throw new CommandError("ProtocolError", "No SASL session state found");
    }
    if (conversation.proven) {
      // The empty final exchange of a client that did not ask to skip it.
      this.conversation = undefined;
      this.authenticated = true;
      return { conversationId: conversation.id, done: true, payload: new Binary(Buffer.alloc(0)), ok: 1 };
    }
    const reply = this.authenticator.prove(conversation, cmd.payload, this.skipEmptyExchange);
    if (reply.done === true) {
      this.conversation = undefined;
      this.authenticated = true;
    } else {
      conversation.proven = true;
    }
    return reply;
  }
}
