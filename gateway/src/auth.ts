// Authentication at the gateway: bearer JWTs (jose) and vendor API keys become an Identity; no credentials is PUBLIC, bad credentials are refused.
import type { CryptoKey, JWTPayload, errors as joseErrors } from "jose" with { "resolution-mode": "import" };
import type { Request, RequestHandler } from "express";
import { GraphQLError } from "graphql";
import { z } from "zod";
import { API_SCOPES, PUBLIC_IDENTITY, ROLES, isApiScope, sendErrorResponse, trackingOf, unauthenticated } from "@tsunagu/service-kit";
import type { Identity, Role } from "@tsunagu/service-kit";
import { findApiKey } from "./api-keys";
import type { ApiKeyStore } from "./api-keys";

// typescript-eslint cannot resolve a type import with import attributes (tsc can), and would call it an error type.
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment
type Jose = typeof import("jose", { with: { "resolution-mode": "import" } });

/** jose is published as ES modules only; this CommonJS package loads it with import(). */
function loadJose(): Promise<Jose> {
  return import("jose");
}

export const JWT_ALGORITHMS = ["HS256", "RS256", "ES256"] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** How bearer tokens are verified. */
export interface JwtSettings {
  algorithm: JwtAlgorithm;
  /** For HS256: the shared secret (at least 32 characters). */
  secret?: string;
  /** For RS256/ES256: the issuer's public key, PEM (SPKI). */
  publicKey?: string;
  issuer: string;
  audience: string;
  /** Default 30. */
  clockToleranceSeconds?: number;
}

/** What a request presented. */
export interface Credentials {
  /** The `Authorization` header. */
  authorization?: string;
  /** The `X-Api-Key` header. */
  apiKey?: string;
}

/** Resolves credentials to an identity; rejects with an UNAUTHENTICATED GraphQLError. */
export type Authenticate = (credentials: Credentials) => Promise<Identity>;

/**
 * Tsunagu's token claims besides `sub`, `iss`, `aud`, `iat`, `exp`: `role`, and optionally `name`,
 * `profession`, `org` (organisation or resource id), `member` (Member id), `scope` (space-separated).
 */
const claimsSchema = z.object({
  sub: z.string().min(1).max(200),
  role: z.enum(ROLES).refine((role) => role !== "PUBLIC", { error: "PUBLIC needs no token" }),
  name: z.string().max(200).optional(),
  profession: z.string().max(100).optional(),
  org: z.string().max(100).optional(),
  member: z.string().max(100).optional(),
  scope: z
    .string()
    .optional()
    .transform((scope) => (scope ?? "").split(" ").filter((s) => s !== ""))
    .refine((scopes) => scopes.every(isApiScope), { error: `scopes must be among ${Object.keys(API_SCOPES).join(", ")}` }),
});

function identityFromClaims(payload: JWTPayload): Identity {
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) {
    const claim = claims.error.issues.map((issue) => issue.path.join(".")).join(", ");
    throw unauthenticated(`Invalid bearer token: claim ${claim} is missing or invalid`);
  }
  const { sub, role, name, profession, org, member, scope } = claims.data;
  return {
    role,
    authMethod: "jwt",
    subject: sub,
    scopes: scope,
    ...(name === undefined ? {} : { displayName: name }),
    ...(profession === undefined ? {} : { profession }),
    ...(org === undefined ? {} : { organizationId: org }),
    ...(member === undefined ? {} : { memberId: member }),
  };
}

/** What a token is issued for (`npm run token`, tests). */
export interface TokenRequest {
  role: Exclude<Role, "PUBLIC">;
  subject: string;
  displayName?: string;
  profession?: string;
  organizationId?: string;
  memberId?: string;
  scopes?: readonly string[];
  /** A jose time span such as "8h", "15m"; default "8h". */
  expiresIn?: string;
}

/** Signs an HS256 token with Tsunagu's claims (for development and tests; production tokens come from an IdP). */
export async function issueToken(request: TokenRequest, settings: { secret: string; issuer: string; audience: string }): Promise<string> {
  const claims = {
    role: request.role,
    ...(request.displayName === undefined ? {} : { name: request.displayName }),
    ...(request.profession === undefined ? {} : { profession: request.profession }),
    ...(request.organizationId === undefined ? {} : { org: request.organizationId }),
    ...(request.memberId === undefined ? {} : { member: request.memberId }),
    ...(request.scopes === undefined || request.scopes.length === 0 ? {} : { scope: request.scopes.join(" ") }),
  };
  const { SignJWT } = await loadJose();
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(request.subject)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(request.expiresIn ?? "8h")
    .sign(new TextEncoder().encode(settings.secret));
}

