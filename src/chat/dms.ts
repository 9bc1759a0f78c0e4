/**
 * dm:open: names the DM room of two users, records both memberships, invites the other once.
 * Each call counts against the sender's send limit; only users who have connected at least
 * once can be opened a DM with, so no membership is made for a name nobody uses.
 */
import { dmOpenSchema, dmRoomName } from "../shared/protocol.js";
import { addMembers } from "../store/rooms.js";
import { userExists } from "../store/users.js";
import { requireUser, type ChatContext } from "./context.js";
import { ChatError } from "./errors.js";
import { consumeNewRoom, consumeSend } from "./quota.js";
import type { On } from "./on.js";

export function registerDms(ctx: ChatContext, on: On): void {
  on("dm:open", dmOpenSchema, async function onDmOpen({ user: other }, socket) {
    const user = requireUser(socket);
    if (other === user) throw new ChatError("invalid_payload", "a direct message needs another user");
    await consumeSend(ctx, user);
    if (!(await userExists(ctx.db, other))) throw new ChatError("not_found", `${other} has never connected`);
    const room = dmRoomName(user, other);
    // Both memberships: the DM shows in the other user's rooms:list even if they were offline.
    const added = await addMembers(ctx.db, room, [user, other], () => consumeNewRoom(ctx, user));
    // Invited when the DM first reaches them, not at every dm:open: repeating it cannot spam.
    if (added.includes(other)) ctx.users.emit(other, "dm:invited", { room, from: user });
    return { room };
  });
}
