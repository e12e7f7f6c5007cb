// The gateway's environment variables (validated with zod at start) and how they become createGateway options.
import { resolve } from "node:path";
import { z } from "zod";
import {
  ConfigError,
  baseConfigSchema,
  envEnum,
  envInteger,
  identityConfigSchema,
  pubsubConfigSchema,
  requireDistinctSecrets,
  requireSecret,
  subgraphUrlsSchema,
} from "@tsunagu/service-kit";
import { JWT_ALGORITHMS } from "./auth";
import type { JwtSettings } from "./auth";
import { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_QUERY_LIMITS } from "./limits";
import { ClientRateLimiter } from "./rate-limit";
import { DEFAULT_CREW_LANE, DEFAULT_GATEWAY_PORT, DEFAULT_RATE_LIMIT, DEFAULT_SUBGRAPH_CONCURRENCY, DEFAULT_SUBGRAPH_TIMEOUT_MS } from "./server";
import { DEFAULT_SUBSCRIPTION_SETTINGS } from "./subscriptions";
import type { GatewayOptions } from "./server";

/** `schema/supergraph.graphql` of this repository. */
export const DEFAULT_SUPERGRAPH_PATH = resolve(__dirname, "../../schema/supergraph.graphql");

const limit = (fallback: number, max: number) => envInteger({ min: 1, max }).default(fallback);

