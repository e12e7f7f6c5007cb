// The signed identity header: round trip, per-subgraph keys, binding to the request, one-time nonces, and every way a header is refused; request ids.
import { createHmac } from "node:crypto";
import { PUBLIC_IDENTITY, bodyDigest, hasScope, requestIdFrom, signSubgraphRequest, verifySubgraphRequest } from "../src/identity";
import { subgraphSigningKey } from "../src/subgraph-keys";
import type { Identity, SignedRequestTarget } from "../src/identity";
import { memoryNonceStore } from "../src/nonces";
import type { NonceStore } from "../src/nonces";

const SECRET = "identity-test-secret-0123456789abcdef";
const NOW = Date.UTC(2025, 3, 1, 9, 0, 0);
const nurse: Identity = {
  role: "PROFESSIONAL",
  authMethod: "jwt",
  subject: "user-7",
  displayName: "佐藤 美咲",
  profession: "看護師",
  organizationId: "65f0c0ffee0000000000abcd",
  scopes: [],
};

const key = subgraphSigningKey(SECRET, "resources");
const BODY = JSON.stringify({ query: "{ resources { totalCount } }" });
const target: SignedRequestTarget = { subgraph: "resources", method: "POST", path: "/graphql", bodyDigest: bodyDigest(BODY) };

function tamper(header: string, change: (payload: Record<string, unknown>) => void): string {
  const [encoded, signature] = header.split(".") as [string, string];
  const payload = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")) as Record<string, unknown>;
  change(payload);
  return `${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${signature}`;
}

/** Verifies as the resources subgraph would at `nowMs`, with a nonce store of its own unless given. */
function verify(
  header: string | undefined,
  options: { nowMs?: number; maxAgeSeconds?: number; nonces?: NonceStore; as?: Partial<SignedRequestTarget>; key?: Buffer } = {},
) {
  return verifySubgraphRequest(header, {
    key: options.key ?? key,
    target: { ...target, ...options.as },
    nonces: options.nonces ?? memoryNonceStore(() => options.nowMs ?? NOW),
    nowMs: options.nowMs ?? NOW,
    ...(options.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.maxAgeSeconds }),
  });
}

