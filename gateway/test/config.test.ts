// The gateway's environment variables: defaults, SUBGRAPH_URLS, and secrets required in production.
import { ConfigError, DEVELOPMENT_IDENTITY_SECRET, loadConfig } from "@tsunagu/service-kit";
import { DEFAULT_SUPERGRAPH_PATH, DEVELOPMENT_JWT_SECRET, gatewayConfigSchema, gatewayOptionsOf } from "../src/config";

const load = (env: Record<string, string>) => loadConfig(gatewayConfigSchema, env);

test("defaults: port 4000, development secrets, the repository's supergraph, default limits", () => {
  const config = load({});
  expect(config.SUPERGRAPH_PATH).toBe(DEFAULT_SUPERGRAPH_PATH);
  expect(DEFAULT_SUPERGRAPH_PATH).toMatch(/schema\/supergraph\.graphql$/);
  const options = gatewayOptionsOf(config);
  expect(options).toMatchObject({
    port: 4000,
    host: "0.0.0.0",
    environment: "development",
    identitySecret: DEVELOPMENT_IDENTITY_SECRET,
    jwt: { algorithm: "HS256", secret: DEVELOPMENT_JWT_SECRET, issuer: "tsunagu", audience: "tsunagu" },
    subgraphUrls: {},
    subgraphTimeoutMs: 5000,
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
    load({ LIMIT_MAX_DEPTH: "7", SUBGRAPH_TIMEOUT_MS: "2500", BODY_LIMIT_BYTES: "65536", TRUST_PROXY: "1", PORT: "0" }),
  );
  expect(options.limits?.maxDepth).toBe(7);
  expect(options.subgraphTimeoutMs).toBe(2500);
  expect(options.bodyLimitBytes).toBe(65536);
  expect(options.trustProxy).toBe(1);
  expect(options.port).toBe(0);
  expect(() => load({ LIMIT_MAX_DEPTH: "0" })).toThrow("LIMIT_MAX_DEPTH: expected an integer between 1 and 100");
});

test("production requires IDENTITY_SECRET and JWT_SECRET", () => {
  expect(() => gatewayOptionsOf(load({ NODE_ENV: "production", JWT_SECRET: "j".repeat(32) }))).toThrow(
    new ConfigError([{ variable: "IDENTITY_SECRET", problem: "required when NODE_ENV=production" }]),
  );
  expect(() => gatewayOptionsOf(load({ NODE_ENV: "production", IDENTITY_SECRET: "i".repeat(32) }))).toThrow(
    new ConfigError([{ variable: "JWT_SECRET", problem: "required when NODE_ENV=production" }]),
  );
  const options = gatewayOptionsOf(load({ NODE_ENV: "production", IDENTITY_SECRET: "i".repeat(32), JWT_SECRET: "j".repeat(32) }));
  expect([options.identitySecret, options.jwt.secret]).toEqual(["i".repeat(32), "j".repeat(32)]);
});

test("short secrets are refused without echoing them", () => {
  expect(() => load({ JWT_SECRET: "short-secret" })).toThrow(
    "Invalid configuration: JWT_SECRET: expected at least 32 characters, got a value of 12 characters",
  );
});

test("RS256 needs a PEM public key; one-line PEMs with \\n escapes are accepted", () => {
  expect(() => gatewayOptionsOf(load({ JWT_ALGORITHM: "RS256" }))).toThrow(
    new ConfigError([{ variable: "JWT_PUBLIC_KEY", problem: "required when JWT_ALGORITHM=RS256" }]),
  );
  const pem = "-----BEGIN PUBLIC KEY-----\\nMIIB\\n-----END PUBLIC KEY-----";
  expect(gatewayOptionsOf(load({ JWT_ALGORITHM: "RS256", JWT_PUBLIC_KEY: pem })).jwt).toEqual({
    algorithm: "RS256",
    issuer: "tsunagu",
    audience: "tsunagu",
    publicKey: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
  });
});
