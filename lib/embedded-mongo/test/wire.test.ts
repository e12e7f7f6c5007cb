// Bad input on the wire: malformed BSON, lying lengths, oversized and truncated messages never take the server down.
import { connect, type Socket } from "node:net";
import { serialize, deserialize, setInternalBufferSize, UUID, type Document } from "bson";
import { authenticateClient } from "../src/auth";
import { startHarness, stopHarness, type Harness } from "./helpers";

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => stopHarness(harness));

function header(length: number, requestId: number, opCode: number): Buffer {
  const head = Buffer.alloc(16);
  head.writeInt32LE(length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(0, 8);
  head.writeInt32LE(opCode, 12);
  return head;
}

function opMsg(requestId: number, body: Buffer): Buffer {
  return Buffer.concat([header(16 + 5 + body.length, requestId, 2013), Buffer.from([0, 0, 0, 0, 0]), body]);
}

function opQuery(requestId: number, collection: string, query: Document): Buffer {
  const body = Buffer.concat([
    Buffer.alloc(4),
    Buffer.from(`${collection}\0`),
    Buffer.alloc(4),
    Buffer.from([255, 255, 255, 255]),
    Buffer.from(serialize(query)),
  ]);
  return Buffer.concat([header(16 + body.length, requestId, 2004), body]);
}

/** A raw connection, authenticated unless `authenticated` is false. */
async function open({ authenticated = true } = {}): Promise<Socket> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const opened = connect(harness.engine.port, harness.engine.host, () => resolve(opened));
    opened.on("error", reject);
  });
  let requestId = 1000;
  if (authenticated) {
    await authenticateClient(async (cmd) => {
      const reply = await exchange(socket, opMsg(requestId++, Buffer.from(serialize(cmd))));
      if (reply === "closed") throw new Error("closed during authentication");
      return reply;
    }, harness.engine.credentials);
  }
  return socket;
}

/** Sends bytes and resolves with the decoded reply (OP_MSG or OP_REPLY), or "closed" when the server hangs up. */
function exchange(socket: Socket, bytes: Buffer): Promise<Document | "closed"> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4 && received.length >= received.readInt32LE(0)) {
        socket.off("data", onData);
        const opCode = received.readInt32LE(12);
        resolve(deserialize(received.subarray(opCode === 1 ? 36 : 21)));
      }
    };
    socket.on("data", onData);
    socket.once("close", () => resolve("closed"));
    socket.write(bytes);
  });
}

async function serverStillAnswers(): Promise<void> {
  expect(await harness.client.db("admin").command({ ping: 1 })).toEqual({ ok: 1 });
}

it("answers the legacy OP_QUERY isMaster handshake with OP_REPLY", async () => {
  const socket = await open();
  const reply = await exchange(socket, opQuery(1, "admin.$cmd", { isMaster: 1 }));
  expect(reply).toMatchObject({ ismaster: true, maxWireVersion: 21, ok: 1 });
  socket.destroy();
});

it("answers malformed BSON with InvalidBSON (22) and keeps the connection usable", async () => {
  const socket = await open();
  const good = Buffer.from(serialize({ ping: 1, $db: "admin" }));
  const broken = Buffer.from(good);
  broken.writeInt32LE(good.length + 40, 0);
  expect(await exchange(socket, opMsg(2, broken))).toMatchObject({ ok: 0, code: 22 });
  const garbage = Buffer.concat([Buffer.from([12, 0, 0, 0, 0x7f, 0x61, 0, 1, 2, 3, 4, 0])]);
  expect(await exchange(socket, opMsg(3, garbage))).toMatchObject({ ok: 0, code: 22 });
  expect(await exchange(socket, opMsg(4, good))).toEqual({ ok: 1 });
  socket.destroy();
  await serverStillAnswers();
});

it("drops a connection whose length field is impossible or oversized, and others keep working", async () => {
  const tooSmall = await open();
  expect(await exchange(tooSmall, header(8, 5, 2013))).toBe("closed");
  const tooLarge = await open();
  expect(await exchange(tooLarge, header(64 * 1024 * 1024, 6, 2013))).toBe("closed");
  await serverStillAnswers();
});

