/** dm:open: names the DM room of two users, records both memberships, invites the other. */
import { dmOpenSchema, dmRoomName } from "../shared/protocol.js";
import { addMembers } from "../store/rooms.js";
import { requireUser, type ChatContext } from "./context.js";
import { ChatError } from "./errors.js";
import type { On } from "./on.js";

export function registerDms(ctx: ChatContext, on: On): void {
  on("dm:open", dmOpenSchema, async function onDmOpen({ user: other }, socket) {
    const user = requireUser(socket);
    if (other === user) throw new ChatError("invalid_payload", "a direct message needs another user");
    const room = dmRoomName(user, other);
    // Both memberships: the DM shows in the other user's rooms:list even if they were offline.
    await addMembers(ctx.db, room, [user, other]);
    ctx.users.emit(other, "dm:invited", { room, from: user });
    return { room };
  });
}
