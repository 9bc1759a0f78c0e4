/** message:send: rate limit, store (group commit), then broadcast to every node. */
import { randomUUID } from "node:crypto";
import { mentionTargets, sendSchema, type Message } from "../shared/protocol.js";
import { MissingThreadRoot, type AppendRequest, type AppendResult } from "../store/writer.js";
import { v1Room } from "./broadcast.js";
import { requireJoined, requireUser, type ChatContext } from "./context.js";
import { ChatError } from "./errors.js";
import type { On } from "./on.js";
import { consumeSend } from "./quota.js";

export function registerMessages(ctx: ChatContext, on: On): void {
  const schema = sendSchema(ctx.config.maxMessageChars, ctx.config.attachments.maxPerMessage);
  on("message:send", schema, async function onSend({ room, body, clientId, threadOf, attachments }, socket) {
    const user = requireUser(socket);
    requireJoined(socket, room);
    return { message: await storeAndBroadcast(ctx, room, user, body, clientId, threadOf, attachments) };
  });
}

/** The one write path for every send, whichever event asked for it. Resolves after commit; broadcasts only new messages. */
export async function storeAndBroadcast(
  ctx: ChatContext,
  room: string,
  user: string,
  body: string,
  clientId: string = randomUUID(),
  threadOf?: number,
  uploads?: string[],
): Promise<Message> {
  await consumeSend(ctx, user);
  // Claimed with the clientId before the append: a retry claims them again, and files of a
  // send that never commits are swept with the unlinked uploads (chat/attachments.ts).
  const attachments = uploads?.length ? await ctx.attachments.claim(room, user, clientId, uploads) : undefined;
  const appended = await append(ctx, { room, user, body, clientId, threadOf, attachments });
  const { message, created, root } = appended;
  if (attachments) ctx.attachments.linked(room, user, clientId, message.seq);
  if (created) {
    ctx.broadcast.message(appended);
    // The root's new summary, at the position after the reply: after it, so positions arrive in order.
    if (root) ctx.io.to(v1Room(room)).emit("message:updated", { room, seq: root.message.seq, updateSeq: root.updateSeq, message: root.message });
    ctx.cluster?.noteLocalOnlyWrite(room);
    for (const target of mentionTargets(room, user, message.body)) {
      ctx.users.emit(target, "mention", { room, seq: message.seq, from: user });
    }
  }
  return message;
}

async function append(ctx: ChatContext, req: AppendRequest): Promise<AppendResult> {
  try {
    return await ctx.writer.append(req);
  } catch (err) {
    if (err instanceof MissingThreadRoot) throw new ChatError("not_found", err.message);
    throw err;
  }
}

