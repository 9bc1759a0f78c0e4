/** Reading one thread: its root and a page of its replies (index messages_thread, migration 007). */
import type { ThreadResult } from "../shared/protocol.js";
import type { Queryable } from "./db.js";
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from "./rows.js";

/** The root and the `limit` replies below `before` (or the newest), oldest first; undefined without such a root. */
export async function readThread(
  db: Queryable,
  room: string,
  root: number,
  limit: number,
  before?: number,
): Promise<ThreadResult | undefined> {
  const [roots, rows] = await Promise.all([
    db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room = $1 AND seq = $2 AND thread_of IS NULL`, [room, root]),
    db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages
        WHERE room = $1 AND thread_of = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4`,
      [room, root, before ?? Number.MAX_SAFE_INTEGER, limit + 1],
    ),
  ]);
  if (!roots[0]) return undefined;
  return { root: toMessage(roots[0]), messages: rows.slice(0, limit).reverse().map(toMessage), hasMore: rows.length > limit };
}
