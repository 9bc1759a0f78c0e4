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
  on("message:send", sendSchema(ctx.config.maxMessageChars), async function onSend({ room, body, clientId, threadOf }, socket) {
    const user = requireUser(socket);
    requireJoined(socket, room);
    return { message: await storeAndBroadcast(ctx, room, user, body, clientId, threadOf) };
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
): Promise<Message> {
  await consumeSend(ctx, user);
  const appended = await append(ctx, { room, user, body, clientId, threadOf });
  const { message, created, root } = appended;
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

