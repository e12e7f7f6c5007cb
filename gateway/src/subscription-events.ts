// Delivering domain events to subscriptions: a bounded, ordered event stream that stops listening when it is returned, event lookups shared by subscribers whose identities the answer cannot tell apart, and a concurrency limit.
import { GraphQLError } from "graphql";
import type { ExecutionResult, FormattedExecutionResult } from "graphql";
import { IDENTITY_CLAIMS, INTERNAL_ERROR_MESSAGE, codedError } from "@tsunagu/service-kit";
import type { DomainEvent, Identity, IdentityClaim, Logger, PubSub } from "@tsunagu/service-kit";

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/** A lookup's result as a subscription result, or null when there is nothing to deliver. */
export type PendingResult = Promise<ExecutionResult | null>;

/**
 * The results of one subscription, in event order. It listens from construction, keeps at most
 * `maxQueued` undelivered events (a subscriber that falls further behind gets one RATE_LIMITED
 * error and the stream ends), and `return()` stops listening at once, even while `next()` waits.
 */
export class EventStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: PendingResult[] = [];
  private readonly stopListening: () => void;
  private wake: (() => void) | undefined;
  /** No more events will be queued (returned, or fallen behind). */
  private ended = false;
  /** The consumer is gone: nothing more is yielded. */
  private returned = false;

  /** `handle` turns an event into a pending result, or undefined when this subscription ignores it. */
  constructor(
    pubsub: PubSub,
    topic: string,
    private readonly handle: (event: DomainEvent) => PendingResult | undefined,
    private readonly maxQueued: number,
  ) {
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
      this.queue.push(Promise.resolve({ errors: [error] }));
    } else {
      this.queue.push(pending);
    }
    this.wake?.();
  }

  private end(): void {
    this.ended = true;
    this.stopListening();
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    for (;;) {
      if (this.returned) return DONE;
      const head = this.queue.shift();
      if (head === undefined) {
        if (this.ended) return DONE;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      const result = await head;
      if (result !== null && !this.returned) return { value: result, done: false };
    }
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.returned = true;
    this.end();
    this.queue.length = 0;
    this.wake?.();
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

/** Lookups indexed by a set of claims and, within it, by an identity's values of them. */
class ByClaims<T> {
  private readonly sets = new Map<string, { claims: readonly IdentityClaim[]; entries: Map<string, T> }>();

  find(identity: Identity): T | undefined {
    for (const { claims, entries } of this.sets.values()) {
      const entry = entries.get(identityProjection(identity, claims));
      if (entry !== undefined) return entry;
    }
    return undefined;
  }

  set(claims: readonly IdentityClaim[], identity: Identity, entry: T): void {
    const name = claims.join(",");
    let set = this.sets.get(name);
    if (set === undefined) {
      set = { claims, entries: new Map() };
      this.sets.set(name, set);
    }
    set.entries.set(identityProjection(identity, claims), entry);
  }

  delete(claims: readonly IdentityClaim[], identity: Identity): void {
    const name = claims.join(",");
    const set = this.sets.get(name);
    set?.entries.delete(identityProjection(identity, claims));
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
  private readonly groups = new WeakMap<DomainEvent, Map<string, LookupGroup>>();

  constructor(
    private readonly logger: Logger,
    private readonly share: boolean,
  ) {}

  /**
   * The outcome for `identity` of looking up the event's entity with the selection `selectionKey` names; `execute`
   * runs the lookup as `identity`. `previousReads`, the claims the subscriber's previous outcome read, is the first
   * guess of what decides this one (so that subscribers whose answers depend on who they are need not wait for
   * each other).
   */
  lookup(
    event: DomainEvent,
    selectionKey: string,
    identity: Identity,
    execute: () => Promise<LookupOutcome>,
    previousReads: readonly IdentityClaim[] = [],
  ): Promise<LookupOutcome> {
    let bySelection = this.groups.get(event);
    if (bySelection === undefined) {
      bySelection = new Map();
      this.groups.set(event, bySelection);
    }
    let group = bySelection.get(selectionKey);
    if (group === undefined) {
      group = new LookupGroup(this.share, this.share ? previousReads : IDENTITY_CLAIMS);
      bySelection.set(selectionKey, group);
    }
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
 * A lookup result (`{ [lookupAlias]: entity }`) as the subscriber's result (`{ [responseKey]: entity }`),
 * errors keeping their codes with paths moved to the subscription field. Null (skip) when the entity
 * is absent and every error says the subscriber may not see it.
 */
export function subscriptionResult(lookup: FormattedExecutionResult, lookupAlias: string, responseKey: string): ExecutionResult | null {
  const errors = lookup.errors?.map(
    (error) =>
      new GraphQLError(error.message, {
        ...(error.path === undefined ? {} : { path: [responseKey, ...error.path.slice(1)] }),
        ...(error.extensions === undefined ? {} : { extensions: error.extensions }),
      }),
  );
  const entity = lookup.data?.[lookupAlias];
  if (entity === null || entity === undefined) {
    if (errors === undefined || errors.every((error) => NOT_VISIBLE_CODES.has(error.extensions.code))) return null;
    return { data: null, errors };
  }
  return { data: { [responseKey]: entity }, ...(errors === undefined ? {} : { errors }) };
}