async function verificationKey(jose: Jose, jwt: JwtSettings): Promise<CryptoKey | Uint8Array> {
  if (jwt.algorithm === "HS256") {
    if (jwt.secret === undefined || jwt.secret.length < 32) throw new Error("HS256 needs a JWT secret of at least 32 characters");
    return new TextEncoder().encode(jwt.secret);
  }
  if (jwt.publicKey === undefined) throw new Error(`${jwt.algorithm} needs a public key (PEM)`);
  return jose.importSPKI(jwt.publicKey, jwt.algorithm);
}

/** Why jose refused a token, in words a client can act on. */
function describeJoseError({ errors }: Jose, error: joseErrors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} is invalid (${error.reason})`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the signature does not verify";
  if (error instanceof errors.JOSEAlgNotAllowed) return "the signing algorithm is not accepted";
  return "the token is malformed";
}

/** Builds the authenticator: Bearer JWT, or X-Api-Key, or nothing (PUBLIC); never both. */
export async function createAuthenticator({ jwt, apiKeys }: { jwt: JwtSettings; apiKeys: ApiKeyStore }): Promise<Authenticate> {
  const jose = await loadJose();
  const key = await verificationKey(jose, jwt);
  const verifyOptions = {
    algorithms: [jwt.algorithm],
    issuer: jwt.issuer,
    audience: jwt.audience,
    clockTolerance: jwt.clockToleranceSeconds ?? 30,
    requiredClaims: ["sub", "exp"],
  };

  return async ({ authorization, apiKey }) => {
    if (authorization !== undefined && apiKey !== undefined) {
      throw unauthenticated("Send either an Authorization bearer token or an X-Api-Key, not both");
    }
    if (apiKey !== undefined) {
      const record = await findApiKey(apiKeys, apiKey);
      if (record === null) throw unauthenticated("Unknown or revoked API key");
      const unknown = record.scopes.filter((scope) => !isApiScope(scope));
      if (unknown.length > 0) {
        throw unauthenticated(
          `This API key carries unknown scope(s) ${unknown.join(", ")}; revoke it and create one with scopes among ${Object.keys(API_SCOPES).join(", ")}`,
        );
      }
      return {
        role: "VENDOR",
        authMethod: "apiKey",
        subject: record.id,
        displayName: record.owner,
        scopes: record.scopes,
        ...(record.organizationId === undefined ? {} : { organizationId: record.organizationId }),
      };
    }
    if (authorization === undefined) return PUBLIC_IDENTITY;

    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match === null) throw unauthenticated("The Authorization header must be `Bearer <token>`");
    try {
      const { payload } = await jose.jwtVerify(match[1], key, verifyOptions);
      return identityFromClaims(payload);
    } catch (error) {
      if (error instanceof jose.errors.JOSEError) throw unauthenticated(`Invalid bearer token: ${describeJoseError(jose, error)}`);
      throw error;
    }
  };
}

/**
 * Express middleware: authenticates the request and records its identity in `identities`;
 * refused credentials are answered with HTTP 401 and code UNAUTHENTICATED.
 */
export function authenticateRequests(authenticate: Authenticate, identities: WeakMap<Request, Identity>): RequestHandler {
  return async (req, res, next) => {
    const authorization = req.get("authorization");
    const apiKey = req.get("x-api-key");
    try {
      const identity = await authenticate({
        ...(authorization === undefined ? {} : { authorization }),
        ...(apiKey === undefined ? {} : { apiKey }),
      });
      identities.set(req, identity);
    } catch (error) {
      if (!(error instanceof GraphQLError) || error.extensions.code !== "UNAUTHENTICATED") throw error;
      trackingOf(res).logger.info({ reason: error.message }, "refused credentials");
      sendErrorResponse(res, 401, error, { "WWW-Authenticate": 'Bearer error="invalid_token"' });
      return;
    }
    next();
  };
}
