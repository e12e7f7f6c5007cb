// Asking another subgraph through its own GraphQL API (never its collections), signed with the key of that pair of subgraphs (or, for `npm start`'s seed, as the gateway): as the caller, so that the owning subgraph applies its own access rules, or as a named service for existence checks.
import type { Identity } from "./identity";
import { IDENTITY_HEADER, bodyDigest, gatewaySignedHeaders, signSubgraphRequest } from "./identity";
import type { SubgraphKeys } from "./subgraph-keys";

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

/** Who signs the questions: whether it may ask `subgraph` at all, and the headers for POSTing `body` to it at `url`. */
interface QuestionSigner {
  mayAsk(subgraph: string): boolean;
  headers(identity: Identity, subgraph: string, url: string, body: string): Record<string, string>;
}

/** A subgraph asking with its own keys: only the peers PEER_QUESTIONS lets it ask, each request marked as from it. */
export function signedAsPeer(keys: SubgraphKeys): QuestionSigner {
  return {
    mayAsk: (subgraph) => Object.hasOwn(keys.asks, subgraph),
    headers(identity, subgraph, url, body) {
      const key = keys.asks[subgraph];
      if (key === undefined) throw new Error(`the ${keys.subgraph} subgraph may not ask ${subgraph}`);
      const { pathname, search } = new URL(url);
      const target = { subgraph, method: "POST", path: `${pathname}${search}`, bodyDigest: bodyDigest(body) };
      return { "content-type": "application/json", [IDENTITY_HEADER]: signSubgraphRequest(identity, key, target, Date.now(), keys.subgraph) };
    },
  };
}

/** The holder of IDENTITY_SECRET (the process that runs the gateway, e.g. `npm start` seeding its demo data) asking as the gateway. */
export function signedAsGateway(identitySecret: string): QuestionSigner {
  return { mayAsk: () => true, headers: (identity, subgraph, url, body) => gatewaySignedHeaders(identity, identitySecret, subgraph, url, body) };
}

/**
 * Peers at `urls` (name → GraphQL URL; read at each call, so that a map filled while the system starts can be
 * passed), each request signed by `signer`.
 */
export function peerSubgraphs(urls: Readonly<Record<string, string>>, signer: QuestionSigner): PeerSubgraphs {
  return {
    has: (subgraph) => urls[subgraph] !== undefined && signer.mayAsk(subgraph),
    async query<T>(subgraph: string, query: string, variables: Readonly<Record<string, unknown>>, identity: Identity): Promise<PeerAnswer<T>> {
      const url = urls[subgraph];
      if (url === undefined) throw new Error(`the ${subgraph} subgraph is not configured here`);
      const body = JSON.stringify({ query, variables });
      // Bound to this request like the gateway's own calls: the pair's key, method, path, body digest and a one-time nonce.
      const response = await fetch(url, {
        method: "POST",
        headers: signer.headers(identity, subgraph, url, body),
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