it("survives a client that disconnects in the middle of a message", async () => {
  const socket = await open();
  const message = opMsg(7, Buffer.from(serialize({ insert: "half", documents: [{ a: 1 }], $db: "wire" })));
  socket.write(message.subarray(0, message.length - 10));
  socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await serverStillAnswers();
  expect(await harness.client.db("wire").collection("half").countDocuments()).toBe(0);
});

it("answers an unknown opCode with an error instead of crashing", async () => {
  const socket = await open();
  const reply = await exchange(socket, Buffer.concat([header(20, 8, 9999), Buffer.alloc(4)]));
  expect(reply).toMatchObject({ ok: 0, errmsg: expect.stringContaining("unsupported opCode 9999") });
  socket.destroy();
  await serverStillAnswers();
});

it("replays a retried write with the same session and txnNumber instead of applying it twice", async () => {
  const socket = await open();
  const lsid = { id: new UUID() };
  const insert = (requestId: number): Buffer =>
    opMsg(requestId, Buffer.from(serialize({ insert: "retry", documents: [{ _id: "once" }], lsid, txnNumber: 1, $db: "wire" })));
  expect(await exchange(socket, insert(9))).toMatchObject({ n: 1, ok: 1 });
  expect(await exchange(socket, insert(10))).toMatchObject({ n: 1, ok: 1 });
  expect(await harness.client.db("wire").collection("retry").countDocuments()).toBe(1);
  socket.destroy();
});

it("refuses a document over 16 MiB, also one that the _id the server gives it takes over, and stores the others of the batch", async () => {
  const socket = await open();
  const maximum = 16 * 1024 * 1024;
  setInternalBufferSize(maximum + 1024);
  const serializeLarge = (doc: Document) => Buffer.from(serialize(doc));
  // A document of `size` bytes: { _id?, text: "x..." } (a string costs its bytes, a terminator, a length and a type and name).
  const sized = (size: number, id?: string): Document => {
    const overhead = 4 + 1 + (id === undefined ? 0 : 1 + 4 + 4 + id.length + 1) + 1 + 5 + 4 + 1;
    const doc = { ...(id === undefined ? {} : { _id: id }), text: "x".repeat(size - overhead) };
    expect(serializeLarge(doc).length).toBe(size);
    return doc;
  };
  // As drivers send inserts: the documents in a sequence section after the command's body.
  const insert = async (requestId: number, documents: Document[]): Promise<Document> => {
    const body = serializeLarge({ insert: "sizes", ordered: false, $db: "wire" });
    const sequence = Buffer.concat([Buffer.from("documents\0"), ...documents.map(serializeLarge)]);
    const sequenceSize = Buffer.alloc(4);
    sequenceSize.writeInt32LE(4 + sequence.length);
    const sections = Buffer.concat([Buffer.from([0]), body, Buffer.from([1]), sequenceSize, sequence]);
    const reply = await exchange(socket, Buffer.concat([header(16 + 4 + sections.length, requestId, 2013), Buffer.alloc(4), sections]));
    if (reply === "closed") throw new Error("the server closed the connection");
    return reply;
  };
  const codes = (reply: Document) => ((reply.writeErrors ?? []) as Document[]).map((error) => [error.index, error.code]);
  const first = await insert(11, [sized(maximum + 1, "over"), sized(1000, "small")]);
  expect(first).toMatchObject({ n: 1, ok: 1 });
  expect(codes(first)).toEqual([[0, 10334]]);
  const second = await insert(12, [sized(maximum - 5), sized(maximum, "at")]);
  expect(second).toMatchObject({ n: 1, ok: 1 });
  expect(codes(second)).toEqual([[0, 10334]]);
  expect(await harness.client.db("wire").collection("sizes").distinct("_id")).toEqual(["at", "small"]);
  socket.destroy();
});
