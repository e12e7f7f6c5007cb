// Delivering domain events to subscriptions: a bounded, ordered event stream that delivers serialised payloads and stops listening when it is returned, event lookups shared by subscribers whose identities the answer cannot tell apart, payloads serialised once per outcome, and a concurrency limit.
import type { ExecutionResult, FormattedExecutionResult, GraphQLFormattedError } from "graphql";
import { IDENTITY_CLAIMS, INTERNAL_ERROR_MESSAGE, codedError } from "@tsunagu/service-kit";
import type { DomainEvent, Identity, IdentityClaim, Logger, PubSub } from "@tsunagu/service-kit";

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/** A subscription's payload for one event as the JSON text of a graphql-ws `next` payload, or null when there is nothing to deliver. */
export type PendingPayload = Promise<string | null>;

/** One event's place in a subscription's queue, filled when its lookup finishes. */
interface Slot {
  settled: boolean;
  payload: string | null;
}

/** The payload of a failure outside the lookups (they never reject): an INTERNAL_SERVER_ERROR for this subscriber alone. */
const INTERNAL_ERROR_PAYLOAD = JSON.stringify({ errors: [{ message: INTERNAL_ERROR_MESSAGE, extensions: { code: "INTERNAL_SERVER_ERROR" } }] });

/**
 * The events of one subscription, delivered in event order as serialised payloads: `deliver` is called synchronously
 * as soon as an event's payload and every earlier one's are ready, so that subscribers sharing an outcome share its
 * text and no per-subscriber iterator runs per event. It listens from construction, keeps at most `maxQueued`
 * undelivered events (a subscriber that falls further behind gets one RATE_LIMITED error and the stream ends).
 * As an async iterator (what graphql-ws's `subscribe` wants) it yields nothing and ends when the stream does, so that
 * graphql-ws then completes the subscription; `return()` stops listening at once, and nothing is delivered after it.
 */
export class EventStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: Slot[] = [];
  private readonly stopListening: () => void;
  private readonly finished: Promise<IteratorReturnResult<undefined>>;
  private finish: () => void = () => undefined;
  /** No more events will be queued (returned, or fallen behind). */
  private ended = false;
  /** The consumer is gone: nothing more is delivered. */
  private returned = false;

  /** `handle` turns an event into a pending payload, or undefined when this subscription ignores it; `deliver` sends a payload's text. */
  constructor(
    pubsub: PubSub,
    topic: string,
    private readonly handle: (event: DomainEvent) => PendingPayload | undefined,
    private readonly deliver: (payload: string) => void,
    private readonly maxQueued: number,
  ) {
    this.finished = new Promise((resolve) => {
      this.finish = () => resolve(DONE);
    });
    this.stopListening = pubsub.subscribe(topic, (event) => this.receive(event));
  }

  private receive(event: DomainEvent): void {
    if (this.ended) return;
    const pending = this.handle(event);
    if (pending === undefined) return;
    if (this.queue.length >= this.maxQueued) {
      this.end();
      this.queue.length = 0;
      const error = codedError("RATE_LIMITED", `More than ${this.maxQueued} events were waiting for this subscriber; subscribe again`, {
        limit: "queuedEvents",
      });
      this.deliver(JSON.stringify({ errors: [error] }));
      this.finish();
      return;
    }
    const slot: Slot = { settled: false, payload: null };
    this.queue.push(slot);
    const settle = (payload: string | null) => {
      slot.settled = true;
      slot.payload = payload;
      this.flush();
    };
    pending.then(settle, () => settle(INTERNAL_ERROR_PAYLOAD));
  }

  /** Delivers the settled payloads at the head of the queue, in order. */
  private flush(): void {
    while (this.queue[0]?.settled === true && !this.returned) {
      const { payload } = this.queue.shift() as Slot;
      if (payload !== null) this.deliver(payload);
    }
  }

  private end(): void {
    this.ended = true;
    this.stopListening();
  }

  /** Resolves when the stream ends: its events go out through `deliver`, not through the iterator. */
  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.finished;
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.returned = true;
    this.end();
    this.queue.length = 0;
    this.finish();
    return DONE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** Runs at most `limit` tasks at once, the rest in arrival order. */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.running--;
      else next();
    }
  }
}