export const gatewayConfigSchema = baseConfigSchema.extend({
  ...identityConfigSchema.shape,
  ...pubsubConfigSchema.shape,
  PORT: envInteger({ min: 0, max: 65535 }).default(DEFAULT_GATEWAY_PORT),
  /** Loopback unless set: a deployment opens the gateway to the network on purpose (HOST=0.0.0.0). */
  HOST: z.string().min(1).default("127.0.0.1"),
  SUPERGRAPH_PATH: z.string().min(1).default(DEFAULT_SUPERGRAPH_PATH),
  SUBGRAPH_URLS: subgraphUrlsSchema.optional(),
  SUBGRAPH_TIMEOUT_MS: envInteger({ min: 100, max: 120_000 }).default(DEFAULT_SUBGRAPH_TIMEOUT_MS),
  SUBGRAPH_CONCURRENCY: envInteger({ min: 1, max: 100_000 }).default(DEFAULT_SUBGRAPH_CONCURRENCY),
  /** The crews' lane: the emergency subgraph's own deadline and concurrency at the gateway. */
  EMERGENCY_SUBGRAPH_TIMEOUT_MS: envInteger({ min: 100, max: 120_000 }).default(DEFAULT_CREW_LANE.timeoutMs),
  EMERGENCY_SUBGRAPH_CONCURRENCY: envInteger({ min: 1, max: 100_000 }).default(DEFAULT_CREW_LANE.maxConcurrent),
  /** `false`: send every identical in-flight query on its own (they are merged per identity by default; never mutations, emergency or transitions). */
  SUBGRAPH_MERGE_IN_FLIGHT: envEnum(["true", "false"]).default("true"),
  JWT_ALGORITHM: envEnum(JWT_ALGORITHMS).default("HS256"),
  JWT_SECRET: z.string().min(32, { error: "expected at least 32 characters" }).optional(),
  /** PEM (SPKI); `\n` escapes are accepted so it fits in one line. */
  JWT_PUBLIC_KEY: z
    .string()
    .transform((pem) => pem.replace(/\\n/g, "\n"))
    .refine((pem) => pem.includes("-----BEGIN PUBLIC KEY-----"), { error: "expected a PEM public key (BEGIN PUBLIC KEY)" })
    .optional(),
  JWT_ISSUER: z.string().min(1).default("tsunagu"),
  JWT_AUDIENCE: z.string().min(1).default("tsunagu"),
  LIMIT_MAX_DEPTH: limit(DEFAULT_QUERY_LIMITS.maxDepth, 100),
  LIMIT_MAX_ALIASES: limit(DEFAULT_QUERY_LIMITS.maxAliases, 1000),
  LIMIT_MAX_COST: limit(DEFAULT_QUERY_LIMITS.maxCost, 10_000_000),
  LIMIT_MAX_TOKENS: limit(DEFAULT_QUERY_LIMITS.maxTokens, 1_000_000),
  LIMIT_MAX_DIRECTIVES: limit(DEFAULT_QUERY_LIMITS.maxDirectives, 1000),
  LIMIT_SUBSCRIPTIONS_PER_CONNECTION: limit(DEFAULT_SUBSCRIPTION_SETTINGS.maxPerConnection, 1000),
  BODY_LIMIT_BYTES: envInteger({ min: 1024, max: 50 * 1024 * 1024 }).default(DEFAULT_BODY_LIMIT_BYTES),
  RATE_LIMIT_BURST: envInteger({ min: 1, max: 1_000_000 }).default(DEFAULT_RATE_LIMIT.burst),
  RATE_LIMIT_PER_SECOND: envInteger({ min: 1, max: 1_000_000 }).default(DEFAULT_RATE_LIMIT.perSecond),
  /** express "trust proxy": unset/false, true, a hop count, or addresses such as `loopback`. */
  TRUST_PROXY: z
    .string()
    .transform((raw): boolean | number | string => (raw === "true" ? true : raw === "false" ? false : /^\d+$/.test(raw) ? Number(raw) : raw))
    .optional(),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/**
 * The JWT settings of a configuration; HS256 needs a JWT_SECRET that passes `requireSecret`.
 * @throws ConfigError naming JWT_SECRET when it is missing, published or weak.
 */
export function jwtSettingsOf(config: GatewayConfig): JwtSettings {
  const common = { algorithm: config.JWT_ALGORITHM, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  if (config.JWT_ALGORITHM === "HS256") {
    return { ...common, secret: requireSecret(config, "JWT_SECRET") };
  }
  if (config.JWT_PUBLIC_KEY === undefined) {
    throw new ConfigError([{ variable: "JWT_PUBLIC_KEY", problem: `required when JWT_ALGORITHM=${config.JWT_ALGORITHM}` }]);
  }
  return { ...common, publicKey: config.JWT_PUBLIC_KEY };
}

/** What createGateway needs besides the supergraph, the API key store and the logger. */
export type ConfiguredGatewayOptions = Omit<GatewayOptions, "supergraphSdl" | "apiKeys" | "logger">;

/**
 * The identity secret and JWT settings of a configuration, checked (`withGeneratedSecrets` fills in local secrets beforehand).
 * @throws ConfigError when a secret is missing, published, weak or used for both, or RS256/ES256 has no public key.
 */
export function gatewaySecretsOf(config: GatewayConfig): { identitySecret: string; jwt: JwtSettings } {
  const identitySecret = requireSecret(config, "IDENTITY_SECRET");
  const jwt = jwtSettingsOf(config);
  if (jwt.secret !== undefined) requireDistinctSecrets(identitySecret, jwt.secret);
  return { identitySecret, jwt };
}

/**
 * createGateway options from a configuration (with Redis when REDIS_URL is set, the rate limiter connects to it).
 * @throws ConfigError as gatewaySecretsOf.
 */
export function gatewayOptionsOf(config: GatewayConfig): ConfiguredGatewayOptions {
  const { identitySecret, jwt } = gatewaySecretsOf(config);
  return {
    port: config.PORT,
    host: config.HOST,
    environment: config.NODE_ENV,
    identitySecret,
    jwt,
    subgraphUrls: config.SUBGRAPH_URLS ?? {},
    subgraphTimeoutMs: config.SUBGRAPH_TIMEOUT_MS,
    subgraphConcurrency: config.SUBGRAPH_CONCURRENCY,
    mergeInFlight: config.SUBGRAPH_MERGE_IN_FLIGHT === "true",
    subgraphLanes: { emergency: { timeoutMs: config.EMERGENCY_SUBGRAPH_TIMEOUT_MS, maxConcurrent: config.EMERGENCY_SUBGRAPH_CONCURRENCY } },
    limits: {
      maxDepth: config.LIMIT_MAX_DEPTH,
      maxAliases: config.LIMIT_MAX_ALIASES,
      maxCost: config.LIMIT_MAX_COST,
      maxTokens: config.LIMIT_MAX_TOKENS,
      maxDirectives: config.LIMIT_MAX_DIRECTIVES,
    },
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    rateLimiter: new ClientRateLimiter({ burst: config.RATE_LIMIT_BURST, perSecond: config.RATE_LIMIT_PER_SECOND, redisUrl: config.REDIS_URL }),
    trustProxy: config.TRUST_PROXY ?? false,
    redisUrl: config.REDIS_URL,
    subscriptions: { maxPerConnection: config.LIMIT_SUBSCRIPTIONS_PER_CONNECTION },
  };
}
