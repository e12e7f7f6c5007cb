// Who is asking: the identity model, the identity header the gateway signs for each request to a subgraph (bound to the request, one-time), and the request id header.
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { RequestHandler, Response } from "express";
import { z } from "zod";
import { envInteger } from "./config";
import type { Logger } from "./logger";
import type { NonceStore } from "./nonces";
import { subgraphSigningKey } from "./subgraph-keys";

/** Roles of DESIGN.md "Identity and access"; authorisation is decided by the subgraph owning the data. */
export const ROLES = ["PUBLIC", "RESIDENT", "PROFESSIONAL", "COORDINATOR", "EMS", "ER", "VENDOR", "ADMIN"] as const;
export type Role = (typeof ROLES)[number];

/** How the gateway established the identity. */
export const AUTH_METHODS = ["none", "jwt", "apiKey"] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** A scope is `area:action`, e.g. `resources:read`, `resources:write`. */
export const SCOPE_PATTERN = /^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$/;

/** Every scope an API key (or a token's `scope` claim) may carry, with what it allows; README "Vendor API keys" lists the same. */
export const API_SCOPES = {
  "resources:read": "read resources (the public view; for keys that only read)",
  "resources:write": "create, update, verify and archive resources",
  "groups:contacts": "see members' work phone and e-mail in the directory",
  "events:read": "see events for professionals, besides public ones",
  "events:write": "create and change events",
  "emergency:read": "read emergency profiles whose residents consented to connected systems",
} as const;
export type ApiScope = keyof typeof API_SCOPES;

export function isApiScope(scope: string): scope is ApiScope {
  return Object.hasOwn(API_SCOPES, scope);
}

/** The identity schema, used to validate what arrives in a signed header. */
export const identitySchema = z.object({
  role: z.enum(ROLES),
  authMethod: z.enum(AUTH_METHODS),
  /** The user (JWT `sub`) or the API key id; absent for PUBLIC. */
  subject: z.string().min(1).max(200).optional(),
  displayName: z.string().max(200).optional(),
  /** For PROFESSIONAL: 職種 such as 看護師, 介護支援専門員. */
  profession: z.string().max(100).optional(),
  /** The organisation or resource (ObjectId hex) the person or vendor acts for. */
  organizationId: z.string().max(100).optional(),
  /** The person's Member id in the groups subgraph. */
  memberId: z.string().max(100).optional(),
  /** For VENDOR (and optionally others): granted scopes such as `resources:write`. */
  scopes: z.array(z.string().regex(SCOPE_PATTERN)).max(100),
});

/** Who is asking, as every subgraph sees it in its request context. */
export type Identity = z.infer<typeof identitySchema>;

/** The identity of a request without credentials. */
export const PUBLIC_IDENTITY: Identity = Object.freeze({ role: "PUBLIC", authMethod: "none", scopes: [] });

/** True when the identity was granted `scope` (e.g. `resources:write`). */
export function hasScope(identity: Identity, scope: string): boolean {
  return identity.scopes.includes(scope);
}

/** The header carrying `<base64url payload>.<base64url HMAC-SHA256 of the payload>`, signed for one request to one subgraph. */
export const IDENTITY_HEADER = "x-tsunagu-identity";
/** The header carrying the request id end to end (client → gateway → subgraphs → logs). */
export const REQUEST_ID_HEADER = "x-request-id";

/** Variables shared by the gateway and every subgraph for the identity header. */
export const identityConfigSchema = z.object({
  /** Shared only by the gateway and the subgraphs; each subgraph's key is derived from it. Checked by `requireSecret`. */
  IDENTITY_SECRET: z.string().min(32, { error: "expected at least 32 characters" }).optional(),
  /** How old a signed identity header may be before a subgraph refuses it (and how long its nonce is remembered). */
  IDENTITY_MAX_AGE_SECONDS: envInteger({ min: 1, max: 3600 }).default(60),
});

