/**
 * Per-user limiters (sends, searches): in memory on a single node, in Redis across a
 * cluster (one key per user, so also on a Redis Cluster).
 */
import type { Cluster, Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";

export function createSendLimiter(
  limit: { sends: number; windowMs: number },
  redis?: { client: Redis | Cluster; keyPrefix: string },
): RateLimiterAbstract {
  return createUserLimiter("send", { points: limit.sends, windowMs: limit.windowMs }, redis);
}

/** messages:search's per-user limit (SEARCH_RATE_LIMIT per SEARCH_RATE_WINDOW_MS). */
export function createSearchLimiter(
  limit: { limit: number; windowMs: number },
  redis?: { client: Redis | Cluster; keyPrefix: string },
): RateLimiterAbstract {
  return createUserLimiter("search", { points: limit.limit, windowMs: limit.windowMs }, redis);
}

/** `points` per user per window; `name` keeps each limiter's Redis keys apart. */
function createUserLimiter(
  name: string,
  limit: { points: number; windowMs: number },
  redis?: { client: Redis | Cluster; keyPrefix: string },
): RateLimiterAbstract {
  const opts = { points: limit.points, duration: limit.windowMs / 1000 };
  if (!redis) return new RateLimiterMemory(opts);
  return new RateLimiterRedis({
    ...opts,
    storeClient: redis.client,
    keyPrefix: `${redis.keyPrefix}:rl:${name}`,
    // While Redis is down each node limits on its own rather than refusing everything.
    insuranceLimiter: new RateLimiterMemory(opts),
    rejectIfRedisNotReady: true,
  });
}
