// Tests for pubsub.ts, run against both implementations (in-process and a real redis-server): delivery, unsubscribe, listener counts, failures logged.
import { Redis } from "ioredis";
import { createLogger } from "../src/logger";
import { REDIS_CHANNEL_PREFIX, createPubSub } from "../src/pubsub";
import type { DomainEvent, PubSub } from "../src/pubsub";
import { startRedisServer } from "@tsunagu/test-kit";
import type { RedisServer } from "@tsunagu/test-kit";

/** A logger writing into an array of parsed records. */
function capture() {
  const records: Array<Record<string, unknown>> = [];
  const logger = createLogger({ name: "pubsub-test", level: "info", destination: { write: (line: string) => records.push(JSON.parse(line)) } });
  return { logger, records };
}

/** Resolves with the next `count` events a listener on `topic` receives. */
function collect(pubsub: PubSub, topic: string, count: number): { events: Promise<DomainEvent[]>; stop: () => void } {
  const received: DomainEvent[] = [];
  let stop: () => void = () => undefined;
  const events = new Promise<DomainEvent[]>((resolve) => {
    stop = pubsub.subscribe(topic, (event) => {
      received.push(event);
      if (received.length === count) resolve(received);
    });
  });
  return { events, stop };
}

/** Gives Redis time to deliver what it would (a message that should not arrive has had its chance). */
async function settle(pubsub: PubSub): Promise<void> {
  const marker = collect(pubsub, "settle", 1);
  await pubsub.publish({ type: "marker", topic: "settle", payload: {} });
  await marker.events;
  marker.stop();
}

const postAdded = (postId: string, boardId = "b1"): DomainEvent => ({ type: "postAdded", topic: `board:${boardId}`, payload: { postId, boardId } });

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await redis?.stop();
});

describe.each([
  ["in-process", () => undefined],
  ["Redis", () => redis.url],
])("%s pub/sub", (_name, redisUrl) => {
  let pubsub: PubSub;
  let records: Array<Record<string, unknown>>;

  beforeEach(async () => {
    const captured = capture();
    records = captured.records;
    pubsub = await createPubSub({ redisUrl: redisUrl(), logger: captured.logger });
  });

  afterEach(async () => {
    await pubsub.close();
  });

  test("an event reaches every listener of its topic, and only those", async () => {
    const first = collect(pubsub, "board:b1", 2);
    const second = collect(pubsub, "board:b1", 2);
    const other = collect(pubsub, "board:b2", 1);
    await settle(pubsub);
    await pubsub.publish(postAdded("p1"));
    await pubsub.publish(postAdded("p2"));
    expect(await first.events).toEqual([postAdded("p1"), postAdded("p2")]);
    expect(await second.events).toEqual([postAdded("p1"), postAdded("p2")]);
    await settle(pubsub);
    expect(pubsub.listenerCount("board:b2")).toBe(1);
    other.stop();
    first.stop();
    second.stop();
  });

  test("unsubscribing stops delivery, is idempotent, and leaves no listener behind", async () => {
    const received: DomainEvent[] = [];
    const stopA = pubsub.subscribe("availability", (event) => received.push(event));
    const stopB = pubsub.subscribe("availability", () => undefined);
    const stopC = pubsub.subscribe("post:p1", () => undefined);
    expect([pubsub.listenerCount(), pubsub.listenerCount("availability"), pubsub.listenerCount("post:p1")]).toEqual([3, 2, 1]);
    stopA();
    stopA();
    expect([pubsub.listenerCount(), pubsub.listenerCount("availability")]).toEqual([2, 1]);
    await settle(pubsub);
    await pubsub.publish({ type: "availabilityChanged", topic: "availability", payload: { resourceId: "r1", category: "HOME_NURSING", district: "d1" } });
    await settle(pubsub);
    expect(received).toEqual([]);
    stopB();
    stopC();
    expect(pubsub.listenerCount()).toBe(0);
  });

  test("a listener that throws is logged and does not keep the event from the others", async () => {
    pubsub.subscribe("board:b1", () => {
      throw new Error("listener bug");
    });
    const healthy = collect(pubsub, "board:b1", 1);
    await settle(pubsub);
    await pubsub.publish(postAdded("p9"));
    expect(await healthy.events).toEqual([postAdded("p9")]);
    expect(records.find((record) => record.msg === "pub/sub listener failed")).toMatchObject({
      level: "error",
      topic: "board:b1",
      type: "postAdded",
      err: { message: "listener bug" },
    });
  });

  test("after close, publishing delivers nothing and close can be called again", async () => {
    const received: DomainEvent[] = [];
    pubsub.subscribe("board:b1", (event) => received.push(event));
    await pubsub.close();
    await pubsub.close();
    await pubsub.publish(postAdded("p1"));
    expect(received).toEqual([]);
    expect(pubsub.listenerCount()).toBe(0);
  });
});

