/** Full-text search over the rooms a user may read: public rooms and the user's own DMs. */
import type { SearchResult } from "../shared/protocol.js";
import type { Queryable } from "./db.js";
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from "./rows.js";

export async function searchMessages(
  db: Queryable,
  user: string,
  query: string,
  opts: { room?: string; before?: number; limit: number },
): Promise<SearchResult> {
  const rows = await db.query<MessageRow & { id: number }>(
    `SELECT ${MESSAGE_COLUMNS}, id FROM messages
      WHERE to_tsvector('simple', body) @@ websearch_to_tsquery('simple', $1)
        AND NOT deleted
        AND ($2::text IS NULL OR room = $2)
        AND id < $3
        AND (room NOT LIKE 'dm:%' OR split_part(room, ':', 2) = $4 OR split_part(room, ':', 3) = $4)
      ORDER BY id DESC LIMIT $5`,
    [query, opts.room ?? null, opts.before ?? Number.MAX_SAFE_INTEGER, user, opts.limit + 1],
  );
  const page = rows.slice(0, opts.limit);
  const result: SearchResult = { messages: page.map(toMessage), hasMore: rows.length > opts.limit };
  if (result.hasMore) result.nextBefore = page[page.length - 1]!.id;
  return result;
}