/** A finished event lookup: its result, and the claims of its subscriber's identity the answer read. */
export interface LookupOutcome {
  result: FormattedExecutionResult;
  reads: readonly IdentityClaim[];
}

/** `identity`'s values of `claims` as one string: two identities equal on it get the same answer from a lookup that read only those claims. */
export function identityProjection(identity: Identity, claims: readonly IdentityClaim[]): string {
  return JSON.stringify(claims.map((claim) => identity[claim] ?? null));
}

/** The entry of `map` under `key`, made by `make` and stored the first time. */
function entryOf<K, V>(map: { get(key: K): V | undefined; set(key: K, value: V): unknown }, key: K, make: () => NoInfer<V>): V {
  let entry = map.get(key);
  if (entry === undefined) {
    entry = make();
    map.set(key, entry);
  }
  return entry;
}

/** identityProjection, computed once per identity object (a connection's, for as long as it lives) and set of claims. */
const projections = new WeakMap<Identity, Map<string, string>>();

function cachedProjection(identity: Identity, claims: readonly IdentityClaim[], name: string): string {
  const byClaims = entryOf(projections, identity, () => new Map());
  const projection = entryOf(byClaims, name, () => identityProjection(identity, claims));
  return projection;
}

/** Lookups indexed by a set of claims and, within it, by an identity's values of them. */
class ByClaims<T> {
  private readonly sets = new Map<string, { claims: readonly IdentityClaim[]; entries: Map<string, T> }>();

  find(identity: Identity): T | undefined {
    for (const [name, { claims, entries }] of this.sets) {
      const entry = entries.get(cachedProjection(identity, claims, name));
      if (entry !== undefined) return entry;
    }
    return undefined;
  }

  set(claims: readonly IdentityClaim[], identity: Identity, entry: T): void {
    const name = claims.join(",");
    const set = entryOf(this.sets, name, () => ({ claims, entries: new Map() }));
    set.entries.set(cachedProjection(identity, claims, name), entry);
  }

  delete(claims: readonly IdentityClaim[], identity: Identity): void {
    const name = claims.join(",");
    const set = this.sets.get(name);
    set?.entries.delete(cachedProjection(identity, claims, name));
    if (set?.entries.size === 0) this.sets.delete(name);
  }
}

/**
 * The lookups of one event's entity with one selection. A subscriber takes the result of a finished lookup whose
 * subscriber had the same values of every claim that lookup's answer read (the subgraphs decided with nothing else,
 * so they would answer this subscriber alike); else waits for a running lookup that probably will do (its subscriber
 * agrees on the claims guessed to matter), then looks again; else runs its own. The guess affects only who waits.
 */
class LookupGroup {
  private readonly finished = new ByClaims<LookupOutcome>();
  /** Running lookups, by the claims guessed to matter when each started; each promise settles once its result is recorded. */
  private readonly running = new ByClaims<Promise<void>>();

  /**
   * @param guess The claims guessed to decide the answer until one is known: what the first subscriber's previous event
   * read, else none (everyone waits for the first lookup). Without sharing, every claim.
   */
  constructor(
    private readonly share: boolean,
    private guess: readonly IdentityClaim[],
  ) {}

  async outcomeFor(identity: Identity, execute: () => Promise<LookupOutcome>): Promise<LookupOutcome> {
    for (;;) {
      const outcome = this.finished.find(identity);
      if (outcome !== undefined) return outcome;
      const running = this.running.find(identity);
      if (running === undefined) return this.run(identity, execute);
      await running;
    }
  }

  private async run(identity: Identity, execute: () => Promise<LookupOutcome>): Promise<LookupOutcome> {
    const guess = this.guess;
    let recorded = (): void => undefined;
    this.running.set(
      guess,
      identity,
      new Promise<void>((resolve) => {
        recorded = resolve;
      }),
    );
    try {
      const { result, reads } = await execute();
      // Without sharing, an answer counts as depending on the whole identity: one lookup per person, as before.
      const outcome = { result, reads: this.share ? reads : IDENTITY_CLAIMS };
      this.guess = outcome.reads;
      this.finished.set(outcome.reads, identity, outcome);
      return outcome;
    } finally {
      this.running.delete(guess, identity);
      recorded();
    }
  }
}

