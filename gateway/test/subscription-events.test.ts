// Event delivery mechanics: the event stream's order, skipping, overflow and return; the concurrency limit; shared lookups; lookup results as subscription results.
import { GraphQLError } from "graphql";
import type { ExecutionResult, FormattedExecutionResult } from "graphql";
import { createLogger, createPubSub } from "@tsunagu/service-kit";
import type { DomainEvent, PubSub } from "@tsunagu/service-kit";
import { ConcurrencyLimit, EventLookups, EventStream, subscriptionResult } from "../src/subscription-events";
import type { PendingResult } from "../src/subscription-events";

const silent = createLogger({ name: "events-test", level: "silent" });
const event = (postId: string, type = "postAdded"): DomainEvent => ({ type, topic: "board:b1", payload: { postId, boardId: "b1" } });

/** A promise with its resolve function, to finish lookups in a chosen order. */
function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

let pubsub: PubSub;

beforeEach(async () => {
  pubsub = await createPubSub({ logger: silent });
});

afterEach(async () => {
  await pubsub.close();
});

describe("EventStream", () => {
  test("yields results in event order even when later lookups finish first, and skips null results and ignored events", async () => {
    const lookups = new Map<string, ReturnType<typeof deferred<ExecutionResult | null>>>();
    const stream = new EventStream(
      pubsub,
      "board:b1",
      (e): PendingResult | undefined => {
        if (e.type !== "postAdded") return undefined;
        const lookup = deferred<ExecutionResult | null>();
        lookups.set(String(e.payload.postId), lookup);
        return lookup.promise;
      },
      10,
    );
    for (const e of [event("p1"), event("p2", "postUpdated"), event("p3"), event("p4")]) await pubsub.publish(e);
    lookups.get("p4")?.resolve({ data: { postAdded: { id: "p4" } } });
    lookups.get("p3")?.resolve(null);
    lookups.get("p1")?.resolve({ data: { postAdded: { id: "p1" } } });
    expect(await stream.next()).toEqual({ value: { data: { postAdded: { id: "p1" } } }, done: false });
    expect(await stream.next()).toEqual({ value: { data: { postAdded: { id: "p4" } } }, done: false });
    expect([...lookups.keys()]).toEqual(["p1", "p3", "p4"]);
    await stream.return();
  });

  test("return() while next() waits ends it at once and stops listening", async () => {
    const stream = new EventStream(pubsub, "board:b1", () => Promise.resolve({ data: {} }), 10);
    expect(pubsub.listenerCount("board:b1")).toBe(1);
    const waiting = stream.next();
    expect(await stream.return()).toEqual({ value: undefined, done: true });
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(pubsub.listenerCount()).toBe(0);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    await pubsub.publish(event("p1"));
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  test("a subscriber that falls more than maxQueued events behind gets one RATE_LIMITED error, then the end", async () => {
    const stream = new EventStream(pubsub, "board:b1", (e) => Promise.resolve({ data: { postAdded: { id: e.payload.postId } } }), 3);
    for (const id of ["p1", "p2", "p3", "p4", "p5"]) await pubsub.publish(event(id));
    expect(pubsub.listenerCount()).toBe(0);
    const first = await stream.next();
    expect((first.value as ExecutionResult).errors?.map((error) => [error.message, error.extensions])).toEqual([
      ["More than 3 events were waiting for this subscriber; subscribe again", { code: "RATE_LIMITED", limit: "queuedEvents" }],
    ]);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  test("is its own async iterator", () => {
    const stream = new EventStream(pubsub, "t", () => undefined, 1);
    expect(stream[Symbol.asyncIterator]()).toBe(stream);
    void stream.return();
  });
});

test("ConcurrencyLimit runs at most its limit at once and every task to completion", async () => {
  const limit = new ConcurrencyLimit(3);
  let running = 0;
  let highest = 0;
  const finished: number[] = [];
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      limit.run(async () => {
        running++;
        highest = Math.max(highest, running);
        await new Promise((resolve) => setTimeout(resolve, 1 + (i % 4)));
        running--;
        finished.push(i);
      }),
    ),
  );
  expect(highest).toBe(3);
  expect(finished.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
});

describe("EventLookups", () => {
  test("one lookup per event and key, shared by every subscriber asking", async () => {
    const lookups = new EventLookups(silent);
    let executed = 0;
    const execute = async (): Promise<FormattedExecutionResult> => ({ data: { event: { n: ++executed } } });
    const first = event("p1");
    const results = await Promise.all([
      lookups.lookup(first, "nurse", execute),
      lookups.lookup(first, "nurse", execute),
      lookups.lookup(first, "public", execute),
      lookups.lookup(event("p1"), "nurse", execute),
    ]);
    expect(results.map((result) => (result.data?.event as { n: number }).n).sort()).toEqual([1, 1, 2, 3]);
    expect(executed).toBe(3);
  });

  test("a failing lookup becomes INTERNAL_SERVER_ERROR and is logged, never a rejection", async () => {
    const records: Array<Record<string, unknown>> = [];
    const logger = createLogger({ name: "t", level: "error", destination: { write: (line: string) => records.push(JSON.parse(line)) } });
    const result = await new EventLookups(logger).lookup(event("p1"), "k", () => Promise.reject(new Error("socket hang up")));
    expect(result).toEqual({ errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
    expect(records).toEqual([
      expect.objectContaining({
        msg: "event lookup failed",
        topic: "board:b1",
        type: "postAdded",
        err: expect.objectContaining({ message: "socket hang up" }),
      }),
    ]);
  });
});

describe("subscriptionResult", () => {
  const json = (result: ExecutionResult | null) =>
    result === null ? null : JSON.parse(JSON.stringify({ ...result, errors: result.errors?.map((e) => e.toJSON()) }));

  test("the entity goes under the subscriber's response key; errors keep codes with paths under it", () => {
    const lookup: FormattedExecutionResult = {
      data: { event: { name: "ほっとサロン日の出", staffPhone: null } },
      errors: [
        { message: "Staff phone numbers are for professionals", path: ["event", "staffPhone"], extensions: { code: "FORBIDDEN", serviceName: "resources" } },
      ],
    };
    const result = subscriptionResult(lookup, "event", "changed");
    expect(result?.errors?.[0]).toBeInstanceOf(GraphQLError);
    expect(json(result)).toEqual({
      data: { changed: { name: "ほっとサロン日の出", staffPhone: null } },
      errors: [
        { message: "Staff phone numbers are for professionals", path: ["changed", "staffPhone"], extensions: { code: "FORBIDDEN", serviceName: "resources" } },
      ],
    });
    expect(subscriptionResult({ data: { event: { id: "p1" } } }, "event", "postAdded")).toEqual({ data: { postAdded: { id: "p1" } } });
  });

  test("an entity the subscriber may not see, or that is gone, is skipped; a failure is reported", () => {
    const forbidden = { data: { event: null }, errors: [{ message: "private", path: ["event"], extensions: { code: "FORBIDDEN" } }] };
    expect(subscriptionResult(forbidden, "event", "postAdded")).toBeNull();
    expect(subscriptionResult({ data: { event: null } }, "event", "postAdded")).toBeNull();
    const failed = {
      data: null,
      errors: [{ message: "The groups service is unavailable", extensions: { code: "INTERNAL_SERVER_ERROR", serviceName: "groups" } }],
    };
    expect(json(subscriptionResult(failed, "event", "postAdded"))).toEqual({
      data: null,
      errors: [{ message: "The groups service is unavailable", extensions: { code: "INTERNAL_SERVER_ERROR", serviceName: "groups" } }],
    });
  });
});
