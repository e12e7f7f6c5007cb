// Waiting in tests for something that happens asynchronously, with a deadline generous enough for a busy machine.
import { setTimeout as sleep } from "node:timers/promises";

/** How long waitFor waits by default: a condition that holds at all holds well within it, even on two shared cores. */
export const DEFAULT_WAIT_MS = 10_000;

/** Polls `condition` every few milliseconds until it holds, failing after `ms`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, ms = DEFAULT_WAIT_MS): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(5);
  }
}
