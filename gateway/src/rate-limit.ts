// Rate limiting at the gateway with rate-limiter-flexible: one budget per API key, else per user, else per client IP, shared by every gateway through Redis when REDIS_URL is set (in memory otherwise), for HTTP requests and WebSocket connections alike; over it: HTTP 429 with Retry-After and code RATE_LIMITED.
import type { IncomingMessage } from "node:http";
import type { Request, RequestHandler } from "express";
import { Redis } from "ioredis";
import proxyAddr from "proxy-addr";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { rateLimited, sendErrorResponse, trackingOf } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";

/** The outcome of one request against its budget. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests left in the current window after this one. */
  remaining: number;
  /** When refused: seconds until a request would be allowed (at least 1). */
  retryAfterSeconds: number;
}

/** What the gateway asks before serving a request or accepting a WebSocket connection. */
export interface RateLimiter {
  consume(key: string): Promise<RateLimitDecision>;
  /** Releases what the limiter holds (its Redis connection); the gateway calls it when it stops. */
  close?(): Promise<void>;
}

export interface ClientRateLimitOptions {
  /** Requests a client may send at once. */
  burst: number;
  /** Requests per second on average: the budget of `burst` is renewed every burst / perSecond seconds. */
  perSecond: number;
  /** REDIS_URL: every gateway using the same Redis shares each client's budget; absent: this process only. */
  redisUrl?: string;
}

/** Where the budgets live in Redis. */
const REDIS_KEY_PREFIX = "tsunagu:rate";

/**
 * Each client's budget of `burst` requests per window of burst / perSecond seconds (at least one), counted in Redis
 * when `redisUrl` is set (with an in-memory limiter standing in while Redis is unreachable) or in this process.
 */
export class ClientRateLimiter implements RateLimiter {
  private readonly limiter: RateLimiterAbstract;
  private readonly redis: Redis | undefined;

  constructor({ burst, perSecond, redisUrl }: ClientRateLimitOptions) {
    if (burst < 1 || perSecond <= 0) throw new Error("rate limit burst must be ≥ 1 and perSecond > 0");
    const window = { points: burst, duration: Math.max(1, Math.round(burst / perSecond)) };
    if (redisUrl === undefined) {
      this.limiter = new RateLimiterMemory(window);
      return;
    }
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    this.redis.on("error", () => undefined);
    this.limiter = new RateLimiterRedis({
      ...window,
      storeClient: this.redis,
      keyPrefix: REDIS_KEY_PREFIX,
      insuranceLimiter: new RateLimiterMemory(window),
    });
  }

  async consume(key: string): Promise<RateLimitDecision> {
    try {
      const result = await this.limiter.consume(key);
      return { allowed: true, remaining: result.remainingPoints, retryAfterSeconds: 0 };
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)) };
    }
  }

  async close(): Promise<void> {
    this.redis?.disconnect();
  }
}

/** The budget a request draws from: its API key, else its user, else its client IP. */
export function rateLimitKey(identity: Identity, ip: string | undefined): string {
  if (identity.authMethod === "apiKey" && identity.subject !== undefined) return `key:${identity.subject}`;
  if (identity.authMethod === "jwt" && identity.subject !== undefined) return `user:${identity.subject}`;
  return `ip:${ip ?? "unknown"}`;
}

/** The client's address as express's `req.ip` gives it under the same "trust proxy" setting (for WebSocket upgrades). */
export function clientIpOf(request: IncomingMessage, trustProxy: boolean | number | string): string | undefined {
  if (request.socket.remoteAddress === undefined) return undefined;
  return proxyAddr(request, trustOf(trustProxy));
}

/** express's compilation of a "trust proxy" value. */
function trustOf(trustProxy: boolean | number | string): (address: string, hop: number) => boolean {
  if (trustProxy === true) return () => true;
  if (trustProxy === false) return () => false;
  if (typeof trustProxy === "number") return (_address, hop) => hop < trustProxy;
  return proxyAddr.compile(trustProxy.split(",").map((value) => value.trim()));
}

/** Express middleware (after authentication): refuses requests over the limit with 429 and Retry-After. */
export function limitRate(limiter: RateLimiter, identities: WeakMap<Request, Identity>): RequestHandler {
  return async (req, res, next) => {
    const identity = identities.get(req);
    if (identity === undefined) throw new Error("authenticateRequests() must run before limitRate()");
    const key = rateLimitKey(identity, req.ip);
    const decision = await limiter.consume(key);
    if (!decision.allowed) {
      trackingOf(res).logger.warn({ bucket: key }, "rate limited");
      sendErrorResponse(res, 429, rateLimited(decision.retryAfterSeconds), {
        "Retry-After": String(decision.retryAfterSeconds),
      });
      return;
    }
    res.setHeader("RateLimit-Remaining", String(decision.remaining));
    next();
  };
}
