/**
 * thread:history and thread:follow. Replies themselves are sent with `message:send { threadOf }` (messages.ts):
 * a reply is an ordinary message of the room's log, so delivery and catch-up need nothing more.
 */
import { threadFollowSchema, threadHistorySchema } from "../shared/protocol.js";
import { followThread, isFollowing, readThread } from "../store/threads.js";
import { assertAccess } from "./access.js";
import { requireUser, type ChatContext } from "./context.js";
import { ChatError } from "./errors.js";
import type { On } from "./on.js";

export function registerThreads(ctx: ChatContext, on: On): void {
  on("thread:history", threadHistorySchema, async function onThreadHistory({ room, root, before, limit }, socket) {
    const user = requireUser(socket);
    assertAccess(user, room);
    // Following is read from the primary: the reader's own follow or reply may have just committed.
    const [page, following] = await Promise.all([
      readThread(ctx.reads, room, root, limit ?? ctx.config.historyLimit, before),
      isFollowing(ctx.db, room, root, user),
    ]);
    if (!page) throw new ChatError("not_found", `${room} has no thread root ${root}`);
    return { ...page, following };
  });

  // Following decides whether a thread's replies count as unread (rooms:list).
  on("thread:follow", threadFollowSchema, async function onThreadFollow({ room, root, on: follow }, socket) {
    const user = requireUser(socket);
    assertAccess(user, room);
    if (!(await followThread(ctx.db, room, root, user, follow))) throw new ChatError("not_found", `${room} has no thread root ${root}`);
    return {};
  });
}
