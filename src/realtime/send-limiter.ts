/** The per-user send limiter: in memory on a single node, in Redis (one key per user, so also on a Redis Cluster) across nodes. */
import type { Cluster, Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";

export function createSendLimiter(
  limit: { sends: number; windowMs: number },
  redis?: { client: Redis | Cluster; keyPrefix: string },
): RateLimiterAbstract {
  const opts = { points: limit.sends, duration: limit.windowMs / 1000 };
  if (!redis) return new RateLimiterMemory(opts);
  return new RateLimiterRedis({
    ...opts,
    storeClient: redis.client,
    keyPrefix: `${redis.keyPrefix}:rl:send`,
    // While Redis is down each node limits on its own rather than refusing every send.
    insuranceLimiter: new RateLimiterMemory(opts),
    rejectIfRedisNotReady: true,
  });
}
