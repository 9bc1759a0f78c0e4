/**
 * thread:history. Replies themselves are sent with `message:send { threadOf }` (messages.ts):
 * a reply is an ordinary message of the room's log, so delivery and catch-up need nothing more.
 */
import { threadHistorySchema } from "../shared/protocol.js";
import { readThread } from "../store/threads.js";
import { assertAccess } from "./access.js";
import { requireUser, type ChatContext } from "./context.js";
import { ChatError } from "./errors.js";
import type { On } from "./on.js";

export function registerThreads(ctx: ChatContext, on: On): void {
  on("thread:history", threadHistorySchema, async function onThreadHistory({ room, root, before, limit }, socket) {
    const user = requireUser(socket);
    assertAccess(user, room);
    const page = await readThread(ctx.reads, room, root, limit ?? ctx.config.historyLimit, before);
    if (!page) throw new ChatError("not_found", `${room} has no thread root ${root}`);
    return page;
  });
}
