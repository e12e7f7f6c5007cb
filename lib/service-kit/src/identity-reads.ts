// Which claims of the caller's identity an answer depended on: a subgraph records every read of the identity its resolvers make and reports them in a response header, so that the gateway can tell when another person would get the very same answer.
import { identitySchema } from "./identity";
import type { Identity } from "./identity";

/** A claim of the identity (`role`, `subject`, `memberId`, `scopes`, ...). */
export type IdentityClaim = keyof Identity;

/** Every claim an identity can carry, in the schema's order. */
export const IDENTITY_CLAIMS: readonly IdentityClaim[] = Object.freeze(Object.keys(identitySchema.shape) as IdentityClaim[]);

/** The response header in which a subgraph names the claims its answer read: a comma-separated list, `-` for none, `*` for all. */
export const IDENTITY_READS_HEADER = "x-tsunagu-identity-reads";

const NONE = "-";
const ALL = "*";
const KNOWN_CLAIMS: ReadonlySet<string> = new Set(IDENTITY_CLAIMS);

/**
 * A set of claims read, listed in IDENTITY_CLAIMS order: what one subgraph answer read (see trackIdentityReads), or
 * at the gateway the union over an operation's subgraph answers, every claim once an answer is unaccounted for.
 */
export class IdentityReadLog {
  private readonly claims = new Set<IdentityClaim>();

  record(claims: Iterable<IdentityClaim>): void {
    for (const claim of claims) this.claims.add(claim);
  }

  recordAll(): void {
    this.record(IDENTITY_CLAIMS);
  }

  /** The claims read so far, in IDENTITY_CLAIMS order. */
  reads(): IdentityClaim[] {
    return IDENTITY_CLAIMS.filter((claim) => this.claims.has(claim));
  }
}

/** An identity that records which of its claims are read, and the record. */
export interface TrackedIdentity {
  /** Behaves as the identity it wraps; reading a claim (or asking whether it is there) records it, listing or copying the claims records all. */
  identity: Identity;
  /** The claims read so far, in IDENTITY_CLAIMS order. */
  reads(): IdentityClaim[];
}

/**
 * Wraps `identity` so that every read of it is recorded. Anything that is not a read of a named claim (listing the
 * keys, as a spread, JSON.stringify or a copy do; a symbol; a claim name the schema does not have) counts as reading
 * every claim: when in doubt, the answer depended on the whole identity.
 */
export function trackIdentityReads(identity: Identity): TrackedIdentity {
  const log = new IdentityReadLog();
  const readAll = () => log.recordAll();
  const record = (key: string | symbol) => {
    if (typeof key === "string" && KNOWN_CLAIMS.has(key)) log.record([key as IdentityClaim]);
    else readAll();
  };
  const tracked = new Proxy(identity, {
    get(target, key, receiver) {
      record(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
    has(target, key) {
      record(key);
      return Reflect.has(target, key);
    },
    getOwnPropertyDescriptor(target, key) {
      record(key);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    ownKeys(target) {
      readAll();
      return Reflect.ownKeys(target);
    },
    set() {
      throw new TypeError("The caller's identity is read-only");
    },
    defineProperty() {
      throw new TypeError("The caller's identity is read-only");
    },
    deleteProperty() {
      throw new TypeError("The caller's identity is read-only");
    },
  });
  return { identity: tracked, reads: () => log.reads() };
}

/** The IDENTITY_READS_HEADER value for `claims`. */
export function formatIdentityReads(claims: readonly IdentityClaim[]): string {
  if (claims.length === 0) return NONE;
  if (IDENTITY_CLAIMS.every((claim) => claims.includes(claim))) return ALL;
  return claims.join(",");
}

/** The claims an IDENTITY_READS_HEADER value names; every claim when the header is absent or not understood. */
export function parseIdentityReads(header: string | null | undefined): IdentityClaim[] {
  if (header === NONE) return [];
  if (header === null || header === undefined || header === ALL) return [...IDENTITY_CLAIMS];
  const named = header.split(",");
  if (!named.every((claim) => KNOWN_CLAIMS.has(claim))) return [...IDENTITY_CLAIMS];
  return IDENTITY_CLAIMS.filter((claim) => named.includes(claim));
}