/** SHA-256 of a request body, base64url: what the signature binds the body with. */
export function bodyDigest(body: string | Uint8Array): string {
  return createHash("sha256").update(body).digest("base64url");
}

/** The request a signature is bound to. */
export interface SignedRequestTarget {
  /** The subgraph's name in the supergraph, e.g. `emergency`. */
  subgraph: string;
  /** HTTP method, e.g. `POST`. */
  method: string;
  /** Path and query of the URL, e.g. `/graphql`. */
  path: string;
  /** SHA-256 of the exact body bytes (`bodyDigest`). */
  bodyDigest: string;
}

const signedPayloadSchema = z.object({
  v: z.literal(2),
  /** The subgraph the request is meant for. */
  aud: z.string().min(1).max(100),
  /** Issued at, epoch milliseconds. */
  iat: z.number().int(),
  /** 128 random bits, accepted once. */
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/),
  m: z.string().min(1).max(10),
  p: z.string().min(1).max(2000),
  /** bodyDigest of the body. */
  b: z.string().min(1).max(100),
  /** The subgraph asking, when a peer signed instead of the gateway. */
  from: z.string().min(1).max(100).optional(),
  identity: identitySchema,
});

function hmac(key: Buffer, encodedPayload: string): Buffer {
  return createHmac("sha256", key).update(encodedPayload).digest();
}

/**
 * Signs `identity` for one request: the subgraph it is meant for, method, path, body digest, time and a fresh
 * nonce. The payload is encoded once and the HMAC (with the subgraph's own key, or with the key of the pair
 * when the peer subgraph `from` asks) covers exactly the bytes sent.
 */
export function signSubgraphRequest(identity: Identity, key: Buffer, target: SignedRequestTarget, nowMs: number = Date.now(), from?: string): string {
  const payload = {
    v: 2,
    ...(from === undefined ? {} : { from }),
    aud: target.subgraph,
    iat: nowMs,
    nonce: randomBytes(16).toString("base64url"),
    m: target.method.toUpperCase(),
    p: target.path,
    b: target.bodyDigest,
    identity,
  };
  const encoded = Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
  return `${encoded}.${hmac(key, encoded).toString("base64url")}`;
}

/**
 * Headers for POSTing `body` (the exact JSON text sent) to a subgraph's `url` as the gateway would: for scripts
 * (the demo seed) and tests that call a subgraph directly.
 */
export function gatewaySignedHeaders(identity: Identity, identitySecret: string, subgraph: string, url: string, body: string): Record<string, string> {
  const { pathname, search } = new URL(url);
  const target = { subgraph, method: "POST", path: `${pathname}${search}`, bodyDigest: bodyDigest(body) };
  return { "content-type": "application/json", [IDENTITY_HEADER]: signSubgraphRequest(identity, subgraphSigningKey(identitySecret, subgraph), target) };
}

/** Why a signed identity header was refused. */
export type IdentityRejection = "missing" | "malformed" | "bad-signature" | "stale" | "from-the-future" | "wrong-subgraph" | "wrong-request" | "replayed";

/** A verified request: the identity, and the peer subgraph that signed it when the gateway did not. */
export type IdentityVerification = { ok: true; identity: Identity; from: string | undefined } | { ok: false; reason: IdentityRejection };

