/** message:send: rate limit, store (group commit), then broadcast to every node. */
import { randomUUID } from "node:crypto";
import { mentionTargets, sendSchema, type Message } from "../shared/protocol.js";
import { requireJoined, requireUser, type ChatContext } from "./context.js";
import type { On } from "./on.js";
import { consumeSend } from "./quota.js";

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