/**
 * Event lookups through the gateway, resolved once per distinct authorisation outcome: subscribers with the same
 * selection of the same entity share a lookup when they agree on every identity claim its answer read (see
 * LookupGroup); with `share` false, only subscribers with the same identity do. Entries are kept by the event
 * object, so they go when the event does. A lookup never rejects: a failure becomes a coded error, for its own
 * subscriber alone.
 */
export class EventLookups {
  /** By event, then selection, then entity id. */
  private readonly groups = new WeakMap<DomainEvent, Map<string, Map<string, LookupGroup>>>();

  constructor(
    private readonly logger: Logger,
    private readonly share: boolean,
  ) {}

  /**
   * The outcome for `identity` of looking up the event's entity `entityId` with the selection `selectionKey` names
   * (the same string for the subscription's every event, so that it is hashed once); `execute` runs the lookup as `identity`. `previousReads`, the claims the subscriber's previous outcome read, is the first
   * guess of what decides this one (so that subscribers whose answers depend on who they are need not wait for
   * each other).
   */
  lookup(
    event: DomainEvent,
    selectionKey: string,
    entityId: string,
    identity: Identity,
    execute: () => Promise<LookupOutcome>,
    previousReads: readonly IdentityClaim[] = [],
  ): Promise<LookupOutcome> {
    const bySelection = entryOf(this.groups, event, () => new Map());
    const byEntity = entryOf(bySelection, selectionKey, () => new Map());
    const group = entryOf(byEntity, entityId, () => new LookupGroup(this.share, this.share ? previousReads : IDENTITY_CLAIMS));
    return group.outcomeFor(identity, () =>
      execute().catch((error: unknown): LookupOutcome => {
        this.logger.error({ err: error, topic: event.topic, type: event.type }, "event lookup failed");
        return { result: { errors: [{ message: INTERNAL_ERROR_MESSAGE, extensions: { code: "INTERNAL_SERVER_ERROR" } }] }, reads: IDENTITY_CLAIMS };
      }),
    );
  }
}

/** Codes meaning "not for this subscriber": such an event is skipped rather than reported. */
const NOT_VISIBLE_CODES: ReadonlySet<unknown> = new Set(["FORBIDDEN", "NOT_FOUND", "UNAUTHENTICATED"]);

/**
 * A lookup result (`{ [lookupAlias]: entity }`) as the subscriber's result (`{ [responseKey]: entity }`), formatted as
 * graphql-ws sends it (errors as GraphQLError.toJSON gives them), errors keeping their codes with paths moved to the
 * subscription field. Null (skip) when the entity is absent and every error says the subscriber may not see it.
 */
export function subscriptionResult(lookup: FormattedExecutionResult, lookupAlias: string, responseKey: string): FormattedExecutionResult | null {
  const errors = lookup.errors?.map((error): GraphQLFormattedError => ({
    message: error.message,
    ...(error.path === undefined ? {} : { path: [responseKey, ...error.path.slice(1)] }),
    ...(error.extensions === undefined || Object.keys(error.extensions).length === 0 ? {} : { extensions: error.extensions }),
  }));
  const entity = lookup.data?.[lookupAlias];
  if (entity === null || entity === undefined) {
    if (errors === undefined || errors.every((error) => NOT_VISIBLE_CODES.has(error.extensions?.code))) return null;
    return { data: null, errors };
  }
  return { data: { [responseKey]: entity }, ...(errors === undefined ? {} : { errors }) };
}

/** Serialised payloads by lookup result (shared by the subscribers of one outcome) and response key. */
const payloads = new WeakMap<FormattedExecutionResult, Map<string, string | null>>();

/** subscriptionResult as JSON text, serialised once per lookup result and response key however many subscribers receive it. */
export function subscriptionPayload(lookup: FormattedExecutionResult, lookupAlias: string, responseKey: string): string | null {
  const byResponseKey = entryOf(payloads, lookup, () => new Map());
  let payload = byResponseKey.get(responseKey);
  if (payload === undefined) {
    const result = subscriptionResult(lookup, lookupAlias, responseKey);
    payload = result === null ? null : JSON.stringify(result);
    byResponseKey.set(responseKey, payload);
  }
  return payload;
}
