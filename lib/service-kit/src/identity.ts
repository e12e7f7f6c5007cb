// Who is asking: the identity model, the HMAC-signed identity header the gateway sends to subgraphs, and the request id header.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { RequestHandler, Response } from "express";
import { z } from "zod";
import { ConfigError, envInteger } from "./config";
import type { Logger } from "./logger";

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

/** The header carrying `<base64url payload>.<base64url HMAC-SHA256 of the payload>`. */
export const IDENTITY_HEADER = "x-tsunagu-identity";
/** The header carrying the request id end to end (client → gateway → subgraphs → logs). */
export const REQUEST_ID_HEADER = "x-request-id";

/** A development-only signing secret, refused when NODE_ENV=production. */
export const DEVELOPMENT_IDENTITY_SECRET = "tsunagu-development-identity-secret-not-for-production";

/** Variables shared by the gateway and every subgraph for the identity header. */
export const identityConfigSchema = z.object({
  /** Shared only by the gateway and the subgraphs; at least 32 characters. */
  IDENTITY_SECRET: z.string().min(32, { error: "expected at least 32 characters" }).optional(),
  /** How old a signed identity header may be before a subgraph refuses it. */
  IDENTITY_MAX_AGE_SECONDS: envInteger({ min: 1, max: 3600 }).default(60),
});

/**
 * The secret in `variable`, or `developmentDefault` when it is unset and NODE_ENV is not production.
 * @throws ConfigError when it is unset in production.
 */
export function secretOrDevelopmentDefault(
  config: { NODE_ENV: string } & Partial<Record<string, unknown>>,
  variable: string,
  developmentDefault: string,
): string {
  const value = config[variable];
  if (typeof value === "string" && value !== "") return value;
  if (config.NODE_ENV === "production") {
    throw new ConfigError([{ variable, problem: "required when NODE_ENV=production" }]);
  }
  return developmentDefault;
}

const signedPayloadSchema = z.object({ v: z.literal(1), iat: z.number().int(), identity: identitySchema });

function hmac(secret: string, encodedPayload: string): Buffer {
  return createHmac("sha256", secret).update(encodedPayload).digest();
}

/**
 * Signs `identity` for a subgraph: the payload (version, issued-at seconds, identity) is encoded once
 * and the HMAC covers exactly the bytes sent, so there is one canonical form to verify.
 */
export function signIdentity(identity: Identity, secret: string, nowMs: number = Date.now()): string {
  if (secret.length === 0) throw new Error("signIdentity: empty secret");
  const payload = { v: 1, iat: Math.floor(nowMs / 1000), identity };
  const encoded = Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
  return `${encoded}.${hmac(secret, encoded).toString("base64url")}`;
}

/** Why a signed identity header was refused. */
export type IdentityRejection = "missing" | "malformed" | "bad-signature" | "stale" | "from-the-future";

export type IdentityVerification = { ok: true; identity: Identity } | { ok: false; reason: IdentityRejection };

export interface VerifyIdentityOptions {
  secret: string;
  /** Default 60. */
  maxAgeSeconds?: number;
  /** Tolerated clock difference for headers dated in the future; default 5. */
  clockSkewSeconds?: number;
  nowMs?: number;
}

/** Checks a signed identity header: present, well formed, signature valid (constant time), and fresh. */
export function verifyIdentity(header: string | undefined, options: VerifyIdentityOptions): IdentityVerification {
  const { secret, maxAgeSeconds = 60, clockSkewSeconds = 5, nowMs = Date.now() } = options;
  if (header === undefined || header === "") return { ok: false, reason: "missing" };
  const parts = header.split(".");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") return { ok: false, reason: "malformed" };
  const [encoded, signature] = parts as [string, string];

  const expected = hmac(secret, encoded);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "bad-signature" };
  }

  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  const payload = signedPayloadSchema.safeParse(decoded);
  if (!payload.success) return { ok: false, reason: "malformed" };

  const ageSeconds = nowMs / 1000 - payload.data.iat;
  if (ageSeconds > maxAgeSeconds) return { ok: false, reason: "stale" };
  if (ageSeconds < -clockSkewSeconds) return { ok: false, reason: "from-the-future" };
  return { ok: true, identity: payload.data.identity };
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
    const tracking: RequestTracking = { requestId, logger: logger.child({ requestId }) };
    res.locals.tracking = tracking;
    res.setHeader(REQUEST_ID_HEADER, requestId);
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
