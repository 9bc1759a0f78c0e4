/**
 * Rich messaging: edit, delete, react, search. Every change is a position in the room's
 * log and reaches everyone as `message:updated`, and reconnecting clients through `since`.
 */
import type { Socket } from "socket.io";
import { deleteSchema, editSchema, MAX_SEARCH_LIMIT, reactSchema, searchSchema } from "../shared/protocol.js";
import { changeMessage, type ChangeOutcome } from "../store/changes.js";
import { assertAccess } from "./access.js";
import { v1Room } from "./broadcast.js";
import { requireJoined, requireUser, type ChatContext } from "./context.js";
import { ChatError } from "./errors.js";
import type { On } from "./on.js";

export function registerRich(ctx: ChatContext, on: On): void {
  on("message:edit", editSchema(ctx.config.maxMessageChars), async function onEdit({ room, seq, body }, socket) {
    const outcome = await change(ctx, socket, room, seq, { type: "edit", body });
    return { message: outcome.message };
  });

  on("message:delete", deleteSchema, async function onDelete({ room, seq }, socket) {
    await change(ctx, socket, room, seq, { type: "delete" });
    return {};
  });

  on("message:react", reactSchema, async function onReact({ room, seq, emoji, on: set }, socket) {
    const outcome = await change(ctx, socket, room, seq, { type: "react", emoji, on: set });
    return { message: outcome.message };
  });

  on("messages:search", searchSchema, async function onSearch({ room, query, before, limit }, socket) {
    const user = requireUser(socket);
    if (room) assertAccess(user, room);
    return ctx.search.search(user, query, { room, before, limit: limit ?? Math.min(ctx.config.historyLimit, MAX_SEARCH_LIMIT) });
  });
}

async function change(
  ctx: ChatContext,
  socket: Socket,
  room: string,
  seq: number,
  what: Parameters<typeof changeMessage>[4],
): Promise<Extract<ChangeOutcome, { message: unknown }>> {
  const user = requireUser(socket);
  requireJoined(socket, room);
  const outcome = await changeMessage(ctx.db, room, seq, user, what);
  if (outcome.kind === "not_found") throw new ChatError("not_found", `${room} has no message ${seq}`);
  if (outcome.kind === "forbidden") throw new ChatError("forbidden", "only the author may change a message");
  if (outcome.kind === "changed") {
    ctx.io.to(v1Room(room)).emit("message:updated", { room, seq, updateSeq: outcome.updateSeq, message: outcome.message });
    if (outcome.dropped) ctx.attachments.purgeSoon();
  }
  return outcome;
}
