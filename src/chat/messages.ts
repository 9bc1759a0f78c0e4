/** message:send: rate limit, store (group commit), then broadcast to every node. */
import { randomUUID } from "node:crypto";
import { RateLimiterRes } from "rate-limiter-flexible";
import { mentionTargets, sendSchema, type Message } from "../shared/protocol.js";
import { requireJoined, requireUser, type ChatContext } from "./context.js";
import { ChatError } from "./errors.js";
import type { On } from "./on.js";

export function registerMessages(ctx: ChatContext, on: On): void {
  on("message:send", sendSchema(ctx.config.maxMessageChars), async function onSend({ room, body, clientId }, socket) {
    const user = requireUser(socket);
    requireJoined(socket, room);
    return { message: await storeAndBroadcast(ctx, room, user, body, clientId) };
  });
}

/** The one write path for every send, whichever event asked for it. Resolves after commit; broadcasts only new messages. */
export async function storeAndBroadcast(
  ctx: ChatContext,
  room: string,
  user: string,
  body: string,
  clientId: string = randomUUID(),
): Promise<Message> {
  await consumeSend(ctx, user);
  const appended = await ctx.writer.append({ room, user, body, clientId });
  const { message, created } = appended;
  if (created) {
    ctx.broadcast.message(appended);
    ctx.cluster?.noteLocalOnlyWrite(room);
    for (const target of mentionTargets(room, user, message.body)) {
      ctx.users.emit(target, "mention", { room, seq: message.seq, from: user });
    }
  }
  return message;
}

/** One unit of the user's send limit (RATE_LIMIT_SENDS), cluster-wide; over it `rate_limited`. */
export async function consumeSend(ctx: ChatContext, user: string): Promise<void> {
  try {
    await ctx.sendLimiter.consume(user);
  } catch (res) {
    if (res instanceof RateLimiterRes) {
      ctx.metrics.rateLimited.inc();
      const retryAfterMs = Math.max(1, Math.ceil(res.msBeforeNext));
      throw new ChatError("rate_limited", `too many messages; try again in ${Math.ceil(retryAfterMs / 1000)} s`, retryAfterMs);
    }
    throw res;
  }
}
