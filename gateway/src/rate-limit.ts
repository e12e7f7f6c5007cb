// Rate limiting at the gateway: a token bucket per API key, else per user, else per client IP, answered with HTTP 429 and code RATE_LIMITED.
import type { Request, RequestHandler } from "express";
import { rateLimited, sendErrorResponse, trackingOf } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";

/** The outcome of one request against its bucket. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** When refused: seconds until a request would be allowed (at least 1). */
  retryAfterSeconds: number;
}

/** A limiter the gateway can swap: in memory for one process, Redis-backed for several. */
export interface RateLimiter {
  consume(key: string): Promise<RateLimitDecision>;
}

export interface TokenBucketOptions {
  /** Requests allowed in a burst (bucket size). */
  burst: number;
  /** Tokens added per second (sustained rate). */
  perSecond: number;
  /** Buckets kept before the least recently used are forgotten; default 100,000. */
  maxKeys?: number;
  /** Clock in milliseconds; tests pass their own. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Token buckets in this process's memory (least recently used forgotten beyond `maxKeys`). */
export class TokenBucketRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly options: TokenBucketOptions) {
    if (options.burst < 1 || options.perSecond <= 0) throw new Error("rate limit burst must be ≥ 1 and perSecond > 0");
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  async consume(key: string): Promise<RateLimitDecision> {
    const { burst, perSecond } = this.options;
    const now = this.now();
    const previous = this.buckets.get(key);
    const refilled =
      previous === undefined ? burst : Math.min(burst, previous.tokens + ((now - previous.updatedMs) / 1000) * perSecond);
    const allowed = refilled >= 1;
    const tokens = allowed ? refilled - 1 : refilled;

    this.buckets.delete(key);
    this.buckets.set(key, { tokens, updatedMs: now });
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    return {
      allowed,
      remaining: Math.floor(tokens),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / perSecond)),
    };
  }
}

/** The bucket a request draws from: its API key, else its user, else its client IP. */
export function rateLimitKey(identity: Identity, ip: string | undefined): string {
  if (identity.authMethod === "apiKey" && identity.subject !== undefined) return `key:${identity.subject}`;
  if (identity.authMethod === "jwt" && identity.subject !== undefined) return `user:${identity.subject}`;
  return `ip:${ip ?? "unknown"}`;
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
