// The TCP side: frames incoming bytes into messages, runs them in order per connection, and survives bad clients.
import { createServer, type Server, type Socket } from "node:net";
import type { Authenticator } from "./auth";
import { runCommand, MAX_MESSAGE_SIZE_BYTES, type Engine } from "./commands";
import { HEADER_BYTES, WireError, encodeReply, parseMessage, wireErrorReply } from "./wire";

/** Accumulates chunks and hands out complete messages. */
class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete message, undefined when more bytes are needed; throws when the length field is impossible. */
  next(): Buffer | undefined {
    if (this.buffered < 4) return undefined;
    if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)];
    const length = this.chunks[0].readInt32LE(0);
    if (length < HEADER_BYTES || length > MAX_MESSAGE_SIZE_BYTES) {
      throw new WireError(`message length ${length} is outside ${HEADER_BYTES}..${MAX_MESSAGE_SIZE_BYTES} bytes`);
    }
    if (this.buffered < length) return undefined;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const message = all.subarray(0, length);
    const rest = all.subarray(length);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return message;
  }
}

export interface Diagnostics {
  /** Called when a client is disconnected for sending something unreadable. */
  onProtocolError(remote: string, message: string): void;
}

/** Serves the engine on a TCP port; a connection runs commands only once it has authenticated. */
export function createWireServer(engine: Engine, diagnostics: Diagnostics, authenticator: Authenticator): { server: Server; sockets: Set<Socket> } {
  const sockets = new Set<Socket>();
  let nextConnectionId = 1;
  const server = createServer((socket) => {
    const connectionId = nextConnectionId++;
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const framer = new MessageFramer();
    const auth = authenticator.connection();
    const queue: Buffer[] = [];
    let running = false;
    sockets.add(socket);
    engine.connections.current++;
    engine.connections.totalCreated++;
    socket.setNoDelay(true);

    const drop = (reason: string): void => {
      diagnostics.onProtocolError(remote, reason);
      socket.destroy();
    };

    const runQueue = async (): Promise<void> => {
      running = true;
      while (queue.length > 0 && !socket.destroyed) {
        const message = queue.shift()!;
        try {
          const request = parseMessage(message);
          const reply =
            auth.intercept(request.db, request.cmd) ??
            auth.decorate(request.cmd, await runCommand(engine, { db: request.db, cmd: request.cmd, connectionId, remote, messageBytes: message.length }));
          if (!request.moreToCome && !socket.destroyed) socket.write(encodeReply(request.requestId, request.legacy, reply));
        } catch (error) {
          if (error instanceof WireError && error.requestId !== undefined && !socket.destroyed) {
            socket.write(encodeReply(error.requestId, error.legacy, wireErrorReply(error)));
          } else {
            drop((error as Error).message);
          }
        }
        if (queue.length < 8 && socket.isPaused()) socket.resume();
      }
      running = false;
    };

    socket.on("data", (chunk) => {
      framer.push(chunk);
      try {
        for (let message = framer.next(); message; message = framer.next()) queue.push(message);
      } catch (error) {
        drop((error as Error).message);
        return;
      }
      if (queue.length >= 8) socket.pause();
      if (!running && queue.length > 0) void runQueue();
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      sockets.delete(socket);
      engine.connections.current--;
    });
  });
  return { server, sockets };
}
