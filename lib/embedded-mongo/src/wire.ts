// The MongoDB wire protocol: framing, OP_MSG and legacy OP_QUERY requests, and OP_MSG/OP_REPLY responses.
import { serialize, type Document } from "bson";
import { deserializeKeepingTypes } from "./numbers";
import { CommandError } from "./errors";

export const HEADER_BYTES = 16;
const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

const CHECKSUM_PRESENT = 1 << 0;
const MORE_TO_COME = 1 << 1;
const EXHAUST_ALLOWED = 1 << 16;
const KNOWN_FLAGS = CHECKSUM_PRESENT | MORE_TO_COME | EXHAUST_ALLOWED;

/** A request read off the wire. */
export interface WireRequest {
  requestId: number;
  /** OP_QUERY handshakes are answered with OP_REPLY. */
  legacy: boolean;
  /** The client expects no reply (unacknowledged write). */
  moreToCome: boolean;
  db: string;
  cmd: Document;
}

/** A message that cannot be understood; the connection answers with the error when it knows whom to answer. */
export class WireError extends Error {
  readonly requestId: number | undefined;
  readonly legacy: boolean;
  constructor(message: string, requestId?: number, legacy = false) {
    super(message);
    this.requestId = requestId;
    this.legacy = legacy;
  }
}

function readDocument(message: Buffer, offset: number, end: number, requestId: number, legacy: boolean): { doc: Document; next: number } {
  if (offset + 5 > end) throw new WireError("BSON document runs past the end of the message", requestId, legacy);
  const size = message.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new WireError(`BSON document size ${size} does not fit the message`, requestId, legacy);
  try {
    return { doc: deserializeKeepingTypes(message.subarray(offset, offset + size)), next: offset + size };
  } catch (error) {
    throw new WireError(`invalid BSON: ${(error as Error).message}`, requestId, legacy);
  }
}

function readCString(message: Buffer, offset: number, end: number, requestId: number, legacy: boolean): { value: string; next: number } {
  const zero = message.indexOf(0, offset);
  if (zero === -1 || zero >= end) throw new WireError("unterminated string in message", requestId, legacy);
  return { value: message.toString("utf8", offset, zero), next: zero + 1 };
}

/** Parses one complete message (header included). */
export function parseMessage(message: Buffer): WireRequest {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_MSG) return parseOpMsg(message, requestId);
  if (opCode === OP_QUERY) return parseOpQuery(message, requestId);
  throw new WireError(`unsupported opCode ${opCode}: the embedded engine speaks OP_MSG (and OP_QUERY for the handshake)`, requestId);
}

function parseOpMsg(message: Buffer, requestId: number): WireRequest {
  if (message.length < HEADER_BYTES + 5) throw new WireError("OP_MSG too short", requestId);
  const flags = message.readUInt32LE(HEADER_BYTES);
  if ((flags & 0xffff & ~KNOWN_FLAGS) !== 0) throw new WireError(`OP_MSG has unknown required flag bits ${flags.toString(2)}`, requestId);
  const end = flags & CHECKSUM_PRESENT ? message.length - 4 : message.length;
  let offset = HEADER_BYTES + 4;
  let body: Document | undefined;
  const sequences: Record<string, Document[]> = {};
  while (offset < end) {
    const kind = message[offset++];
    if (kind === 0) {
      if (body) throw new WireError("OP_MSG has more than one body section", requestId);
      const { doc, next } = readDocument(message, offset, end, requestId, false);
      body = doc;
      offset = next;
    } else if (kind === 1) {
      if (offset + 4 > end) throw new WireError("document sequence runs past the end of the message", requestId);
      const size = message.readInt32LE(offset);
      const sectionEnd = offset + size;
      if (size < 5 || sectionEnd > end) throw new WireError(`document sequence size ${size} does not fit the message`, requestId);
      const { value: identifier, next } = readCString(message, offset + 4, sectionEnd, requestId, false);
      const docs: Document[] = [];
      let cursor = next;
      while (cursor < sectionEnd) {
        const read = readDocument(message, cursor, sectionEnd, requestId, false);
        docs.push(read.doc);
        cursor = read.next;
      }
      sequences[identifier] = docs;
      offset = sectionEnd;
    } else {
      throw new WireError(`OP_MSG has unknown section kind ${kind}`, requestId);
    }
  }
  if (!body) throw new WireError("OP_MSG has no body section", requestId);
  const cmd: Document = { ...body, ...sequences };
  if (typeof cmd.$db !== "string") throw new WireError("OP_MSG command has no $db", requestId);
  return { requestId, legacy: false, moreToCome: (flags & MORE_TO_COME) !== 0, db: cmd.$db, cmd };
}

function parseOpQuery(message: Buffer, requestId: number): WireRequest {
  const { value: fullName, next } = readCString(message, HEADER_BYTES + 4, message.length, requestId, true);
  const { doc } = readDocument(message, next + 8, message.length, requestId, true);
  if (!fullName.endsWith(".$cmd")) throw new WireError("OP_QUERY is only supported for commands (legacy handshake)", requestId, true);
  const cmd = doc.$query !== undefined && typeof doc.$query === "object" ? (doc.$query as Document) : doc;
  return { requestId, legacy: true, moreToCome: false, db: fullName.slice(0, -".$cmd".length), cmd };
}

let nextResponseId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const head = Buffer.allocUnsafe(HEADER_BYTES);
  head.writeInt32LE(length, 0);
  head.writeInt32LE(nextResponseId++ & 0x7fffffff, 4);
  head.writeInt32LE(responseTo, 8);
  head.writeInt32LE(opCode, 12);
  return head;
}

/** Encodes a reply in the form the request came in. */
export function encodeReply(responseTo: number, legacy: boolean, reply: Document): Buffer {
  const body = Buffer.from(serialize(reply));
  if (legacy) {
    const fields = Buffer.alloc(20);
    fields.writeInt32LE(0, 0); // responseFlags
    fields.writeBigInt64LE(0n, 4); // cursorID
    fields.writeInt32LE(0, 12); // startingFrom
    fields.writeInt32LE(1, 16); // numberReturned
    return Buffer.concat([header(HEADER_BYTES + 20 + body.length, responseTo, OP_REPLY), fields, body]);
  }
  const flagsAndKind = Buffer.from([0, 0, 0, 0, 0]);
  return Buffer.concat([header(HEADER_BYTES + 5 + body.length, responseTo, OP_MSG), flagsAndKind, body]);
}

/** The reply to a message that could not be parsed. */
export function wireErrorReply(error: WireError): Document {
  return new CommandError("InvalidBSON", error.message).toReply();
}
