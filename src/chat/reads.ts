/** message:read: the user's read marker, which only moves forward. */
import { readSchema } from "../shared/protocol.js";
import { markRead } from "../store/rooms.js";
import { v1Room } from "./broadcast.js";
import { requireJoined, requireUser, type ChatContext } from "./context.js";
import { ChatError } from "./errors.js";
import type { On } from "./on.js";

export function registerReads(ctx: ChatContext, on: On): void {
  on("message:read", readSchema, async function onRead({ room, seq }, socket) {
    const user = requireUser(socket);
    requireJoined(socket, room);
    const result = await markRead(ctx.db, room, user, seq);
    if (result === "not_found") throw new ChatError("not_found", `${room} has no message ${seq}`);
    if (result === "moved") ctx.io.to(v1Room(room)).except(socket.id).emit("message:read", { room, user, seq });
    return {};
  });
}
