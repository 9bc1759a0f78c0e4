/** Rooms, memberships and read markers. */
import type { RoomSummary } from "../shared/protocol.js";
import { prepared, type Queryable } from "./db.js";

// Prepared (db.ts): dm:open checks its room through ROOM_EXISTS; each connect joins its
// rooms through JOIN, which inserts the membership only where the room exists (`last_seq`
// NULL says it does not, nothing written): one statement, not a check and a write.
const ROOM_EXISTS = prepared("SELECT 1 FROM rooms WHERE name = $1");
const JOIN = prepared(`WITH r AS (SELECT last_seq FROM rooms WHERE name = $2),
  ins AS (
    INSERT INTO memberships (user_name, room) SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM r)
    ON CONFLICT DO NOTHING RETURNING read_seq
  )
  SELECT coalesce((SELECT read_seq FROM ins), (SELECT read_seq FROM memberships WHERE user_name = $1 AND room = $2)) AS read_seq,
         (SELECT last_seq FROM r) AS last_seq`);

/**
 * Creates the room if it does not exist, after `beforeCreate` (which may refuse by throwing).
 * A room that exists costs one primary-key read, no more than the insert it replaces.
 */
async function ensureRoom(db: Queryable, room: string, beforeCreate: () => Promise<void>): Promise<void> {
  if ((await db.query(ROOM_EXISTS, [room])).length > 0) return;
  await createRoom(db, room, beforeCreate);
}

async function createRoom(db: Queryable, room: string, beforeCreate: () => Promise<void>): Promise<void> {
  await beforeCreate();
  await db.query("INSERT INTO rooms (name) VALUES ($1) ON CONFLICT DO NOTHING", [room]);
}

/** Creates the room if needed and records the user's membership; returns the read marker and lastSeq. */
export async function joinRoom(
  db: Queryable,
  room: string,
  user: string,
  beforeCreate: () => Promise<void>,
): Promise<{ readSeq: number; lastSeq: number }> {
  const join = async () => (await db.query<{ read_seq: number | null; last_seq: number | null }>(JOIN, [user, room]))[0]!;
  let r = await join();
  if (r.last_seq === null) {
    // A new room (rare): created on its own, then joined.
    await createRoom(db, room, beforeCreate);
    r = await join();
  }
  return { readSeq: r.read_seq ?? 0, lastSeq: r.last_seq ?? 0 };
}

/** Records membership of several users (a DM's two participants); returns those who were not members yet. */
export async function addMembers(db: Queryable, room: string, users: string[], beforeCreate: () => Promise<void>): Promise<string[]> {
  await ensureRoom(db, room, beforeCreate);
  const rows = await db.query<{ user_name: string }>(
    "INSERT INTO memberships (user_name, room) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING RETURNING user_name",
    [users, room],
  );
  return rows.map((r) => r.user_name);
}

/**
 * Ends the user's membership (room:leave of a public room): the room leaves rooms:list and
 * its member count. False when the user was not a member.
 */
export async function leaveMembership(db: Queryable, room: string, user: string): Promise<boolean> {
  const rows = await db.query("DELETE FROM memberships WHERE user_name = $1 AND room = $2 RETURNING 1", [user, room]);
  return rows.length > 0;
}

export async function lastSeq(db: Queryable, room: string): Promise<number> {
  const rows = await db.query<{ last_seq: number }>("SELECT last_seq FROM rooms WHERE name = $1", [room]);
  return rows[0]?.last_seq ?? 0;
}

export type MarkResult = "moved" | "unchanged" | "not_found";

/** Moves the read marker forward only; a `seq` beyond the room's last position is not_found. */
export async function markRead(db: Queryable, room: string, user: string, seq: number): Promise<MarkResult> {
  const rows = await db.query<{ last_seq: number | null; moved: boolean }>(
    `WITH r AS (SELECT last_seq FROM rooms WHERE name = $2),
     u AS (
       INSERT INTO memberships (user_name, room, read_seq)
       SELECT $1, $2, $3 WHERE $3 <= (SELECT last_seq FROM r)
       ON CONFLICT (user_name, room) DO UPDATE SET read_seq = EXCLUDED.read_seq
         WHERE memberships.read_seq < EXCLUDED.read_seq
       RETURNING 1
     )
     SELECT (SELECT last_seq FROM r) AS last_seq, EXISTS (SELECT 1 FROM u) AS moved`,
    [user, room, seq],
  );
  const r = rows[0]!;
  if (r.last_seq === null || seq > r.last_seq) return "not_found";
  return r.moved ? "moved" : "unchanged";
}

/**
 * Rooms the user has joined, newest message first, with unread counts (others' messages
 * only; none below first_seq, where retention may leave a few rows behind: see
 * retention.ts). A reply counts only in a thread the user follows (thread_follows), and
 * each such thread with unread replies counts once in unreadThreads.
 */
export async function listRooms(db: Queryable, user: string): Promise<RoomSummary[]> {
  const rows = await db.query<{ room: string; last_seq: number; read_seq: number; unread: number; mentions: number; unread_threads: number }>(
    `SELECT m.room, r.last_seq, m.read_seq,
            (SELECT count(*) FROM messages x
              WHERE x.room = m.room AND x.seq > greatest(m.read_seq, r.first_seq - 1)
                AND x.user_name <> $1 AND NOT x.deleted
                AND (x.thread_of IS NULL OR EXISTS (SELECT 1 FROM thread_follows f
                      WHERE f.user_name = $1 AND f.room = m.room AND f.root = x.thread_of))) AS unread,
            (SELECT count(*) FROM mentions x
              WHERE x.user_name = $1 AND x.room = m.room AND x.seq > greatest(m.read_seq, r.first_seq - 1)) AS mentions,
            (SELECT count(*) FROM thread_follows f
              WHERE f.user_name = $1 AND f.room = m.room AND EXISTS (SELECT 1 FROM messages x
                WHERE x.room = m.room AND x.thread_of = f.root AND x.seq > greatest(m.read_seq, r.first_seq - 1)
                  AND x.user_name <> $1 AND NOT x.deleted)) AS unread_threads
       FROM memberships m JOIN rooms r ON r.name = m.room
      WHERE m.user_name = $1
      ORDER BY r.last_message_at DESC NULLS LAST, r.created_at DESC, m.room`,
    [user],
  );
  return rows.map((r) => ({
    room: r.room,
    lastSeq: r.last_seq,
    readSeq: r.read_seq,
    unread: r.unread,
    mentions: r.mentions,
    unreadThreads: r.unread_threads,
  }));
}
