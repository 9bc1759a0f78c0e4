/** The per-user limits of chat actions, cluster-wide through rate-limiter-flexible (realtime/ratelimit.ts). */
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { ChatContext } from "./context.js";
import { ChatError } from "./errors.js";

/** One unit of the user's send limit (RATE_LIMIT_SENDS), cluster-wide; over it `rate_limited`. */
export function consumeSend(ctx: ChatContext, user: string): Promise<void> {
  return consume(ctx, ctx.sendLimiter, user, "messages");
}

/** One of the user's new rooms this hour (MAX_NEW_ROOMS_PER_USER_HOUR); joining an existing room costs none. */
export function consumeNewRoom(ctx: ChatContext, user: string): Promise<void> {
  return ctx.roomLimiter ? consume(ctx, ctx.roomLimiter, user, "new rooms") : Promise.resolve();
}

/** One lookup (messages:search, rooms:browse) of the user's SEARCH_RATE_LIMIT, cluster-wide. */
export function consumeLookup(ctx: ChatContext, user: string): Promise<void> {
  return consume(ctx, ctx.lookupLimiter, user, "searches");
}

async function consume(ctx: ChatContext, limiter: RateLimiterAbstract, user: string, what: string): Promise<void> {
  try {
    await limiter.consume(user);
  } catch (res) {
    if (res instanceof RateLimiterRes) {
      ctx.metrics.rateLimited.inc();
      const retryAfterMs = Math.max(1, Math.ceil(res.msBeforeNext));
      throw new ChatError("rate_limited", `too many ${what}; try again in ${Math.ceil(retryAfterMs / 1000)} s`, retryAfterMs);
    }
    throw res;
  }
}
