/**
 * The Flask template's mark on rooms (rooms.legacy_until, migration 004): until when a room
 * may hold template sockets on some node. chat/legacy/ sets and renews it, and reads it in
 * each write batch; nothing else of the store knows it.
 */
import type { Queryable } from "./db.js";
import { APPEND_BATCH, type AfterLockRead } from "./writer.js";

/**
 * Marks a room as possibly holding legacy sockets for `leaseMs` from now (never shortening an
 * earlier mark). Taking the room's row lock, it orders itself against every write batch of
 * the room (sql/functions/chat_legacy_rooms.sql). One room per statement: a statement locking
 * several rooms in another order than a batch's (name order) could deadlock with it.
 */
export async function markLegacyRoom(db: Queryable, room: string, leaseMs: number): Promise<void> {
  await db.query(
    `UPDATE rooms SET legacy_until = greatest(legacy_until, now() + $2 * interval '1 millisecond')
      WHERE name = $1`,
    [room, leaseMs],
  );
}

/**
 * A batch's statement with its read of the mark (sql/functions/chat_legacy_rooms.sql). The
 * function's argument is taken from the appended rows, so it runs after chat_append_messages
 * holds the room locks; each CTE runs once.
 */
const WITH_LEGACY_ROOMS = `
  WITH a AS MATERIALIZED (SELECT * FROM ${APPEND_BATCH}),
       h AS MATERIALIZED (SELECT chat_legacy_rooms(array_agg(DISTINCT ($1::text[])[a.i])) AS rooms FROM a)
  SELECT a.*, ($1::text[])[a.i] = ANY (h.rooms) AS after_lock FROM a CROSS JOIN h ORDER BY a.i`;

/** The write batches' read of the mark, after their room locks: `seen` hears whether each append's room was marked. */
export function legacyRoomsRead(seen: AfterLockRead["seen"]): AfterLockRead {
  return { statement: WITH_LEGACY_ROOMS, seen };
}
