// Domain-event pub/sub between subgraphs (publishers) and the gateway (subscriptions): in-process, through npm start's supervisor, or Redis (ioredis) when several processes run.
import { Redis } from "ioredis";
import { z } from "zod";
import { maskUriCredentials } from "./logger";
import type { Logger } from "./logger";
import { DOMAIN_EVENT_MESSAGE, isSupervised } from "./supervision";

/** One domain event as it travels; the types, payloads and topics in use are in topics.ts (build them with `domainEvent`). */
export interface DomainEvent {
  type: string;
  topic: string;
  payload: Record<string, unknown>;
}

/** Publishes and delivers domain events; listeners get events published after they subscribed. */
export interface PubSub {
  /** Sends `event` to every listener of `event.topic` (in any process sharing the broker); never rejects: failures are logged. */
  publish(event: DomainEvent): Promise<void>;
  /** Calls `onEvent` for each event on `topic`; returns the function that stops it. */
  subscribe(topic: string, onEvent: (event: DomainEvent) => void): () => void;
  /** Listeners currently subscribed (all topics, or one), so that tests can see nothing leaked. */
  listenerCount(topic?: string): number;
  /** Stops delivering and releases connections; safe to call twice. */
  close(): Promise<void>;
}

export interface PubSubOptions {
  /** `redis://` or `rediss://`; absent: events stay inside this process. */
  redisUrl?: string;
  logger: Logger;
}

/** REDIS_URL, for every service that publishes or subscribes (`.extend(pubsubConfigSchema.shape)`); unset: in-process. */
export const pubsubConfigSchema = z.object({
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, { error: "expected a redis:// or rediss:// URL" })
    .optional(),
});

/** Redis channels are `tsunagu:<topic>`, so that a shared Redis can serve other applications too. */
export const REDIS_CHANNEL_PREFIX = "tsunagu:";

/** How long a Redis PUBLISH may take before it is given up (and logged), so a mutation never waits on a broken broker. */
const REDIS_COMMAND_TIMEOUT_MS = 2000;

type Listener = (event: DomainEvent) => void;

/** Listeners per topic, shared by both implementations: adds, removes (dropping empty topics) and dispatches. */
class ListenerRegistry {
  private readonly topics = new Map<string, Set<Listener>>();

  constructor(private readonly logger: Logger) {}

  /** Adds a listener; returns true when it is the topic's first. */
  add(topic: string, listener: Listener): boolean {
    const listeners = this.topics.get(topic);
    if (listeners !== undefined) {
      listeners.add(listener);
      return false;
    }
    this.topics.set(topic, new Set([listener]));
    return true;
  }

  /** Removes a listener; returns true when the topic has none left. */
  remove(topic: string, listener: Listener): boolean {
    const listeners = this.topics.get(topic);
    if (listeners === undefined || !listeners.delete(listener)) return false;
    if (listeners.size > 0) return false;
    this.topics.delete(topic);
    return true;
  }

  /** Calls every listener of the event's topic; a listener that throws is logged and does not stop the others. */
  dispatch(event: DomainEvent): void {
    const listeners = this.topics.get(event.topic);
    if (listeners === undefined) return;
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error, topic: event.topic, type: event.type }, "pub/sub listener failed");
      }
    }
  }

  count(topic?: string): number {
    if (topic !== undefined) return this.topics.get(topic)?.size ?? 0;
    let total = 0;
    for (const listeners of this.topics.values()) total += listeners.size;
    return total;
  }

  clear(): void {
    this.topics.clear();
  }
}

/** A subscribe() whose returned function removes the listener once, however often it is called. */
function subscribeOnce(registry: ListenerRegistry, topic: string, onEvent: Listener, onFirst: () => void, onLast: () => void): () => void {
  const listener: Listener = (event) => onEvent(event);
  if (registry.add(topic, listener)) onFirst();
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    if (registry.remove(topic, listener)) onLast();
  };
}

/** Events delivered synchronously to this process's listeners. */
function inProcessPubSub(logger: Logger): PubSub {
  const registry = new ListenerRegistry(logger);
  let closed = false;
  const noop = (): void => undefined;
  return {
    async publish(event) {
      if (!closed) registry.dispatch(event);
    },
    subscribe: (topic, onEvent) => subscribeOnce(registry, topic, onEvent, noop, noop),
    listenerCount: (topic) => registry.count(topic),
    async close() {
      closed = true;
      registry.clear();
    },
  };
}

/** A domain event received from another process, checked before it reaches listeners. */
function domainEventOf(value: unknown): DomainEvent | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { type, topic, payload } = value as Partial<Record<keyof DomainEvent, unknown>>;
  if (typeof type !== "string" || typeof topic !== "string" || typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return undefined;
  }
  return { type, topic, payload: payload as Record<string, unknown> };
}

/** A message from Redis, checked before it reaches listeners (anyone with access to the broker can publish). */
function parseEvent(message: string): DomainEvent | undefined {
  try {
    return domainEventOf(JSON.parse(message));
  } catch {
    return undefined;
  }
}

