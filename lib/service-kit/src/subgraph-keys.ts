// The keys one subgraph holds instead of IDENTITY_SECRET: its own key for the gateway's requests, one key per peer it may ask or be asked by, and a key for its own secrets; derived once by whoever holds the secret.
import { hkdfSync } from "node:crypto";
import { z } from "zod";

/**
 * Which subgraph may ask which (through the peer's GraphQL API, queries only): emergency checks that a grantee
 * exists, groups that an affiliation's resource exists, transitions resolves a notice's patient and parties.
 * A pair not listed has no key, so a subgraph can never sign a request to a peer it has no business asking.
 */
export const PEER_QUESTIONS: Readonly<Record<string, readonly string[]>> = {
  emergency: ["groups", "resources"],
  groups: ["resources"],
  transitions: ["emergency", "groups", "resources"],
};

/** The keys of one subgraph; it never holds IDENTITY_SECRET, so it cannot sign for the gateway or for another subgraph. */
export interface SubgraphKeys {
  subgraph: string;
  /** Verifies what the gateway signs for this subgraph. */
  gateway: Buffer;
  /** Signs this subgraph's questions, by the peer asked. */
  asks: Readonly<Record<string, Buffer>>;
  /** Verifies the questions of each peer that may ask this subgraph, by that peer. */
  askedBy: Readonly<Record<string, Buffer>>;
  /** This subgraph's own secret for what it signs for itself (e.g. the events service's access codes). */
  local: Buffer;
}

function derive(identitySecret: string, info: string): Buffer {
  if (identitySecret.length === 0) throw new Error("subgraph keys: empty secret");
  return Buffer.from(hkdfSync("sha256", identitySecret, "tsunagu-identity-v2", info, 32));
}

/**
 * The key the gateway signs requests to `subgraph` with: HKDF-SHA256 of IDENTITY_SECRET with the subgraph's
 * name, so a subgraph holding only its own key can neither sign for another subgraph nor recover the secret.
 */
export function subgraphSigningKey(identitySecret: string, subgraph: string): Buffer {
  return derive(identitySecret, `subgraph:${subgraph}`);
}

/** The key of questions from `asker` to `peer`, held by both and by nobody else. */
function peerKey(identitySecret: string, asker: string, peer: string): Buffer {
  return derive(identitySecret, `peer:${asker}>${peer}`);
}

/** Every key `subgraph` needs, derived from IDENTITY_SECRET (by the gateway's host, `npm start` or `npm run subgraph-keys`). */
export function deriveSubgraphKeys(identitySecret: string, subgraph: string): SubgraphKeys {
  const askers = Object.keys(PEER_QUESTIONS).filter((asker) => PEER_QUESTIONS[asker]?.includes(subgraph));
  return {
    subgraph,
    gateway: subgraphSigningKey(identitySecret, subgraph),
    asks: Object.fromEntries((PEER_QUESTIONS[subgraph] ?? []).map((peer) => [peer, peerKey(identitySecret, subgraph, peer)])),
    askedBy: Object.fromEntries(askers.map((asker) => [asker, peerKey(identitySecret, asker, subgraph)])),
    local: derive(identitySecret, `local:${subgraph}`),
  };
}

const base64urlKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, { error: "expected a 32-byte key in base64url" });
const encodedKeysSchema = z.object({
  subgraph: z.string().min(1).max(100),
  gateway: base64urlKey,
  asks: z.record(z.string(), base64urlKey),
  askedBy: z.record(z.string(), base64urlKey),
  local: base64urlKey,
});

const toText = (keys: Readonly<Record<string, Buffer>>): Record<string, string> =>
  Object.fromEntries(Object.entries(keys).map(([name, key]) => [name, key.toString("base64url")]));
const toKeys = (texts: Readonly<Record<string, string>>): Record<string, Buffer> =>
  Object.fromEntries(Object.entries(texts).map(([name, text]) => [name, Buffer.from(text, "base64url")]));

/** `keys` as one environment value (SUBGRAPH_KEYS): base64url of their JSON. */
export function encodeSubgraphKeys(keys: SubgraphKeys): string {
  const json = {
    subgraph: keys.subgraph,
    gateway: keys.gateway.toString("base64url"),
    asks: toText(keys.asks),
    askedBy: toText(keys.askedBy),
    local: keys.local.toString("base64url"),
  };
  return Buffer.from(JSON.stringify(json), "utf8").toString("base64url");
}

/**
 * The keys in a SUBGRAPH_KEYS value.
 * @throws Error saying what is wrong (never echoing the value) when it is not keys of `subgraph`.
 */
export function decodeSubgraphKeys(text: string, subgraph: string): SubgraphKeys {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw new Error("not the output of `npm run subgraph-keys`");
  }
  const parsed = encodedKeysSchema.safeParse(json);
  if (!parsed.success) throw new Error("not the output of `npm run subgraph-keys`");
  if (parsed.data.subgraph !== subgraph) throw new Error(`keys of the ${parsed.data.subgraph} subgraph, not of ${subgraph}`);
  const { gateway, asks, askedBy, local } = parsed.data;
  return { subgraph, gateway: Buffer.from(gateway, "base64url"), asks: toKeys(asks), askedBy: toKeys(askedBy), local: Buffer.from(local, "base64url") };
}
