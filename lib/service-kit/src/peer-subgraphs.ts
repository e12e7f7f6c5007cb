// Asking another subgraph through its own GraphQL API (never its collections), signed as the gateway signs: as the caller, so that the owning subgraph applies its own access rules, or as a named service for existence checks.
import type { Identity } from "./identity";
import { gatewaySignedHeaders } from "./identity";

/** One error of a peer's answer, as relayed: its message and `extensions.code`. */
export interface PeerError {
  message: string;
  code: string | undefined;
}

/** A peer's answer: its data (null when it failed as a whole) and its errors (empty when none). */
export interface PeerAnswer<T> {
  data: T | null;
  errors: PeerError[];
}

/** Other subgraphs of the same deployment, by name. */
export interface PeerSubgraphs {
  /** Whether `subgraph` can be asked here (a subgraph run alone may have no peers). */
  has(subgraph: string): boolean;
  /** POSTs `query` to `subgraph`, signed for `identity`; throws when the peer is unknown, unreachable or answers without JSON. */
  query<T>(subgraph: string, query: string, variables: Readonly<Record<string, unknown>>, identity: Identity): Promise<PeerAnswer<T>>;
}

/** The identity a subgraph asks its peers as when it checks that something exists (a coordinator may read every record). */
export function serviceIdentity(subgraph: string): Identity {
  return { role: "COORDINATOR", authMethod: "jwt", subject: `service:${subgraph}`, displayName: `${subgraph} service`, scopes: [] };
}

/**
 * Peers at `urls` (name → GraphQL URL; read at each call, so that a map filled while the system starts can be
 * passed), each request signed with `signingSecret` (IDENTITY_SECRET).
 */
export function peerSubgraphs(urls: Readonly<Record<string, string>>, signingSecret: string): PeerSubgraphs {
  return {
    has: (subgraph) => urls[subgraph] !== undefined,
    async query<T>(subgraph: string, query: string, variables: Readonly<Record<string, unknown>>, identity: Identity): Promise<PeerAnswer<T>> {
      const url = urls[subgraph];
      if (url === undefined) throw new Error(`the ${subgraph} subgraph is not configured here`);
      const body = JSON.stringify({ query, variables });
      // Bound to this request like the gateway's own calls: the peer's key, method, path, body digest and a one-time nonce.
      const response = await fetch(url, {
        method: "POST",
        headers: gatewaySignedHeaders(identity, signingSecret, subgraph, url, body),
        body,
        signal: AbortSignal.timeout(5000),
      });
      const answer = (await response.json()) as { data?: T | null; errors?: Array<{ message: string; extensions?: { code?: unknown } }> };
      return {
        data: answer.data ?? null,
        errors: (answer.errors ?? []).map((error) => ({
          message: error.message,
          code: typeof error.extensions?.code === "string" ? error.extensions.code : undefined,
        })),
      };
    },
  };
}