/** Connects one ioredis client, or rejects naming REDIS_URL (and leaves nothing retrying). */
export async function connectRedis(redisUrl: string, role: string, logger: Logger): Promise<Redis> {
  let connected = false;
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    // A broken broker is retried once it has worked; a wrong REDIS_URL fails the start instead.
    retryStrategy: (attempt) => (connected ? Math.min(attempt * 100, 2000) : null),
    // A socket that is already gone is not waited for (ioredis' default keeps a 2 s timer alive).
    disconnectTimeout: 200,
  });
  client.once("ready", () => {
    connected = true;
  });
  client.on("error", (error: Error) => logger.warn({ err: error, role }, "Redis connection error"));
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`Cannot connect to Redis at REDIS_URL ${maskUriCredentials(redisUrl)} (${role}): ${(error as Error).message}`, { cause: error });
  }
  return client;
}

/** QUIT when connected (pending commands are sent first); otherwise stop reconnecting at once. */
export async function disconnectRedis(client: Redis): Promise<void> {
  if (client.status === "ready") {
    try {
      await client.quit();
      return;
    } catch {
      // The connection broke during QUIT; disconnect() below stops any reconnection.
    }
  }
  client.disconnect();
}

/**
 * Events through Redis: one connection publishes, one subscribes; a channel is subscribed while at
 * least one local listener wants its topic. Every message is parsed once and dispatched to the
 * same event object for all local listeners.
 */
async function redisPubSub(redisUrl: string, logger: Logger): Promise<PubSub> {
  const publisher = await connectRedis(redisUrl, "publisher", logger);
  let subscriber: Redis;
  try {
    subscriber = await connectRedis(redisUrl, "subscriber", logger);
  } catch (error) {
    publisher.disconnect();
    throw error;
  }
  const registry = new ListenerRegistry(logger);
  subscriber.on("message", (channel: string, message: string) => {
    const event = parseEvent(message);
    if (event === undefined || `${REDIS_CHANNEL_PREFIX}${event.topic}` !== channel) {
      logger.warn({ channel }, "ignored a malformed pub/sub message");
      return;
    }
    registry.dispatch(event);
  });
  const channelCommand = (command: "subscribe" | "unsubscribe", topic: string) => () => {
    subscriber[command](`${REDIS_CHANNEL_PREFIX}${topic}`).catch((error: Error) => logger.error({ err: error, topic }, `Redis ${command} failed`));
  };
  let closing: Promise<void> | undefined;

  return {
    async publish(event) {
      if (closing !== undefined) return;
      try {
        await publisher.publish(`${REDIS_CHANNEL_PREFIX}${event.topic}`, JSON.stringify(event));
      } catch (error) {
        logger.error({ err: error, topic: event.topic, type: event.type }, "publishing a domain event to Redis failed");
      }
    },
    subscribe: (topic, onEvent) => subscribeOnce(registry, topic, onEvent, channelCommand("subscribe", topic), channelCommand("unsubscribe", topic)),
    listenerCount: (topic) => registry.count(topic),
    close() {
      closing ??= (async () => {
        registry.clear();
        await Promise.all([disconnectRedis(publisher), disconnectRedis(subscriber)]);
      })();
      return closing;
    },
  };
}

/**
 * Events through `npm start`'s supervisor, for its processes when there is no Redis: published to the supervisor over
 * the IPC channel, which sends each to every process it runs (the publisher's too), where local listeners get it.
 */
function supervisorPubSub(logger: Logger): PubSub {
  const registry = new ListenerRegistry(logger);
  const onMessage = (message: unknown): void => {
    if (typeof message !== "object" || message === null || (message as { type?: unknown }).type !== DOMAIN_EVENT_MESSAGE) return;
    const event = domainEventOf((message as { event?: unknown }).event);
    if (event === undefined) logger.warn("ignored a malformed domain event from the supervisor");
    else registry.dispatch(event);
  };
  process.on("message", onMessage);
  let closed = false;
  const noop = (): void => undefined;
  return {
    async publish(event) {
      if (closed || !process.connected) return;
      process.send?.({ type: DOMAIN_EVENT_MESSAGE, event }, undefined, undefined, (error: Error | null) => {
        if (error !== null) logger.error({ err: error, topic: event.topic, type: event.type }, "publishing a domain event to the supervisor failed");
      });
    },
    subscribe: (topic, onEvent) => subscribeOnce(registry, topic, onEvent, noop, noop),
    listenerCount: (topic) => registry.count(topic),
    async close() {
      closed = true;
      registry.clear();
      process.off("message", onMessage);
    },
  };
}

/**
 * The pub/sub of DESIGN.md "Subscriptions": Redis with `redisUrl` (rejects when Redis cannot be reached); without it,
 * through the supervisor in a process `npm start` runs, else in-process.
 */
export function createPubSub({ redisUrl, logger }: PubSubOptions): Promise<PubSub> {
  const pubsubLogger = logger.child({ module: "pubsub" });
  if (redisUrl !== undefined) return redisPubSub(redisUrl, pubsubLogger);
  return Promise.resolve(isSupervised() ? supervisorPubSub(pubsubLogger) : inProcessPubSub(pubsubLogger));
}
