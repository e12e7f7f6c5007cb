// Tracking which identity claims an answer read: every way of reading the identity is recorded, anything unclear counts as reading all of it, and the header round-trips.
import { IDENTITY_CLAIMS, formatIdentityReads, parseIdentityReads, trackIdentityReads } from "../src/identity-reads";
import type { Identity } from "../src/identity";

const nurse: Identity = { role: "PROFESSIONAL", authMethod: "jwt", subject: "u-1", memberId: "m-1", scopes: ["groups:contacts"] };

test("reading claims records them (absent ones too), in schema order, and returns the real values", () => {
  const tracked = trackIdentityReads(nurse);
  expect(tracked.reads()).toEqual([]);
  expect(tracked.identity.scopes.includes("groups:contacts")).toBe(true);
  expect(tracked.identity.role).toBe("PROFESSIONAL");
  expect(tracked.identity.organizationId).toBeUndefined();
  expect(tracked.reads()).toEqual(["role", "organizationId", "scopes"]);
});

test("asking whether a claim is there, or destructuring it, is a read", () => {
  const tracked = trackIdentityReads(nurse);
  expect("memberId" in tracked.identity).toBe(true);
  const { subject } = tracked.identity;
  expect(subject).toBe("u-1");
  expect(tracked.reads()).toEqual(["subject", "memberId"]);
});

test.each<[string, (identity: Identity) => unknown]>([
  ["a spread", (identity) => ({ ...identity })],
  ["JSON.stringify", (identity) => JSON.stringify(identity)],
  ["Object.keys", (identity) => Object.keys(identity)],
  ["a symbol", (identity) => (identity as unknown as Record<symbol, unknown>)[Symbol.iterator]],
  ["a name the schema does not have", (identity) => (identity as unknown as Record<string, unknown>).then],
])("%s counts as reading every claim", (_case, use) => {
  const tracked = trackIdentityReads(nurse);
  use(tracked.identity);
  expect(tracked.reads()).toEqual(IDENTITY_CLAIMS);
});

test("a spread or JSON of the tracked identity equals the identity's", () => {
  const tracked = trackIdentityReads(nurse);
  expect({ ...tracked.identity }).toEqual(nurse);
  expect(JSON.stringify(tracked.identity)).toBe(JSON.stringify(nurse));
});

test("the identity cannot be changed through the tracker", () => {
  const { identity } = trackIdentityReads(nurse);
  expect(() => {
    (identity as { role: string }).role = "ADMIN";
  }).toThrow(TypeError);
  expect(nurse.role).toBe("PROFESSIONAL");
});

test("the header names the claims, - for none and * for all, and reads back the same", () => {
  expect(formatIdentityReads([])).toBe("-");
  expect(formatIdentityReads(["role", "scopes"])).toBe("role,scopes");
  expect(formatIdentityReads(IDENTITY_CLAIMS)).toBe("*");
  for (const claims of [[], ["role", "scopes"], [...IDENTITY_CLAIMS]] as const) expect(parseIdentityReads(formatIdentityReads(claims))).toEqual(claims);
});

test.each([null, undefined, "", "role,password", "role;subject"])("a header that is absent or not understood (%p) means every claim", (header) => {
  expect(parseIdentityReads(header)).toEqual(IDENTITY_CLAIMS);
});
