// A minimal OP_MSG client for benchmarks: measures the server without the official driver's own overhead.
import { connect, type Socket } from "node:net";
import { once } from "node:events";
import { serialize, deserialize, type Document } from "bson";
import { authenticateClient, type EngineCredentials } from "../../lib/embedded-mongo/src/auth";

/** One connection that sends a command and waits for its reply. */
export class WireClient {
  private readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  /** Replies come back in request order on one connection. */
  private readonly waiting: Array<(reply: Document) => void> = [];
  private requestId = 1;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4 && this.buffer.length >= this.buffer.readInt32LE(0)) {
        const length = this.buffer.readInt32LE(0);
        const reply = deserialize(this.buffer.subarray(21, length));
        this.buffer = this.buffer.subarray(length);
        this.waiting.shift()?.(reply);
      }
    });
  }

  /** Connects and authenticates (SCRAM-SHA-256, as the engine requires). */
  static async open(uri: string, credentials: EngineCredentials): Promise<WireClient> {
    const { hostname, port } = new URL(uri);
    const socket = connect(Number(port), hostname);
    await once(socket, "connect");
    const client = new WireClient(socket);
    await authenticateClient((cmd) => client.command(cmd), credentials);
    return client;
  }

  command(cmd: Document): Promise<Document> {
    const body = Buffer.from(serialize(cmd));
    const head = Buffer.alloc(21);
    head.writeInt32LE(21 + body.length, 0);
    head.writeInt32LE(this.requestId++, 4);
    head.writeInt32LE(2013, 12);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(Buffer.concat([head, body]));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
