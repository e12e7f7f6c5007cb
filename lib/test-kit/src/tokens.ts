// Who a test acts as: the secrets test gateways and subgraphs share, and signed tokens for each role.
import { randomBytes } from "node:crypto";
import { issueToken } from "@tsunagu/gateway";
import { deriveSubgraphKeys, type SubgraphKeys } from "@tsunagu/service-kit";
import type { JwtSettings, TokenRequest } from "@tsunagu/gateway";

/**
 * IDENTITY_SECRET of every gateway and subgraph a test kit starts: new for each test process, since a secret written in
 * the source is one every process refuses (as the whole system started by a test does).
 */
export const TEST_IDENTITY_SECRET = randomBytes(32).toString("hex");

/** The keys of the subgraph `subgraph` in a test kit, derived from TEST_IDENTITY_SECRET as `npm start` derives them. */
export function testSubgraphKeys(subgraph: string): SubgraphKeys {
  return deriveSubgraphKeys(TEST_IDENTITY_SECRET, subgraph);
}

/** The JWT settings of every gateway a test kit starts. */
export const TEST_JWT: JwtSettings = {
  algorithm: "HS256",
  secret: randomBytes(32).toString("hex"),
  issuer: "tsunagu-test",
  audience: "tsunagu-test",
};

/** A token request where the subject defaults to `<role>-1` (e.g. `ems-1`). */
export type TestTokenRequest = Omit<TokenRequest, "subject"> & { subject?: string };

/** A token signed with TEST_JWT. */
export function testToken(request: TestTokenRequest): Promise<string> {
  return issueToken(
    { subject: `${request.role.toLowerCase()}-1`, ...request },
    {
      secret: TEST_JWT.secret as string,
      issuer: TEST_JWT.issuer,
      audience: TEST_JWT.audience,
    },
  );
}

/** The Authorization header of a user signed in with a token from TEST_JWT. */
export async function signedIn(request: TestTokenRequest): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await testToken(request)}` };
}
