// One-time nonces: in memory for one process, and in Redis shared by every process (a nonce one replica accepted is refused by another), expiring after their window.
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "../src/logger";
import { createNonceStore, memoryNonceStore } from "../src/nonces";
import { startRedisServer } from "@tsunagu/test-kit";
import type { RedisServer } from "@tsunagu/test-kit";

const logger = createLogger({ name: "nonces-test", level: "silent" });

test("in memory: a nonce is accepted once within its window and again after it", async () => {
  let now = 1_000_000;
  const store = memoryNonceStore(() => now);
  expect(await store.claim("n1", 60)).toBe(true);
  expect(await store.claim("n1", 60)).toBe(false);
  now += 59_000;
  expect(await store.claim("n1", 60)).toBe(false);
  now += 2_000;
  expect(await store.claim("n1", 60)).toBe(true);
});

describe("in Redis", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  test("two processes' stores share nonces: what one accepted the other refuses, until it expires", async () => {
    const first = await createNonceStore({ redisUrl: redis.url, logger });
    const second = await createNonceStore({ redisUrl: redis.url, logger });
    try {
      expect(await first.claim("emergency:abc", 1)).toBe(true);
      expect(await second.claim("emergency:abc", 1)).toBe(false);
      expect(await first.claim("emergency:abc", 1)).toBe(false);
      await sleep(1100);
      expect(await second.claim("emergency:abc", 1)).toBe(true);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
