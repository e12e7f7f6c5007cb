// The in-memory token bucket and how a request picks its bucket.
import { TokenBucketRateLimiter, rateLimitKey } from "../src/rate-limit";
import { PUBLIC_IDENTITY } from "@tsunagu/service-kit";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test("a burst is allowed, then requests wait for tokens to refill", async () => {
  const time = clock();
  const limiter = new TokenBucketRateLimiter({ burst: 3, perSecond: 2, now: time.now });
  const decisions = [];
  for (let i = 0; i < 4; i++) decisions.push(await limiter.consume("ip:1"));
  expect(decisions.map((d) => [d.allowed, d.remaining, d.retryAfterSeconds])).toEqual([
    [true, 2, 0],
    [true, 1, 0],
    [true, 0, 0],
    [false, 0, 1],
  ]);
  time.advance(499);
  expect((await limiter.consume("ip:1")).allowed).toBe(false);
  time.advance(502);
  expect(await limiter.consume("ip:1")).toEqual({ allowed: true, remaining: 1, retryAfterSeconds: 0 });
  time.advance(60_000);
  expect((await limiter.consume("ip:1")).remaining).toBe(2);
});

test("Retry-After covers the time to the next whole token", async () => {
  const time = clock();
  const limiter = new TokenBucketRateLimiter({ burst: 1, perSecond: 0.1, now: time.now });
  await limiter.consume("k");
  expect((await limiter.consume("k")).retryAfterSeconds).toBe(10);
  time.advance(4000);
  expect((await limiter.consume("k")).retryAfterSeconds).toBe(6);
});

test("buckets are separate, and the least recently used are forgotten beyond maxKeys", async () => {
  const time = clock();
  const limiter = new TokenBucketRateLimiter({ burst: 1, perSecond: 0.001, maxKeys: 2, now: time.now });
  expect((await limiter.consume("a")).allowed).toBe(true);
  expect((await limiter.consume("b")).allowed).toBe(true);
  expect((await limiter.consume("a")).allowed).toBe(false);
  expect((await limiter.consume("c")).allowed).toBe(true);
  expect((await limiter.consume("b")).allowed).toBe(true);
  expect((await limiter.consume("a")).allowed).toBe(true);
});

test("invalid settings are refused", () => {
  expect(() => new TokenBucketRateLimiter({ burst: 0, perSecond: 1 })).toThrow("rate limit burst must be ≥ 1 and perSecond > 0");
});

test("the bucket is the API key, else the user, else the client IP", () => {
  expect(rateLimitKey({ role: "VENDOR", authMethod: "apiKey", subject: "key-1", scopes: [] }, "10.0.0.1")).toBe("key:key-1");
  expect(rateLimitKey({ role: "EMS", authMethod: "jwt", subject: "user-1", scopes: [] }, "10.0.0.1")).toBe("user:user-1");
  expect(rateLimitKey(PUBLIC_IDENTITY, "10.0.0.1")).toBe("ip:10.0.0.1");
  expect(rateLimitKey(PUBLIC_IDENTITY, undefined)).toBe("ip:unknown");
});
