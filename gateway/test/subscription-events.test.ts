// Event delivery mechanics: the event stream's order, skipping, overflow and return; the concurrency limit; lookups shared by authorisation outcome; lookup results as subscription results.
import type { FormattedExecutionResult } from "graphql";
import { IDENTITY_CLAIMS, PUBLIC_IDENTITY, createLogger, createPubSub } from "@tsunagu/service-kit";
import type { DomainEvent, Identity, IdentityClaim, PubSub } from "@tsunagu/service-kit";
import { ConcurrencyLimit, EventLookups, EventStream, identityProjection, subscriptionPayload, subscriptionResult } from "../src/subscription-events";
import type { LookupOutcome, PendingPayload } from "../src/subscription-events";

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
  /** A stream on board:b1 whose deliveries are collected as parsed payloads. */
  function collectingStream(handle: (event: DomainEvent) => PendingPayload | undefined, maxQueued: number) {
    const delivered: unknown[] = [];
    const stream = new EventStream(pubsub, "board:b1", handle, (payload) => delivered.push(JSON.parse(payload)), maxQueued);
    return { stream, delivered };
  }
  const payloadOf = (e: DomainEvent): PendingPayload => Promise.resolve(JSON.stringify({ data: { postAdded: { id: e.payload.postId } } }));

  test("delivers payloads in event order even when later lookups finish first, and skips null payloads and ignored events", async () => {
    const lookups = new Map<string, ReturnType<typeof deferred<string | null>>>();
    const { stream, delivered } = collectingStream((e): PendingPayload | undefined => {
      if (e.type !== "postAdded") return undefined;
      const lookup = deferred<string | null>();
      lookups.set(String(e.payload.postId), lookup);
      return lookup.promise;
    }, 10);
    for (const e of [event("p1"), event("p2", "postUpdated"), event("p3"), event("p4")]) await pubsub.publish(e);
    lookups.get("p4")?.resolve(JSON.stringify({ data: { postAdded: { id: "p4" } } }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual([]);
    lookups.get("p3")?.resolve(null);
    lookups.get("p1")?.resolve(JSON.stringify({ data: { postAdded: { id: "p1" } } }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual([{ data: { postAdded: { id: "p1" } } }, { data: { postAdded: { id: "p4" } } }]);
    expect([...lookups.keys()]).toEqual(["p1", "p3", "p4"]);
    await stream.return();
  });

  test("a lookup that rejects is delivered as INTERNAL_SERVER_ERROR in its place, and later events still arrive", async () => {
    const { stream, delivered } = collectingStream((e) => (e.payload.postId === "p1" ? Promise.reject(new Error("boom")) : payloadOf(e)), 10);
    for (const id of ["p1", "p2"]) await pubsub.publish(event(id));
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual([
      { errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] },
      { data: { postAdded: { id: "p2" } } },
    ]);
    await stream.return();
  });

  test("as an iterator it yields nothing and ends with the stream; return() while next() waits ends it at once, stops listening and delivers nothing more", async () => {
    const pending = deferred<string | null>();
    const { stream, delivered } = collectingStream(() => pending.promise, 10);
    expect(pubsub.listenerCount("board:b1")).toBe(1);
    await pubsub.publish(event("p1"));
    const waiting = stream.next();
    expect(await stream.return()).toEqual({ value: undefined, done: true });
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(pubsub.listenerCount()).toBe(0);
    pending.resolve(JSON.stringify({ data: { postAdded: { id: "p1" } } }));
    await pubsub.publish(event("p2"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual([]);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  test("a subscriber that falls more than maxQueued events behind gets one RATE_LIMITED error, then the end", async () => {
    const never = deferred<string | null>();
    const { stream, delivered } = collectingStream(() => never.promise, 3);
    for (const id of ["p1", "p2", "p3", "p4", "p5"]) await pubsub.publish(event(id));
    expect(pubsub.listenerCount()).toBe(0);
    expect(delivered).toEqual([
      {
        errors: [
          {
            message: "More than 3 events were waiting for this subscriber; subscribe again",
            extensions: { code: "RATE_LIMITED", limit: "queuedEvents" },
          },
        ],
      },
    ]);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    never.resolve(JSON.stringify({ data: {} }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toHaveLength(1);
  });

  test("is its own async iterator", () => {
    const { stream } = collectingStream(() => undefined, 1);
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
  const nurse = (subject: string, memberId?: string): Identity => ({
    role: "PROFESSIONAL",
    authMethod: "jwt",
    subject,
    ...(memberId === undefined ? {} : { memberId }),
    scopes: [],
  });
  const anonymous: Identity = PUBLIC_IDENTITY;

  /** A lookup whose answer reads `reads` of the identity, answering with the subscriber's values of them; counts its runs. */
  function lookupReading(reads: readonly IdentityClaim[]) {
    const runs: Identity[] = [];
    const forIdentity = (identity: Identity) => async (): Promise<LookupOutcome> => {
      runs.push(identity);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { result: { data: { event: Object.fromEntries(reads.map((claim) => [claim, identity[claim] ?? null])) } }, reads };
    };
    return { runs, forIdentity };
  }

  test("subscribers who agree on every claim the answer read share one lookup per event and selection; others get their own", async () => {
    const lookups = new EventLookups(silent, true);
    const { runs, forIdentity } = lookupReading(["role"]);
    const first = event("p1");
    const asking = [nurse("a"), nurse("b", "m1"), anonymous, nurse("c"), anonymous];
    const results = await Promise.all(asking.map((identity) => lookups.lookup(first, "selection", "p1", identity, forIdentity(identity))));
    expect(results.map((result) => result.result.data?.event)).toEqual([
      { role: "PROFESSIONAL" },
      { role: "PROFESSIONAL" },
      { role: "PUBLIC" },
      { role: "PROFESSIONAL" },
      { role: "PUBLIC" },
    ]);
    expect(runs.map((identity) => identity.role)).toEqual(["PROFESSIONAL", "PUBLIC"]);
    // Another selection, or another event, is looked up again.
    await lookups.lookup(first, "other selection", "p1", nurse("a"), forIdentity(nurse("a")));
    await lookups.lookup(event("p1"), "selection", "p1", nurse("a"), forIdentity(nurse("a")));
    // Another entity of the same event and selection too.
    await lookups.lookup(first, "selection", "p2", nurse("a"), forIdentity(nurse("a")));
    expect(runs).toHaveLength(5);
  });

  test("an answer that read the subject is never given to another subject, even of the same role", async () => {
    const lookups = new EventLookups(silent, true);
    const { runs, forIdentity } = lookupReading(["role", "subject"]);
    const first = event("p1");
    const asking = [nurse("a"), nurse("b"), nurse("a"), nurse("c")];
    const results = await Promise.all(asking.map((identity) => lookups.lookup(first, "selection", "p1", identity, forIdentity(identity))));
    expect(results.map((result) => (result.result.data?.event as { subject: string }).subject)).toEqual(["a", "b", "a", "c"]);
    expect(runs.map((identity) => identity.subject)).toEqual(["a", "b", "c"]);
  });

  test("an absent claim the answer read is a value like any other: a member and a non-member do not share", async () => {
    const lookups = new EventLookups(silent, true);
    const { runs, forIdentity } = lookupReading(["memberId"]);
    const first = event("p1");
    const asking = [nurse("a"), nurse("b", "m1"), nurse("c"), nurse("d", "m1")];
    const results = await Promise.all(asking.map((identity) => lookups.lookup(first, "selection", "p1", identity, forIdentity(identity))));
    expect(results.map((result) => result.result.data?.event)).toEqual([{ memberId: null }, { memberId: "m1" }, { memberId: null }, { memberId: "m1" }]);
    expect(runs.map((identity) => identity.subject)).toEqual(["a", "b"]);
  });

  test("the claims a subscriber's previous outcome read are the first guess: people whose answers depend on who they are do not wait for each other", async () => {
    const lookups = new EventLookups(silent, true);
    const { runs, forIdentity } = lookupReading(["role", "subject"]);
    let running = 0;
    let mostAtOnce = 0;
    const counted = (identity: Identity) => async () => {
      mostAtOnce = Math.max(mostAtOnce, ++running);
      try {
        return await forIdentity(identity)();
      } finally {
        running--;
      }
    };
    const asking = [nurse("a"), nurse("b"), nurse("c")];
    const [first, second] = [event("p1"), event("p2")];
    const unhinted = await Promise.all(asking.map((identity) => lookups.lookup(first, "selection", "p1", identity, counted(identity))));
    // The first lookup alone (everyone waits for it), then the two whose subject differs, side by side.
    expect(mostAtOnce).toBe(2);
    mostAtOnce = 0;
    const hinted = await Promise.all(asking.map((identity, i) => lookups.lookup(second, "selection", "p1", identity, counted(identity), unhinted[i]?.reads)));
    expect(mostAtOnce).toBe(3);
    expect(hinted.map(({ result }) => (result.data?.event as { subject: string }).subject)).toEqual(["a", "b", "c"]);
    expect(runs).toHaveLength(6);
  });

  test("without sharing, one lookup per person: only identical identities share", async () => {
    const lookups = new EventLookups(silent, false);
    const { runs, forIdentity } = lookupReading([]);
    const first = event("p1");
    const asking = [nurse("a"), nurse("b"), nurse("a"), anonymous, anonymous];
    await Promise.all(asking.map((identity) => lookups.lookup(first, "selection", "p1", identity, forIdentity(identity))));
    expect(runs.map((identity) => identity.subject ?? identity.role)).toEqual(["a", "b", "PUBLIC"]);
  });

  test("a failing lookup becomes INTERNAL_SERVER_ERROR for its subscriber alone, is logged, and never rejects", async () => {
    const records: Array<Record<string, unknown>> = [];
    const logger = createLogger({ name: "t", level: "error", destination: { write: (line: string) => records.push(JSON.parse(line)) } });
    const lookups = new EventLookups(logger, true);
    const first = event("p1");
    const { runs, forIdentity } = lookupReading([]);
    const [failed, other] = await Promise.all([
      lookups.lookup(first, "k", "p1", nurse("a"), () => Promise.reject(new Error("socket hang up"))),
      lookups.lookup(first, "k", "p1", nurse("b"), forIdentity(nurse("b"))),
    ]);
    expect(failed).toEqual({
      result: { errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] },
      reads: IDENTITY_CLAIMS,
    });
    expect(other).toEqual({ result: { data: { event: {} } }, reads: [] });
    expect(runs.map((identity) => identity.subject)).toEqual(["b"]);
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

describe("identityProjection", () => {
  test("the values of the named claims only, absent ones included, in the order named", () => {
    const identity: Identity = { role: "PROFESSIONAL", authMethod: "jwt", subject: "u1", scopes: ["groups:contacts"] };
    expect(identityProjection(identity, [])).toBe("[]");
    expect(identityProjection(identity, ["role", "memberId", "scopes"])).toBe('["PROFESSIONAL",null,["groups:contacts"]]');
    expect(identityProjection({ ...identity, subject: "u2" }, ["role", "scopes"])).toBe(identityProjection(identity, ["role", "scopes"]));
    expect(identityProjection({ ...identity, subject: "u2" }, ["role", "subject"])).not.toBe(identityProjection(identity, ["role", "subject"]));
  });
});

describe("subscriptionResult", () => {
  test("the entity goes under the subscriber's response key; errors keep codes with paths under it, as graphql-ws sends them", () => {
    const lookup: FormattedExecutionResult = {
      data: { event: { name: "ほっとサロン日の出", staffPhone: null } },
      errors: [
        { message: "Staff phone numbers are for professionals", path: ["event", "staffPhone"], extensions: { code: "FORBIDDEN", serviceName: "resources" } },
      ],
    };
    expect(subscriptionResult(lookup, "event", "changed")).toEqual({
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
    expect(subscriptionResult(failed, "event", "postAdded")).toEqual({
      data: null,
      errors: [{ message: "The groups service is unavailable", extensions: { code: "INTERNAL_SERVER_ERROR", serviceName: "groups" } }],
    });
  });
});

describe("subscriptionPayload", () => {
  test("is the result's JSON, serialised once per lookup result and response key: the subscribers of one outcome share one string", () => {
    const lookup: FormattedExecutionResult = { data: { event: { id: "p1", title: "4月の事例検討会" } } };
    const payload = subscriptionPayload(lookup, "event", "postAdded");
    expect(payload === null ? null : JSON.parse(payload)).toEqual({ data: { postAdded: { id: "p1", title: "4月の事例検討会" } } });
    expect(subscriptionPayload(lookup, "event", "postAdded")).toBe(payload);
    expect(JSON.parse(subscriptionPayload(lookup, "event", "added") ?? "null")).toEqual({ data: { added: { id: "p1", title: "4月の事例検討会" } } });
    // An equal result of another lookup (another outcome) is its own.
    const other: FormattedExecutionResult = { data: { event: { id: "p1", title: "変更後" } } };
    expect(JSON.parse(subscriptionPayload(other, "event", "postAdded") ?? "null")).toEqual({ data: { postAdded: { id: "p1", title: "変更後" } } });
    expect(subscriptionPayload({ data: { event: null } }, "event", "postAdded")).toBeNull();
  });
});
