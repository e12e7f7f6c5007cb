// Delivering domain events to one subscription: a bounded, ordered event stream that stops listening when it is returned, event lookups shared by identical subscribers, and a concurrency limit.
import { GraphQLError } from "graphql";
import type { ExecutionResult, FormattedExecutionResult } from "graphql";
import { INTERNAL_ERROR_MESSAGE, codedError } from "@tsunagu/service-kit";
import type { DomainEvent, Logger, PubSub } from "@tsunagu/service-kit";

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

/**
 * Event lookups through the gateway: subscribers with the same identity, selection and id share one
 * lookup per event (the event object is the cache key, so entries go when the event does). A lookup
 * never rejects: a failure becomes a coded error.
 */
export class EventLookups {
  private readonly shared = new WeakMap<DomainEvent, Map<string, Promise<FormattedExecutionResult>>>();

  constructor(private readonly logger: Logger) {}

  lookup(event: DomainEvent, key: string, execute: () => Promise<FormattedExecutionResult>): Promise<FormattedExecutionResult> {
    let byKey = this.shared.get(event);
    if (byKey === undefined) {
      byKey = new Map();
      this.shared.set(event, byKey);
    }
    let result = byKey.get(key);
    if (result === undefined) {
      result = execute().catch((error: unknown) => {
        this.logger.error({ err: error, topic: event.topic, type: event.type }, "event lookup failed");
        return { errors: [{ message: INTERNAL_ERROR_MESSAGE, extensions: { code: "INTERNAL_SERVER_ERROR" } }] };
      });
      byKey.set(key, result);
    }
    return result;
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
