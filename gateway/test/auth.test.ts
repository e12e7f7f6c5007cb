// Authentication rules at unit level: token claims, public-key algorithms, and which credentials are refused.
import { generateKeyPairSync } from "node:crypto";
import { GraphQLError } from "graphql";
import { PUBLIC_IDENTITY } from "@tsunagu/service-kit";
import { createAuthenticator, issueToken } from "../src/auth";
import type { Authenticate } from "../src/auth";
import type { ApiKeyStore } from "../src/api-keys";
import { TEST_JWT } from "./helpers";

/** A store that knows no key; API keys against MongoDB are covered in api-keys.test.ts and gateway.test.ts. */
const noKeys: ApiKeyStore = {
  insert: async () => {
    throw new Error("not used");
  },
  findActiveByHash: async () => null,
  list: async () => [],
  revoke: async () => false,
};

const settings = { secret: TEST_JWT.secret as string, issuer: TEST_JWT.issuer, audience: TEST_JWT.audience };

async function refusal(authenticate: Authenticate, authorization: string): Promise<string> {
  try {
    await authenticate({ authorization });
  } catch (error) {
    if (error instanceof GraphQLError && error.extensions.code === "UNAUTHENTICATED") return error.message;
    throw error;
  }
  throw new Error("was not refused");
}

async function sign(claims: Record<string, unknown>): Promise<string> {
  const { SignJWT } = await import("jose");
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(settings.secret));
}

let authenticate: Authenticate;
beforeAll(async () => {
  authenticate = await createAuthenticator({ jwt: TEST_JWT, apiKeys: noKeys });
});

test("no credentials is PUBLIC", async () => {
  expect(await authenticate({})).toBe(PUBLIC_IDENTITY);
});

test("issued tokens carry role, profession, organisation, member and scopes", async () => {
  const token = await issueToken(
    { role: "COORDINATOR", subject: "c-1", displayName: "小松市 福祉課", organizationId: "city", memberId: "m-1", scopes: ["resources:write"] },
    settings,
  );
  expect(await authenticate({ authorization: `Bearer ${token}` })).toEqual({
    role: "COORDINATOR",
    authMethod: "jwt",
    subject: "c-1",
    displayName: "小松市 福祉課",
    organizationId: "city",
    memberId: "m-1",
    scopes: ["resources:write"],
  });
});

test.each([
  [{ sub: "u" }, "Invalid bearer token: claim role is missing or invalid"],
  [{ sub: "u", role: "ROOT" }, "Invalid bearer token: claim role is missing or invalid"],
  [{ sub: "u", role: "PUBLIC" }, "Invalid bearer token: claim role is missing or invalid"],
  [{ sub: "u", role: "VENDOR", scope: "all the things" }, "Invalid bearer token: claim scope is missing or invalid"],
  [{ role: "EMS" }, "Invalid bearer token: claim sub is invalid (missing)"],
])("claims %p are refused", async (claims, message) => {
  expect(await refusal(authenticate, `Bearer ${await sign(claims)}`)).toBe(message);
});

test("a token from another issuer is refused", async () => {
  const foreign = await issueToken({ role: "ER", subject: "x" }, { ...settings, issuer: "elsewhere" });
  expect(await refusal(authenticate, `Bearer ${foreign}`)).toBe("Invalid bearer token: claim iss is invalid (check_failed)");
});

test("sending a token and an API key together is refused", async () => {
  const token = await issueToken({ role: "ER", subject: "x" }, settings);
  await expect(authenticate({ authorization: `Bearer ${token}`, apiKey: "tsk_x" })).rejects.toThrow(
    "Send either an Authorization bearer token or an X-Api-Key, not both",
  );
});

test.each([
  ["RS256", () => generateKeyPairSync("rsa", { modulusLength: 2048 })],
  ["ES256", () => generateKeyPairSync("ec", { namedCurve: "P-256" })],
] as const)("%s tokens verify with the issuer's public key; HS256 tokens are then refused", async (algorithm, generate) => {
  const { publicKey, privateKey } = generate();
  const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const { SignJWT, importPKCS8 } = await import("jose");
  const byKey = await createAuthenticator({ jwt: { ...TEST_JWT, algorithm, secret: undefined, publicKey: publicPem }, apiKeys: noKeys });
  const token = await new SignJWT({ role: "ER" })
    .setProtectedHeader({ alg: algorithm })
    .setSubject("er-1")
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setExpirationTime("5m")
    .sign(await importPKCS8(privatePem, algorithm));
  expect(await byKey({ authorization: `Bearer ${token}` })).toMatchObject({ role: "ER", subject: "er-1", authMethod: "jwt" });
  const hs = await issueToken({ role: "ADMIN", subject: "a" }, settings);
  expect(await refusal(byKey, `Bearer ${hs}`)).toBe("Invalid bearer token: the signing algorithm is not accepted");
});

test("misconfiguration is reported when the authenticator is built", async () => {
  await expect(createAuthenticator({ jwt: { ...TEST_JWT, secret: "short" }, apiKeys: noKeys })).rejects.toThrow(
    "HS256 needs a JWT secret of at least 32 characters",
  );
  await expect(createAuthenticator({ jwt: { ...TEST_JWT, algorithm: "RS256" }, apiKeys: noKeys })).rejects.toThrow("RS256 needs a public key (PEM)");
});
