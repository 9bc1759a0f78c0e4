/** typing: relayed to the others in the room, never stored. */
import { typingSchema } from "../shared/protocol.js";
import { requireJoined, requireUser, type ChatContext } from "./context.js";
import type { On } from "./on.js";

export function registerTyping(ctx: ChatContext, on: On): void {
  on("typing", typingSchema, async function onTyping({ room, typing }, socket) {
    const user = requireUser(socket);
    requireJoined(socket, room);
    ctx.broadcast.typing(room, user, typing, socket.id);
    return {};
  });
}
