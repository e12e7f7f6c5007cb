// The crew's look-up over a weak connection: one request key per look-up, re-sent unchanged after a dropped connection with backoff, so a retry never discloses twice.
import { CREW_LOOKUP_QUERY } from "../../../subgraphs/emergency/src/crew-query";
import { GraphQLRequestError, requestGraphQL } from "../portal/graphql";

/** What the crew typed or scanned: a card code, or a name with the date of birth; the reason and incident number always. */
export interface CrewLookupInput {
  cardCode?: string;
  name?: string;
  dateOfBirth?: string;
  reason: string;
  incidentNumber: string;
}

/** Who recorded an item and whether a professional confirmed it (ItemSource). */
export interface CrewItemSource {
  kind: "SELF_REPORTED" | "DELEGATE_REPORTED" | "UNRECORDED";
  verification: "UNCONFIRMED" | "CLINICIAN_CONFIRMED";
  confirmedAt: string | null;
  confirmedBy: { name: string | null; profession: string | null } | null;
}

export interface CrewProfile {
  id: string;
  person: { name: string; kana: string; age: number; sex: string };
  bloodType: { abo: string; rh: string; source: CrewItemSource } | null;
  conditions: { name: string; since: string | null; source: CrewItemSource }[];
  medications: { name: string; dosage: string | null; note: string | null; source: CrewItemSource }[];
  allergies: { substance: string; reaction: string | null; severity: string | null; source: CrewItemSource }[];
  implantedDevices: { kind: string; description: string | null; source: CrewItemSource }[];
  careLevel: string | null;
  livingSituation: { livesAlone: boolean; familyCareCapacity: string; note: string | null } | null;
  emergencyContacts: { priority: number; name: string; relation: string; phone: string; reachableHours: string | null }[];
  advanceCare: { resuscitation: string; preferredPlaceOfCare: string; notes: string | null; source: CrewItemSource } | null;
  primaryHospital: { names: { official: string }; contact: { phone: string | null } | null } | null;
  careManager: { name: string; workContact: { phone: string | null } | null } | null;
}

export interface CrewLookupAnswer {
  outcome: "ALLOWED" | "NO_MATCH" | "AMBIGUOUS" | "RATE_LIMITED";
  accessWindowEndsAt: string | null;
  candidates: { name: string; age: number; district: string | null }[];
  profile: CrewProfile | null;
}

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
        const data = await requestGraphQL<{ emergencyLookup: CrewLookupAnswer }>(
          CREW_LOOKUP_QUERY,
          { input: { ...this.input, requestKey: this.requestKey } },
          AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
        );
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
