// One-time nonces of signed subgraph requests: each is accepted once within its freshness window, in memory or in Redis (shared by every process).
import type { Redis } from "ioredis";
import type { Logger } from "./logger";
import { connectRedis, disconnectRedis } from "./pubsub";

/** Remembers nonces until they expire; `claim` is true only the first time a nonce is seen. */
export interface NonceStore {
  /** True when `nonce` was not seen within the last `ttlSeconds`; it is then remembered for that long. */
  claim(nonce: string, ttlSeconds: number): Promise<boolean>;
  close(): Promise<void>;
}

/** A nonce store for one process. */
export function memoryNonceStore(now: () => number = Date.now): NonceStore {
  const expiries = new Map<string, number>();
  let nextSweep = 0;
  return {
    async claim(nonce, ttlSeconds) {
      const at = now();
      if (at >= nextSweep) {
        for (const [seen, expiry] of expiries) if (expiry <= at) expiries.delete(seen);
        nextSweep = at + 1000;
      }
      const expiry = expiries.get(nonce);
      if (expiry !== undefined && expiry > at) return false;
      expiries.set(nonce, at + ttlSeconds * 1000);
      return true;
    },
    async close() {
      expiries.clear();
    },
  };
}

/** Redis keys of nonces are `tsunagu:nonce:<nonce>`. */
export const REDIS_NONCE_PREFIX = "tsunagu:nonce:";

/** A nonce store shared by every process using the same Redis (SET NX EX: atomic, expires by itself). */
export function redisNonceStore(client: Redis, ownsClient = false): NonceStore {
  return {
    async claim(nonce, ttlSeconds) {
      const stored = await client.set(`${REDIS_NONCE_PREFIX}${nonce}`, "1", "EX", ttlSeconds, "NX");
      return stored === "OK";
    },
    async close() {
      if (ownsClient) await disconnectRedis(client);
    },
  };
}

/** Redis when `redisUrl` is set (rejects when it cannot be reached), otherwise in memory. */
export async function createNonceStore({ redisUrl, logger }: { redisUrl?: string; logger: Logger }): Promise<NonceStore> {
  if (redisUrl === undefined) return memoryNonceStore();
  return redisNonceStore(await connectRedis(redisUrl, "nonces", logger), true);
}
