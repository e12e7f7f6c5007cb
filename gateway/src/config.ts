// The gateway's environment variables (validated with zod at start) and how they become createGateway options.
import { resolve } from "node:path";
import { z } from "zod";
import {
  ConfigError,
  DEVELOPMENT_IDENTITY_SECRET,
  baseConfigSchema,
  envEnum,
  envInteger,
  identityConfigSchema,
  pubsubConfigSchema,
  secretOrDevelopmentDefault,
  subgraphUrlsSchema,
} from "@tsunagu/service-kit";
import { JWT_ALGORITHMS } from "./auth";
import type { JwtSettings } from "./auth";
import { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_QUERY_LIMITS } from "./limits";
import { TokenBucketRateLimiter } from "./rate-limit";
import { DEFAULT_GATEWAY_PORT, DEFAULT_RATE_LIMIT, DEFAULT_SUBGRAPH_TIMEOUT_MS } from "./server";
import { DEFAULT_SUBSCRIPTION_SETTINGS } from "./subscriptions";
import type { GatewayOptions } from "./server";

/** `schema/supergraph.graphql` of this repository. */
export const DEFAULT_SUPERGRAPH_PATH = resolve(__dirname, "../../schema/supergraph.graphql");

/** A development-only JWT secret, refused when NODE_ENV=production (so `npm run token` works out of the box). */
export const DEVELOPMENT_JWT_SECRET = "tsunagu-development-jwt-secret-not-for-production";

const limit = (fallback: number, max: number) => envInteger({ min: 1, max }).default(fallback);

export const gatewayConfigSchema = baseConfigSchema.extend({
  ...identityConfigSchema.shape,
  ...pubsubConfigSchema.shape,
  PORT: envInteger({ min: 0, max: 65535 }).default(DEFAULT_GATEWAY_PORT),
  HOST: z.string().min(1).default("0.0.0.0"),
  SUPERGRAPH_PATH: z.string().min(1).default(DEFAULT_SUPERGRAPH_PATH),
  SUBGRAPH_URLS: subgraphUrlsSchema.optional(),
  SUBGRAPH_TIMEOUT_MS: envInteger({ min: 100, max: 120_000 }).default(DEFAULT_SUBGRAPH_TIMEOUT_MS),
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

/** The JWT settings of a configuration; HS256 falls back to DEVELOPMENT_JWT_SECRET outside production. */
export function jwtSettingsOf(config: GatewayConfig): JwtSettings {
  const common = { algorithm: config.JWT_ALGORITHM, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  if (config.JWT_ALGORITHM === "HS256") {
    return { ...common, secret: secretOrDevelopmentDefault(config, "JWT_SECRET", DEVELOPMENT_JWT_SECRET) };
  }
  if (config.JWT_PUBLIC_KEY === undefined) {
    throw new ConfigError([{ variable: "JWT_PUBLIC_KEY", problem: `required when JWT_ALGORITHM=${config.JWT_ALGORITHM}` }]);
  }
  return { ...common, publicKey: config.JWT_PUBLIC_KEY };
}

/** What createGateway needs besides the supergraph, the API key store and the logger. */
export type ConfiguredGatewayOptions = Omit<GatewayOptions, "supergraphSdl" | "apiKeys" | "logger">;

/**
 * createGateway options from a configuration. Outside production, an unset JWT_SECRET or
 * IDENTITY_SECRET falls back to its documented development default.
 * @throws ConfigError when a secret is missing in production or RS256/ES256 has no public key.
 */
export function gatewayOptionsOf(config: GatewayConfig): ConfiguredGatewayOptions {
  return {
    port: config.PORT,
    host: config.HOST,
    environment: config.NODE_ENV,
    identitySecret: secretOrDevelopmentDefault(config, "IDENTITY_SECRET", DEVELOPMENT_IDENTITY_SECRET),
    jwt: jwtSettingsOf(config),
    subgraphUrls: config.SUBGRAPH_URLS ?? {},
    subgraphTimeoutMs: config.SUBGRAPH_TIMEOUT_MS,
    limits: {
      maxDepth: config.LIMIT_MAX_DEPTH,
      maxAliases: config.LIMIT_MAX_ALIASES,
      maxCost: config.LIMIT_MAX_COST,
      maxTokens: config.LIMIT_MAX_TOKENS,
      maxDirectives: config.LIMIT_MAX_DIRECTIVES,
    },
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    rateLimiter: new TokenBucketRateLimiter({ burst: config.RATE_LIMIT_BURST, perSecond: config.RATE_LIMIT_PER_SECOND }),
    trustProxy: config.TRUST_PROXY ?? false,
    redisUrl: config.REDIS_URL,
    subscriptions: { maxPerConnection: config.LIMIT_SUBSCRIPTIONS_PER_CONNECTION },
  };
}
