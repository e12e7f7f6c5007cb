// A pub/sub for tests that records what is published and can run a check before passing each event on.
import type { DomainEvent, PubSub } from "@tsunagu/service-kit";

/**
 * Wraps a pub/sub, recording what is published and running `onPublish` before passing each event on (a test can look
 * at the database from there to see that the write was committed before the event went out).
 */
export class RecordingPubSub implements PubSub {
  readonly events: DomainEvent[] = [];
  onPublish: (event: DomainEvent) => Promise<void> = async () => undefined;

  constructor(private readonly inner: PubSub) {}

  async publish(event: DomainEvent): Promise<void> {
    this.events.push(event);
    await this.onPublish(event);
    await this.inner.publish(event);
  }

  subscribe(topic: string, onEvent: (event: DomainEvent) => void): () => void {
    return this.inner.subscribe(topic, onEvent);
  }

  listenerCount(topic?: string): number {
    return this.inner.listenerCount(topic);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
