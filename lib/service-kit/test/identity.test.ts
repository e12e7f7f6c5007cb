// The signed identity header: round trip, and every way a header is refused; request ids.
import { createHmac } from "node:crypto";
import {
  PUBLIC_IDENTITY,
  DEVELOPMENT_IDENTITY_SECRET,
  hasScope,
  requestIdFrom,
  secretOrDevelopmentDefault,
  signIdentity,
  verifyIdentity,
} from "../src/identity";
import type { Identity } from "../src/identity";
import { ConfigError } from "../src/config";

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

function tamper(header: string, change: (payload: Record<string, unknown>) => void): string {
  const [encoded, signature] = header.split(".") as [string, string];
  const payload = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")) as Record<string, unknown>;
  change(payload);
  return `${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${signature}`;
}

describe("signed identity header", () => {
  test("a header signed now verifies to the same identity, Japanese text included", () => {
    const header = signIdentity(nurse, SECRET, NOW);
    expect(verifyIdentity(header, { secret: SECRET, nowMs: NOW + 1000 })).toEqual({ ok: true, identity: nurse });
  });

  test("the public identity round-trips", () => {
    const header = signIdentity(PUBLIC_IDENTITY, SECRET, NOW);
    expect(verifyIdentity(header, { secret: SECRET, nowMs: NOW })).toEqual({ ok: true, identity: PUBLIC_IDENTITY });
  });

  test.each([
    ["missing", undefined],
    ["missing", ""],
    ["malformed", "no-dot-here"],
    ["malformed", "a.b.c"],
    ["malformed", ".sig"],
  ])("refuses a %s header (%p)", (reason, header) => {
    expect(verifyIdentity(header, { secret: SECRET, nowMs: NOW })).toEqual({ ok: false, reason });
  });

  test("refuses a header signed with another secret", () => {
    const header = signIdentity(nurse, "another-secret-0123456789abcdefghijk", NOW);
    expect(verifyIdentity(header, { secret: SECRET, nowMs: NOW })).toEqual({ ok: false, reason: "bad-signature" });
  });

  test("refuses a payload changed after signing (role raised to ADMIN)", () => {
    const header = tamper(signIdentity(nurse, SECRET, NOW), (payload) => {
      (payload.identity as Record<string, unknown>).role = "ADMIN";
    });
    expect(verifyIdentity(header, { secret: SECRET, nowMs: NOW })).toEqual({ ok: false, reason: "bad-signature" });
  });

  test("refuses a truncated signature", () => {
    const header = signIdentity(nurse, SECRET, NOW).slice(0, -4);
    expect(verifyIdentity(header, { secret: SECRET, nowMs: NOW })).toEqual({ ok: false, reason: "bad-signature" });
  });

  test("refuses a header older than the maximum age, and accepts it just within", () => {
    const header = signIdentity(nurse, SECRET, NOW);
    expect(verifyIdentity(header, { secret: SECRET, nowMs: NOW + 60_000 }).ok).toBe(true);
    expect(verifyIdentity(header, { secret: SECRET, nowMs: NOW + 61_000 })).toEqual({ ok: false, reason: "stale" });
    expect(verifyIdentity(header, { secret: SECRET, maxAgeSeconds: 10, nowMs: NOW + 11_000 })).toEqual({ ok: false, reason: "stale" });
  });

  test("refuses a header dated in the future beyond the clock skew", () => {
    const header = signIdentity(nurse, SECRET, NOW + 30_000);
    expect(verifyIdentity(header, { secret: SECRET, nowMs: NOW })).toEqual({ ok: false, reason: "from-the-future" });
    expect(verifyIdentity(signIdentity(nurse, SECRET, NOW + 3000), { secret: SECRET, nowMs: NOW }).ok).toBe(true);
  });

  test("refuses a correctly signed payload that is not an identity", () => {
    const encoded = Buffer.from(JSON.stringify({ v: 1, iat: NOW / 1000, identity: { role: "ROOT", scopes: [] } })).toString("base64url");
    const header = `${encoded}.${createHmac("sha256", SECRET).update(encoded).digest("base64url")}`;
    expect(verifyIdentity(header, { secret: SECRET, nowMs: NOW })).toEqual({ ok: false, reason: "malformed" });
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

  test("secretOrDevelopmentDefault: the value, the development default, or a ConfigError in production", () => {
    expect(secretOrDevelopmentDefault({ NODE_ENV: "production", IDENTITY_SECRET: "s".repeat(32) }, "IDENTITY_SECRET", "dev")).toBe("s".repeat(32));
    expect(secretOrDevelopmentDefault({ NODE_ENV: "development" }, "IDENTITY_SECRET", DEVELOPMENT_IDENTITY_SECRET)).toBe(
      DEVELOPMENT_IDENTITY_SECRET,
    );
    expect(() => secretOrDevelopmentDefault({ NODE_ENV: "production" }, "IDENTITY_SECRET", "dev")).toThrow(
      new ConfigError([{ variable: "IDENTITY_SECRET", problem: "required when NODE_ENV=production" }]),
    );
  });
});