export interface VerifyIdentityOptions {
  /** The key of the gateway's requests to this subgraph (`subgraphSigningKey`). */
  key: Buffer;
  /** The keys of the peers that may ask this subgraph, by peer (`SubgraphKeys.askedBy`); default none. */
  peerKeys?: Readonly<Record<string, Buffer>>;
  /** The request as this subgraph received it; `subgraph` is this subgraph's own name. */
  target: SignedRequestTarget;
  /** Where nonces are remembered; a nonce seen before is refused. */
  nonces: NonceStore;
  /** Default 60. */
  maxAgeSeconds?: number;
  /** Tolerated clock difference for headers dated in the future; default 5. */
  clockSkewSeconds?: number;
  nowMs?: number;
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Checks a signed identity header: well formed, signature valid with this subgraph's key or, for a peer's
 * question, with the key of that pair (constant time), meant for this subgraph and this very request (method,
 * path, body), fresh, and its nonce never seen before.
 */
export async function verifySubgraphRequest(header: string | undefined, options: VerifyIdentityOptions): Promise<IdentityVerification> {
  const { key, peerKeys = {}, target, nonces, maxAgeSeconds = 60, clockSkewSeconds = 5, nowMs = Date.now() } = options;
  if (header === undefined || header === "") return { ok: false, reason: "missing" };
  const parts = header.split(".");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") return { ok: false, reason: "malformed" };
  const [encoded, signature] = parts as [string, string];

  // Decoded before the signature is checked only to learn which key to check it with; nothing is trusted until then.
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  const payload = signedPayloadSchema.safeParse(decoded);
  if (!payload.success) return { ok: false, reason: "malformed" };
  const signed = payload.data;
  const signingKey = signed.from === undefined ? key : Object.hasOwn(peerKeys, signed.from) ? peerKeys[signed.from] : undefined;
  const given = Buffer.from(signature, "base64url");
  const expected = signingKey === undefined ? undefined : hmac(signingKey, encoded);
  if (expected === undefined || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "bad-signature" };
  }

  if (!constantTimeEqual(signed.aud, target.subgraph)) return { ok: false, reason: "wrong-subgraph" };
  if (signed.m !== target.method.toUpperCase() || signed.p !== target.path || !constantTimeEqual(signed.b, target.bodyDigest)) {
    return { ok: false, reason: "wrong-request" };
  }
  const ageSeconds = (nowMs - signed.iat) / 1000;
  if (ageSeconds > maxAgeSeconds) return { ok: false, reason: "stale" };
  if (ageSeconds < -clockSkewSeconds) return { ok: false, reason: "from-the-future" };
  // Remembered for as long as the header could still pass the freshness checks above.
  if (!(await nonces.claim(`${signed.aud}:${signed.nonce}`, maxAgeSeconds + clockSkewSeconds + 1))) {
    return { ok: false, reason: "replayed" };
  }
  return { ok: true, identity: signed.identity, from: signed.from };
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's request id when it is a sane token (≤128 of `A-Za-z0-9._:-`), otherwise a new UUID. */
export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
}

/** What `trackRequests` attaches to every HTTP request. */
export interface RequestTracking {
  requestId: string;
  /** A child logger whose every line carries `requestId`. */
  logger: Logger;
}

/**
 * Express middleware, first in every service: takes or makes the request id, echoes it in the
 * `X-Request-Id` response header, and logs one line per request when the response is finished.
 */
export function trackRequests(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const requestId = requestIdFrom(req.get(REQUEST_ID_HEADER));
    // A child logger costs a serialisation of its bindings; a silent logger needs none.
    const logged = logger.isLevelEnabled("fatal");
    const tracking: RequestTracking = { requestId, logger: logged ? logger.child({ requestId }) : logger };
    res.locals.tracking = tracking;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    if (!logger.isLevelEnabled("info")) {
      next();
      return;
    }
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const path = req.originalUrl.split("?", 1)[0];
      tracking.logger.info({ method: req.method, path, status: res.statusCode, ms }, "request finished");
    });
    next();
  };
}

/** What every GraphQL resolver, in the gateway or in a subgraph, knows about its request. */
export interface RequestContext extends RequestTracking {
  identity: Identity;
}

/** The request id and request logger set by `trackRequests`; throws when that middleware did not run. */
export function trackingOf(res: Response): RequestTracking {
  const tracking: unknown = res.locals.tracking;
  if (typeof tracking !== "object" || tracking === null || !("requestId" in tracking) || !("logger" in tracking)) {
    throw new Error("trackRequests() must run before this handler");
  }
  return tracking as RequestTracking;
}
