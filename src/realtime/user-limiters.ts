/** Per-user limiters (sends, new rooms, searches): in memory on a single node, in Redis (one key per user, so also on a Redis Cluster) across nodes. */
import type { Cluster, Redis } from "ioredis";
import type { Config } from "../config.js";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";

type RedisOption = { client: Redis | Cluster; keyPrefix: string };

/** `points` per user per window; `name` keeps each limiter's Redis keys apart. */
function createUserLimiter(name: string, points: number, windowMs: number, redis?: RedisOption): RateLimiterAbstract {
  const opts = { points, duration: windowMs / 1000 };
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

function createSendLimiter(limit: { sends: number; windowMs: number }, redis?: RedisOption): RateLimiterAbstract {
  return createUserLimiter("send", limit.sends, limit.windowMs, redis);
}

/** New rooms per user per hour; undefined when MAX_NEW_ROOMS_PER_USER_HOUR is 0 (no limit). */
function createRoomLimiter(perHour: number, redis?: RedisOption): RateLimiterAbstract | undefined {
  return perHour === 0 ? undefined : createUserLimiter("rooms", perHour, 3_600_000, redis);
}

/** Both per-user limits of chat, as ChatContext takes them. */
export function createUserLimiters(config: Pick<Config, "rateLimit" | "maxNewRoomsPerUserHour">, redis?: RedisOption) {
  return {
    sendLimiter: createSendLimiter(config.rateLimit, redis),
    roomLimiter: createRoomLimiter(config.maxNewRoomsPerUserHour, redis),
  };
}

/** messages:search's per-user limit (SEARCH_RATE_LIMIT per SEARCH_RATE_WINDOW_MS). */
export function createSearchLimiter(limit: { limit: number; windowMs: number }, redis?: RedisOption): RateLimiterAbstract {
  return createUserLimiter("search", limit.limit, limit.windowMs, redis);
}