describe("Redis specifics", () => {
  let observer: Redis;

  beforeEach(() => {
    observer = new Redis(redis.url);
  });

  afterEach(async () => {
    await observer.quit();
  });

  async function channelSubscribers(topic: string): Promise<number> {
    const [, count] = (await observer.pubsub("NUMSUB", `${REDIS_CHANNEL_PREFIX}${topic}`)) as [string, number];
    return count;
  }

  test("an event published by one pub/sub (another process's connection) reaches another", async () => {
    const { logger } = capture();
    const publisherSide = await createPubSub({ redisUrl: redis.url, logger });
    const subscriberSide = await createPubSub({ redisUrl: redis.url, logger });
    const comments = collect(subscriberSide, "post:p1", 1);
    await settle(subscriberSide);
    const commentAdded = { type: "commentAdded", topic: "post:p1", payload: { commentId: "c1", postId: "p1", boardId: "b1" } };
    await publisherSide.publish(commentAdded);
    expect(await comments.events).toEqual([commentAdded]);
    comments.stop();
    await Promise.all([publisherSide.close(), subscriberSide.close()]);
  });

  test("a channel is subscribed once however many listeners, and unsubscribed with the last", async () => {
    const pubsub = await createPubSub({ redisUrl: redis.url, logger: capture().logger });
    const stops = Array.from({ length: 5 }, () => pubsub.subscribe("board:counted", () => undefined));
    await settle(pubsub);
    expect(await channelSubscribers("board:counted")).toBe(1);
    stops.slice(0, 4).forEach((stop) => stop());
    await settle(pubsub);
    expect(await channelSubscribers("board:counted")).toBe(1);
    stops[4]?.();
    await settle(pubsub);
    expect(await channelSubscribers("board:counted")).toBe(0);
    await pubsub.close();
  });

  test("the same event object reaches every local listener (it is parsed once)", async () => {
    const pubsub = await createPubSub({ redisUrl: redis.url, logger: capture().logger });
    const first = collect(pubsub, "board:b1", 1);
    const second = collect(pubsub, "board:b1", 1);
    await settle(pubsub);
    await pubsub.publish(postAdded("p1"));
    const [[a], [b]] = await Promise.all([first.events, second.events]);
    expect(a).toBe(b);
    await pubsub.close();
  });

  test("a malformed message on a channel is logged and not delivered", async () => {
    const { logger, records } = capture();
    const pubsub = await createPubSub({ redisUrl: redis.url, logger });
    const received: DomainEvent[] = [];
    pubsub.subscribe("board:b1", (event) => received.push(event));
    await settle(pubsub);
    await observer.publish(`${REDIS_CHANNEL_PREFIX}board:b1`, "not json");
    await observer.publish(`${REDIS_CHANNEL_PREFIX}board:b1`, JSON.stringify({ type: "postAdded", topic: "board:b2", payload: {} }));
    await observer.publish(`${REDIS_CHANNEL_PREFIX}board:b1`, JSON.stringify({ type: "postAdded", topic: "board:b1", payload: [] }));
    await settle(pubsub);
    expect(received).toEqual([]);
    expect(records.filter((record) => record.msg === "ignored a malformed pub/sub message").map((record) => record.channel)).toEqual([
      "tsunagu:board:b1",
      "tsunagu:board:b1",
      "tsunagu:board:b1",
    ]);
    await pubsub.close();
  });

  test("publishing when Redis has gone resolves anyway and logs the failure", async () => {
    const doomed = await startRedisServer();
    const { logger, records } = capture();
    const pubsub = await createPubSub({ redisUrl: doomed.url, logger });
    await doomed.stop();
    await expect(pubsub.publish(postAdded("p1"))).resolves.toBeUndefined();
    expect(records.find((record) => record.msg === "publishing a domain event to Redis failed")).toMatchObject({
      level: "error",
      topic: "board:b1",
      type: "postAdded",
    });
    await pubsub.close();
  });

  test("an unreachable REDIS_URL is refused at start, naming the variable and hiding credentials", async () => {
    const gone = await startRedisServer();
    await gone.stop();
    const url = gone.url.replace("redis://", "redis://user:hunter2@");
    await expect(createPubSub({ redisUrl: url, logger: capture().logger })).rejects.toThrow(
      new RegExp(`^Cannot connect to Redis at REDIS_URL redis://\\*\\*\\*@127\\.0\\.0\\.1:\\d+ \\(publisher\\): `),
    );
  });
});
