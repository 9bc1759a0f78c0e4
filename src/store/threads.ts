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
): Promise<Omit<ThreadResult, "following"> | undefined> {
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

/** Follows (or unfollows) a root; false when the room has no such root. */
export async function followThread(db: Queryable, room: string, root: number, user: string, follow: boolean): Promise<boolean> {
  const rows = await db.query<{ found: boolean }>(
    `WITH r AS (SELECT 1 FROM messages WHERE room = $1 AND seq = $2 AND thread_of IS NULL AND NOT deleted),
     ins AS (INSERT INTO thread_follows (user_name, room, root) SELECT $3, $1, $2 FROM r WHERE $4 ON CONFLICT DO NOTHING),
     del AS (DELETE FROM thread_follows WHERE NOT $4 AND user_name = $3 AND room = $1 AND root = $2)
     SELECT EXISTS (SELECT 1 FROM r) AS found`,
    [room, root, user, follow],
  );
  return rows[0]?.found ?? false;
}

/** Whether `user` follows the thread of `root` now. */
export async function isFollowing(db: Queryable, room: string, root: number, user: string): Promise<boolean> {
  const rows = await db.query<{ on: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM thread_follows WHERE user_name = $1 AND room = $2 AND root = $3) AS on`,
    [user, room, root],
  );
  return rows[0]?.on ?? false;
}
