// Runs the tasks given for one key one after another in this process: registration changes to one event queue here instead of colliding in the database, where each collision costs a transaction retry.

/**
 * A queue per key. It only spares the database write conflicts between requests of this process: correctness under
 * concurrency (several replicas) comes from the transactions on the event's seat counter, not from this queue.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
