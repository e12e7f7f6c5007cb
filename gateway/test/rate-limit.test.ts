// The client rate limiter (in memory and shared through Redis), how a request picks its budget, and the client address behind a proxy.
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { PUBLIC_IDENTITY } from "@tsunagu/service-kit";
import { startRedisServer } from "@tsunagu/test-kit";
import type { RedisServer } from "@tsunagu/test-kit";
import { ClientRateLimiter, clientIpOf, rateLimitKey } from "../src/rate-limit";

afterEach(() => {
  jest.useRealTimers();
});

test("a burst is allowed, then requests are refused with Retry-After until the window renews", async () => {
  jest.useFakeTimers({ now: 1_000_000 });
  // 3 requests per window of round(3 / 1) = 3 seconds.
  const limiter = new ClientRateLimiter({ burst: 3, perSecond: 1 });
  const decisions = [];
  for (let i = 0; i < 4; i++) decisions.push(await limiter.consume("ip:1"));
  expect(decisions.map((d) => [d.allowed, d.remaining, d.retryAfterSeconds])).toEqual([
    [true, 2, 0],
    [true, 1, 0],
    [true, 0, 0],
    [false, 0, 3],
  ]);
  jest.setSystemTime(1_000_000 + 1_500);
  expect(await limiter.consume("ip:1")).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 2 });
  jest.setSystemTime(1_000_000 + 3_001);
  expect(await limiter.consume("ip:1")).toEqual({ allowed: true, remaining: 2, retryAfterSeconds: 0 });
});

test("budgets are separate per key", async () => {
  const limiter = new ClientRateLimiter({ burst: 1, perSecond: 0.01 });
  expect((await limiter.consume("a")).allowed).toBe(true);
  expect((await limiter.consume("a")).allowed).toBe(false);
  expect((await limiter.consume("b")).allowed).toBe(true);
});

test("invalid settings are refused", () => {
  expect(() => new ClientRateLimiter({ burst: 0, perSecond: 1 })).toThrow("rate limit burst must be ≥ 1 and perSecond > 0");
});

describe("with REDIS_URL", () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(() => redis?.stop());

  test("two gateways share each client's budget", async () => {
    const first = new ClientRateLimiter({ burst: 3, perSecond: 0.01, redisUrl: redis.url });
    const second = new ClientRateLimiter({ burst: 3, perSecond: 0.01, redisUrl: redis.url });
    const key = `user:shared-${Date.now()}`;
    try {
      expect((await first.consume(key)).remaining).toBe(2);
      expect((await second.consume(key)).remaining).toBe(1);
      expect((await first.consume(key)).remaining).toBe(0);
      const refused = await second.consume(key);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(200);
      expect((await first.consume(`${key}-other`)).allowed).toBe(true);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

test("the budget is the API key, else the user, else the client IP", () => {
  expect(rateLimitKey({ role: "VENDOR", authMethod: "apiKey", subject: "key-1", scopes: [] }, "10.0.0.1")).toBe("key:key-1");
  expect(rateLimitKey({ role: "EMS", authMethod: "jwt", subject: "user-1", scopes: [] }, "10.0.0.1")).toBe("user:user-1");
  expect(rateLimitKey(PUBLIC_IDENTITY, "10.0.0.1")).toBe("ip:10.0.0.1");
  expect(rateLimitKey(PUBLIC_IDENTITY, undefined)).toBe("ip:unknown");
});

test("a WebSocket upgrade's client address follows TRUST_PROXY as express's req.ip does", () => {
  const upgrade = {
    headers: { "x-forwarded-for": "203.0.113.7, 10.0.0.2" },
    socket: { remoteAddress: "127.0.0.1" } as Socket,
    connection: { remoteAddress: "127.0.0.1" },
  };
  const request = upgrade as unknown as IncomingMessage;
  expect(clientIpOf(request, false)).toBe("127.0.0.1");
  expect(clientIpOf(request, true)).toBe("203.0.113.7");
  expect(clientIpOf(request, 1)).toBe("10.0.0.2");
  expect(clientIpOf(request, "loopback")).toBe("10.0.0.2");
  expect(clientIpOf(request, "loopback, 10.0.0.0/8")).toBe("203.0.113.7");
});
