/**
 * rooms:browse: the public rooms that exist, a page at a time. Each call counts against the
 * user's lookup budget (SEARCH_RATE_LIMIT, shared with messages:search) and reads one index
 * range (store/browse.ts), so neither the rate nor the size of what a client asks for can
 * make it costly. DM rooms are never listed.
 */
import { browseSchema, DEFAULT_BROWSE_LIMIT, isNamePrefix } from "../shared/protocol.js";
import { browseRooms } from "../store/browse.js";
import { requireUser, type ChatContext } from "./context.js";
import type { On } from "./on.js";
import { consumeLookup } from "./quota.js";

export function registerBrowse(ctx: ChatContext, on: On): void {
  on("rooms:browse", browseSchema, async function onBrowse(payload, socket) {
    const user = requireUser(socket);
    await consumeLookup(ctx, user);
    const query = payload?.query ?? "";
    if (query !== "" && !isNamePrefix(query)) return { rooms: [] };
    return browseRooms(ctx.reads, {
      prefix: query,
      after: payload?.cursor,
      limit: payload?.limit ?? DEFAULT_BROWSE_LIMIT,
    });
  });
}
