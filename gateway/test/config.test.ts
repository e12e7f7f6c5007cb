// The gateway's environment variables: defaults, SUBGRAPH_URLS, and secrets (missing, published, weak or shared ones refused).
import { ConfigError, loadConfig } from "@tsunagu/service-kit";
import { DEFAULT_SUPERGRAPH_PATH, gatewayConfigSchema, gatewayOptionsOf } from "../src/config";

const load = (env: Record<string, string>) => loadConfig(gatewayConfigSchema, env);

/** Strong secrets of this test (random-looking, distinct); each process must be given its own. */
const SECRETS = { IDENTITY_SECRET: "t8Qz1vX4mK9pW2rB7nL5cY3hJ6dF0sGa", JWT_SECRET: "Hq3Nw8Zr5Tk1Vb7Mx2Pc9Lf4Jd6Gs0Ye" };

test("defaults: loopback, port 4000, the repository's supergraph, default limits, the crews' own lane", () => {
  const config = load(SECRETS);
  expect(config.SUPERGRAPH_PATH).toBe(DEFAULT_SUPERGRAPH_PATH);
  expect(DEFAULT_SUPERGRAPH_PATH).toMatch(/schema\/supergraph\.graphql$/);
  const options = gatewayOptionsOf(config);
  expect(options).toMatchObject({
    port: 4000,
    host: "127.0.0.1",
    environment: "development",
    identitySecret: SECRETS.IDENTITY_SECRET,
    jwt: { algorithm: "HS256", secret: SECRETS.JWT_SECRET, issuer: "tsunagu", audience: "tsunagu" },
    subgraphUrls: {},
    subgraphTimeoutMs: 5000,
    subgraphConcurrency: 64,
    subgraphLanes: { emergency: { timeoutMs: 10_000, maxConcurrent: 32 } },
    limits: { maxDepth: 10, maxAliases: 15, maxCost: 50_000, maxTokens: 2000, maxDirectives: 50 },
    bodyLimitBytes: 102400,
    trustProxy: false,
  });
});

test("SUBGRAPH_URLS is a comma-separated list of name=url", () => {
  const config = load({ SUBGRAPH_URLS: " resources=http://resources:4001/graphql , groups=https://groups.example/graphql" });
  expect(config.SUBGRAPH_URLS).toEqual({ resources: "http://resources:4001/graphql", groups: "https://groups.example/graphql" });
});

test.each(["resources", "resources=", "=http://x/graphql", "resources=ftp://x/graphql", "Resources=http://x/graphql"])(
  "SUBGRAPH_URLS %p is refused with a message naming the variable",
  (value) => {
    expect(() => load({ SUBGRAPH_URLS: value })).toThrow(/^Invalid configuration: SUBGRAPH_URLS: expected name=http\(s\)/);
  },
);

test("limits, timeouts and the rate limit are read as integers in range", () => {
  const options = gatewayOptionsOf(
    load({ ...SECRETS, LIMIT_MAX_DEPTH: "7", SUBGRAPH_TIMEOUT_MS: "2500", BODY_LIMIT_BYTES: "65536", TRUST_PROXY: "1", PORT: "0" }),
  );
  expect(options.limits?.maxDepth).toBe(7);
  expect(options.subgraphTimeoutMs).toBe(2500);
  expect(options.bodyLimitBytes).toBe(65536);
  expect(options.trustProxy).toBe(1);
  expect(options.port).toBe(0);
  expect(() => load({ LIMIT_MAX_DEPTH: "0" })).toThrow("LIMIT_MAX_DEPTH: expected an integer between 1 and 100");
});

describe("secrets", () => {
  const refusal = (env: Record<string, string>) => {
    try {
      gatewayOptionsOf(load(env));
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    return "accepted";
  };

  test.each(["production", "development"])("NODE_ENV=%s: a missing secret is refused, naming it", (NODE_ENV) => {
    expect(refusal({ NODE_ENV, JWT_SECRET: SECRETS.JWT_SECRET })).toMatch(/^Invalid configuration: IDENTITY_SECRET: required/);
    expect(refusal({ NODE_ENV, IDENTITY_SECRET: SECRETS.IDENTITY_SECRET })).toMatch(/^Invalid configuration: JWT_SECRET: required/);
  });

  // Values once published in this repository (development defaults, test fixtures): refused in every mode.
  test.each([
    ["IDENTITY_SECRET", "tsunagu-development-identity-secret-not-for-production"],
    ["JWT_SECRET", "tsunagu-development-jwt-secret-not-for-production"],
    ["IDENTITY_SECRET", "test-identity-secret-0123456789abcdef"],
  ])("the published value of %s is refused", (variable, value) => {
    for (const NODE_ENV of ["production", "development"]) {
      expect(refusal({ ...SECRETS, NODE_ENV, [variable]: value })).toBe(
        `Invalid configuration: ${variable}: is a value published in Tsunagu's source; generate your own (openssl rand -hex 32)`,
      );
    }
  });

  test("weak secrets are refused: 'a' x 32, too few distinct characters", () => {
    expect(refusal({ ...SECRETS, NODE_ENV: "production", IDENTITY_SECRET: "a".repeat(32) })).toMatch(/^Invalid configuration: IDENTITY_SECRET: is too weak/);
    expect(refusal({ ...SECRETS, NODE_ENV: "production", JWT_SECRET: "abcabcabcabcabcabcabcabcabcabcabcabc" })).toMatch(
      /^Invalid configuration: JWT_SECRET: is too weak/,
    );
  });

  test("one value for both secrets is refused", () => {
    expect(refusal({ NODE_ENV: "production", IDENTITY_SECRET: SECRETS.JWT_SECRET, JWT_SECRET: SECRETS.JWT_SECRET })).toBe(
      "Invalid configuration: JWT_SECRET: must differ from IDENTITY_SECRET",
    );
  });

  test("strong, distinct secrets are accepted in production", () => {
    const options = gatewayOptionsOf(load({ NODE_ENV: "production", ...SECRETS }));
    expect([options.identitySecret, options.jwt.secret]).toEqual([SECRETS.IDENTITY_SECRET, SECRETS.JWT_SECRET]);
  });
});

test("short secrets are refused without echoing them", () => {
  expect(() => load({ JWT_SECRET: "short-secret" })).toThrow(
    "Invalid configuration: JWT_SECRET: expected at least 32 characters, got a value of 12 characters",
  );
});

test("RS256 needs a PEM public key; one-line PEMs with \\n escapes are accepted", () => {
  expect(() => gatewayOptionsOf(load({ IDENTITY_SECRET: SECRETS.IDENTITY_SECRET, JWT_ALGORITHM: "RS256" }))).toThrow(
    new ConfigError([{ variable: "JWT_PUBLIC_KEY", problem: "required when JWT_ALGORITHM=RS256" }]),
  );
  const pem = "-----BEGIN PUBLIC KEY-----\\nMIIB\\n-----END PUBLIC KEY-----";
  expect(gatewayOptionsOf(load({ IDENTITY_SECRET: SECRETS.IDENTITY_SECRET, JWT_ALGORITHM: "RS256", JWT_PUBLIC_KEY: pem })).jwt).toEqual({
    algorithm: "RS256",
    issuer: "tsunagu",
    audience: "tsunagu",
    publicKey: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
  });
});
