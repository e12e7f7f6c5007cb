// The crew's look-up over a weak connection: one request key per look-up, re-sent unchanged after a dropped connection with backoff, so a retry never discloses twice.
import { GraphQLRequestError, mutate } from "../client";
import { CrewLookupDocument } from "../generated/graphql";
import type { ConfirmationFragment, CrewLookupMutation, EmergencyLookupInput } from "../generated/graphql";

/** What the crew typed or scanned: a card code, or a name with the date of birth; the reason and incident number always. */
export type CrewLookupInput = Omit<EmergencyLookupInput, "requestKey">;

/** Who recorded an item and whether a professional confirmed it (ItemSource). */
export type CrewItemSource = ConfirmationFragment;
export type CrewLookupAnswer = CrewLookupMutation["emergencyLookup"];
export type CrewProfile = NonNullable<CrewLookupAnswer["profile"]>;

/** The waits before the second, third, ... attempt after a dropped connection. */
export const RETRY_DELAYS_MS: readonly number[] = [1000, 2000, 4000, 8000, 8000];
/** One attempt gives up after this long (a stalled connection counts as dropped). */
const ATTEMPT_TIMEOUT_MS = 20_000;

/** 32 hex digits from the browser's cryptographic source (crypto.randomUUID needs a secure context; this does not). */
function newRequestKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Called before each retry: which attempt comes next and how long until it is sent. */
export type RetryListener = (nextAttempt: number, waitMs: number) => void;

/** One look-up: its request key is made once, and every send (automatic retries and the crew's own resend) carries it. */
export class CrewLookup {
  readonly requestKey = newRequestKey();
  /** Identifies the input, so the same look-up sent again after a failure keeps its key. */
  readonly fingerprint: string;

  constructor(readonly input: CrewLookupInput) {
    this.fingerprint = JSON.stringify(input);
  }

  /** Sends the look-up, retrying with backoff while the connection fails; other errors (refusals) are thrown at once. */
  async send(onRetry: RetryListener, wait: (ms: number) => Promise<void> = sleep): Promise<CrewLookupAnswer> {
    for (let attempt = 1; ; attempt++) {
      try {
        const data = await mutate(CrewLookupDocument, { input: { ...this.input, requestKey: this.requestKey } }, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS));
        return data.emergencyLookup;
      } catch (error) {
        const delay = RETRY_DELAYS_MS[attempt - 1];
        if (!(error instanceof GraphQLRequestError && error.code === "NETWORK") || delay === undefined) throw error;
        onRetry(attempt + 1, delay);
        await wait(delay);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A card code as typed or scanned (the QR payload is a URL or URN ending in the code) in its printed form XXXXX-XXXXX; the server checks it. */
export function cardCodeOf(scannedOrTyped: string): string {
  const code = (scannedOrTyped.normalize("NFKC").trim().split(/[/:]/).pop() ?? "").toUpperCase().replace(/[\s\-‐-―−ー]/g, "");
  return code.length === 10 ? `${code.slice(0, 5)}-${code.slice(5)}` : code;
}