describe("signed identity header", () => {
  test("a header signed now verifies to the same identity, Japanese text included", async () => {
    const header = signSubgraphRequest(nurse, key, target, NOW);
    expect(await verify(header, { nowMs: NOW + 1000 })).toEqual({ ok: true, identity: nurse });
  });

  test("the public identity round-trips", async () => {
    expect(await verify(signSubgraphRequest(PUBLIC_IDENTITY, key, target, NOW))).toEqual({ ok: true, identity: PUBLIC_IDENTITY });
  });

  test.each([
    ["missing", undefined],
    ["missing", ""],
    ["malformed", "no-dot-here"],
    ["malformed", "a.b.c"],
    ["malformed", ".sig"],
  ])("refuses a %s header (%p)", async (reason, header) => {
    expect(await verify(header)).toEqual({ ok: false, reason });
  });

  test("each subgraph has its own key: derived from the secret and the name, never the secret itself", () => {
    const keys = ["resources", "groups", "events", "emergency", "transitions"].map((name) => subgraphSigningKey(SECRET, name).toString("hex"));
    expect(new Set(keys).size).toBe(5);
    expect(keys.every((hex) => hex.length === 64 && !hex.includes(Buffer.from(SECRET).toString("hex")))).toBe(true);
    expect(subgraphSigningKey(SECRET, "resources").equals(key)).toBe(true);
  });

  test("refuses a header signed with another secret, or with another subgraph's key", async () => {
    expect(await verify(signSubgraphRequest(nurse, subgraphSigningKey("another-secret-0123456789abcdefghijk", "resources"), target, NOW))).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    const forGroups = signSubgraphRequest(nurse, subgraphSigningKey(SECRET, "groups"), { ...target, subgraph: "groups" }, NOW);
    expect(await verify(forGroups)).toEqual({ ok: false, reason: "bad-signature" });
  });

  test("a header made for one subgraph is refused by another even when it holds that key (audience)", async () => {
    const header = signSubgraphRequest(nurse, key, { ...target, subgraph: "groups" }, NOW);
    expect(await verify(header)).toEqual({ ok: false, reason: "wrong-subgraph" });
  });

  test("the signature binds method, path and body", async () => {
    const header = signSubgraphRequest(nurse, key, target, NOW);
    expect(await verify(header, { as: { bodyDigest: bodyDigest(`${BODY} `) } })).toEqual({ ok: false, reason: "wrong-request" });
    expect(await verify(header, { as: { path: "/graphql?debug=1" } })).toEqual({ ok: false, reason: "wrong-request" });
    expect(await verify(header, { as: { method: "GET" } })).toEqual({ ok: false, reason: "wrong-request" });
  });

  test("a nonce is accepted once within the window; a replay is refused", async () => {
    const nonces = memoryNonceStore(() => NOW);
    const header = signSubgraphRequest(nurse, key, target, NOW);
    expect((await verify(header, { nonces })).ok).toBe(true);
    expect(await verify(header, { nonces })).toEqual({ ok: false, reason: "replayed" });
    expect(await verify(header, { nonces, nowMs: NOW + 30_000 })).toEqual({ ok: false, reason: "replayed" });
    expect((await verify(signSubgraphRequest(nurse, key, target, NOW), { nonces })).ok).toBe(true);
  });

  test("refuses a payload changed after signing (role raised to ADMIN)", async () => {
    const header = tamper(signSubgraphRequest(nurse, key, target, NOW), (payload) => {
      (payload.identity as Record<string, unknown>).role = "ADMIN";
    });
    expect(await verify(header)).toEqual({ ok: false, reason: "bad-signature" });
  });

  test("refuses a truncated signature", async () => {
    expect(await verify(signSubgraphRequest(nurse, key, target, NOW).slice(0, -4))).toEqual({ ok: false, reason: "bad-signature" });
  });

  test("refuses a header older than the maximum age, and accepts it just within", async () => {
    expect((await verify(signSubgraphRequest(nurse, key, target, NOW), { nowMs: NOW + 60_000 })).ok).toBe(true);
    expect(await verify(signSubgraphRequest(nurse, key, target, NOW), { nowMs: NOW + 61_000 })).toEqual({ ok: false, reason: "stale" });
    expect(await verify(signSubgraphRequest(nurse, key, target, NOW), { maxAgeSeconds: 10, nowMs: NOW + 11_000 })).toEqual({ ok: false, reason: "stale" });
  });

  test("refuses a header dated in the future beyond the clock skew", async () => {
    expect(await verify(signSubgraphRequest(nurse, key, target, NOW + 30_000))).toEqual({ ok: false, reason: "from-the-future" });
    expect((await verify(signSubgraphRequest(nurse, key, target, NOW + 3000))).ok).toBe(true);
  });

  test("refuses a correctly signed payload that is not an identity", async () => {
    const encoded = Buffer.from(
      JSON.stringify({
        v: 2,
        aud: "resources",
        iat: NOW,
        nonce: "n".repeat(22),
        m: "POST",
        p: "/graphql",
        b: target.bodyDigest,
        identity: { role: "ROOT", scopes: [] },
      }),
    ).toString("base64url");
    const header = `${encoded}.${createHmac("sha256", key).update(encoded).digest("base64url")}`;
    expect(await verify(header)).toEqual({ ok: false, reason: "malformed" });
  });
});

describe("helpers", () => {
  test("hasScope", () => {
    const vendor: Identity = { role: "VENDOR", authMethod: "apiKey", subject: "k1", scopes: ["resources:read"] };
    expect(hasScope(vendor, "resources:read")).toBe(true);
    expect(hasScope(vendor, "resources:write")).toBe(false);
  });

  test("requestIdFrom keeps a sane id and replaces anything else", () => {
    expect(requestIdFrom("portal-42.a:b_c")).toBe("portal-42.a:b_c");
    expect(requestIdFrom(undefined)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(requestIdFrom("has space")).not.toBe("has space");
    expect(requestIdFrom("x".repeat(129))).toHaveLength(36);
    expect(requestIdFrom('"><script>')).toHaveLength(36);
  });
});
