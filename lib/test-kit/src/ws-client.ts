// A real graphql-ws client against the gateway, and live subscriptions whose messages, errors and end can be awaited with deadlines generous enough for a busy machine.
import { createClient } from "graphql-ws";
import type { Client, FormattedExecutionResult, SubscribePayload } from "graphql-ws";
import WebSocket from "ws";
import { DEFAULT_WAIT_MS } from "./wait";

/** `http://127.0.0.1:1234/graphql` → `ws://127.0.0.1:1234/graphql`. */
export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, "ws");
}

/** How a connection ended, as the client saw it. */
export interface Closed {
  code: number;
  reason: string;
}

/** A graphql-ws client that never retries, with the close event of its (first) connection. */
export interface WsConnection {
  client: Client;
  closed: Promise<Closed>;
}

/** Connects lazily (on the first subscribe) with `connectionParams` as the connection_init payload. */
export function connectWs(httpUrl: string, connectionParams: Record<string, unknown> = {}): WsConnection {
  let onClosed: (closed: Closed) => void = () => undefined;
  const closed = new Promise<Closed>((resolve) => {
    onClosed = resolve;
  });
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazyCloseTimeout: 0,
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        onClosed({ code, reason: String(reason) });
      },
    },
  });
  return { client, closed };
}

/** Rejects after `ms` with `what` in the message. */
function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One subscription: its results in order, and how it ended (error or complete). */
export class LiveSubscription {
  private readonly results: FormattedExecutionResult[] = [];
  private waiting: (() => void) | undefined;
  private ending: { error?: unknown } | undefined;
  private readonly unsubscribe: () => void;

  constructor(client: Client, payload: SubscribePayload) {
    this.unsubscribe = client.subscribe<Record<string, unknown>, Record<string, unknown>>(payload, {
      next: (result) => {
        this.results.push(result);
        this.waiting?.();
      },
      error: (error) => {
        this.ending = { error };
        this.waiting?.();
      },
      complete: () => {
        this.ending ??= {};
        this.waiting?.();
      },
    });
  }

  private async until<T>(take: () => T | undefined, ms: number, what: string): Promise<T> {
    const wait = async (): Promise<T> => {
      for (;;) {
        const taken = take();
        if (taken !== undefined) return taken;
        await new Promise<void>((resolve) => {
          this.waiting = resolve;
        });
      }
    };
    return deadline(wait(), ms, what);
  }

  /** The next result, within `ms` (default DEFAULT_WAIT_MS). */
  next(ms = DEFAULT_WAIT_MS): Promise<FormattedExecutionResult> {
    return this.until(
      () => {
        const result = this.results.shift();
        if (result !== undefined) return result;
        if (this.ending !== undefined) throw new Error(`the subscription ended instead: ${JSON.stringify(this.ending.error ?? "complete")}`);
        return undefined;
      },
      ms,
      "a subscription result",
    );
  }

  /** The error that ended the subscription (a list of GraphQL errors, or a close event). */
  error(ms = DEFAULT_WAIT_MS): Promise<unknown> {
    return this.until(() => (this.ending === undefined ? undefined : (this.ending.error ?? null)), ms, "a subscription error");
  }

  stop(): void {
    this.unsubscribe();
  }
}

/** A bare WebSocket speaking graphql-transport-ws by hand, for what a well-behaved client never does. */
export async function rawConnection(httpUrl: string, options: { autoPong?: boolean } = {}): Promise<WebSocket> {
  const socket = new WebSocket(wsUrl(httpUrl), "graphql-transport-ws", { autoPong: options.autoPong ?? true });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const acknowledged = new Promise<void>((resolve, reject) => {
    socket.once("message", (data) => {
      const message = JSON.parse((data as Buffer).toString("utf8")) as { type: string };
      if (message.type === "connection_ack") resolve();
      else reject(new Error(`expected connection_ack, got ${message.type}`));
    });
  });
  socket.send(JSON.stringify({ type: "connection_init", payload: {} }));
  await acknowledged;
  return socket;
}

/** Sends a subscribe message on a bare connection. */
export function rawSubscribe(socket: WebSocket, id: string, payload: SubscribePayload): void {
  socket.send(JSON.stringify({ id, type: "subscribe", payload }));
}
