/**
 * Attachment records (migration 011): uploads, their link to a message, the daily quota and
 * the sweep's queries. The bytes themselves are in a BlobStore (blobs/store.ts).
 */
import type { Db, Queryable } from "./db.js";
import type { StoredAttachment } from "./rows.js";
import type { StoreKind } from "./blobs/store.js";

export interface AttachmentRow {
  id: string;
  room: string;
  user_name: string;
  name: string;
  size: number;
  type: string;
  width: number | null;
  height: number | null;
  thumb_size: number | null;
  store: StoreKind;
  ready: boolean;
  gone: boolean;
}

export async function createUpload(db: Queryable, a: { id: string; room: string; user: string; name: string; store: StoreKind }): Promise<void> {
  await db.query("INSERT INTO attachments (id, room, user_name, name, store) VALUES ($1, $2, $3, $4, $5)", [a.id, a.room, a.user, a.name, a.store]);
}

export async function finishUpload(
  db: Queryable,
  id: string,
  f: { size: number; type: string; width?: number; height?: number; thumbSize?: number },
): Promise<void> {
  await db.query(
    "UPDATE attachments SET ready = true, size = $2, type = $3, width = $4, height = $5, thumb_size = $6 WHERE id = $1",
    [id, f.size, f.type, f.width ?? null, f.height ?? null, f.thumbSize ?? null],
  );
}

export async function forgetUpload(db: Queryable, id: string): Promise<void> {
  await db.query("DELETE FROM attachments WHERE id = $1", [id]);
}

export async function findAttachment(db: Queryable, id: string): Promise<AttachmentRow | undefined> {
  const rows = await db.query<AttachmentRow>(
    "SELECT id, room, user_name, name, size, type, width, height, thumb_size, store, ready, gone FROM attachments WHERE id = $1",
    [id],
  );
  return rows[0];
}

/** Whether the user joined the public room (a membership row); DM rooms are checked by name. */
export async function isMember(db: Queryable, user: string, room: string): Promise<boolean> {
  return (await db.query("SELECT 1 FROM memberships WHERE user_name = $1 AND room = $2", [user, room])).length > 0;
}

export async function usedToday(db: Queryable, user: string): Promise<number> {
  const rows = await db.query<{ bytes: number }>(`SELECT bytes FROM upload_usage WHERE user_name = $1 AND day = (now() AT TIME ZONE 'UTC')::date`, [user]);
  return rows[0]?.bytes ?? 0;
}

/** Counts `bytes` against today's quota unless that would pass it; false then. Atomic across nodes. */
export async function spendQuota(db: Queryable, user: string, bytes: number, quota: number): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO upload_usage (user_name, day, bytes) SELECT $1, (now() AT TIME ZONE 'UTC')::date, $2::bigint WHERE $2::bigint <= $3::bigint
     ON CONFLICT (user_name, day) DO UPDATE SET bytes = upload_usage.bytes + excluded.bytes
      WHERE upload_usage.bytes + excluded.bytes <= $3::bigint
     RETURNING bytes`,
    [user, bytes, quota],
  );
  return rows.length > 0;
}

/**
 * A send takes its uploads: each must be the sender's, in that room, complete, and free
 * (never claimed, or claimed by this same clientId: a retry; or claimed more than five
 * minutes ago by a send whose message never came). All or none: undefined when any is not.
 */
export function claimUploads(db: Db, room: string, user: string, clientId: string, ids: string[]): Promise<StoredAttachment[] | undefined> {
  return db
    .transaction(async (tx) => {
      const rows = await tx.query<AttachmentRow>(
        `UPDATE attachments a SET client_id = $4, claimed_at = now()
          WHERE a.id = ANY ($1::text[]) AND a.room = $2 AND a.user_name = $3 AND a.ready AND NOT a.gone
            AND ((a.client_id IS NULL AND a.seq IS NULL) OR a.client_id = $4
                 OR (a.seq IS NULL AND a.claimed_at < now() - interval '5 minutes'
                     AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.room = a.room AND m.user_name = a.user_name AND m.client_id = a.client_id)))
          RETURNING a.id, a.name, a.size, a.type, a.width, a.height, a.thumb_size`,
        [ids, room, user, clientId],
      );
      if (rows.length !== ids.length) throw new NotClaimed();
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => stored(byId.get(id)!));
    })
    .catch((err: unknown) => {
      if (err instanceof NotClaimed) return undefined;
      throw err;
    });
}
class NotClaimed extends Error {}

function stored(r: Pick<AttachmentRow, "id" | "name" | "size" | "type" | "width" | "height" | "thumb_size">): StoredAttachment {
  const a: StoredAttachment = { id: r.id, name: r.name, size: Number(r.size), type: r.type };
  if (r.width != null && r.height != null) {
    a.width = r.width;
    a.height = r.height;
  }
  if (r.thumb_size != null) a.thumb = true;
  return a;
}

/** After the message's commit: its uploads are linked for good (the sweep leaves them). */
export async function linkUploads(db: Queryable, room: string, user: string, clientId: string, seq: number): Promise<void> {
  await db.query("UPDATE attachments SET seq = $4 WHERE room = $1 AND user_name = $2 AND client_id = $3 AND seq IS NULL", [room, user, clientId, seq]);
}

/** A deleted message's files (inside its transaction): served no more, their bytes purged next. */
export async function dropForMessage(tx: Queryable, room: string, user: string, clientId: string): Promise<number> {
  const rows = await tx.query("UPDATE attachments SET gone = true WHERE room = $1 AND user_name = $2 AND client_id = $3 AND NOT gone RETURNING id", [room, user, clientId]);
  return rows.length;
}

/**
 * The sweep's marking step, safe on every node at once: uploads older than `maxAgeMs` whose
 * send committed but was not linked (a node died in between) are linked; the others, never
 * sent, are marked gone. With retention, files of messages that expired (below their room's
 * first_seq) are marked gone too. Returns how many were marked.
 */
export async function expireUnlinked(db: Queryable, maxAgeMs: number, retentionDays?: number): Promise<number> {
  await db.query(
    `UPDATE attachments a SET seq = m.seq FROM messages m
      WHERE a.seq IS NULL AND a.client_id IS NOT NULL AND a.created_at < now() - $1 * interval '1 millisecond'
        AND m.room = a.room AND m.user_name = a.user_name AND m.client_id = a.client_id`,
    [maxAgeMs],
  );
  const rows = await db.query(
    `UPDATE attachments SET gone = true
      WHERE id IN (SELECT id FROM attachments
                    WHERE seq IS NULL AND NOT gone AND created_at < now() - $1 * interval '1 millisecond'
                      AND (client_id IS NULL OR claimed_at < now() - interval '5 minutes')
                    LIMIT 1000)
        AND seq IS NULL
      RETURNING id`,
    [maxAgeMs],
  );
  await db.query(`DELETE FROM upload_usage WHERE day < (now() AT TIME ZONE 'UTC')::date - 2`);
  if (retentionDays === undefined) return rows.length;
  // A file is older than its message, so only files older than the retention can have lost theirs.
  const expired = await db.query(
    `UPDATE attachments a SET gone = true FROM rooms r
      WHERE a.seq IS NOT NULL AND NOT a.gone AND a.created_at < now() - $1 * interval '1 day'
        AND r.name = a.room AND a.seq < r.first_seq
      RETURNING a.id`,
    [retentionDays],
  );
  return rows.length + expired.length;
}

export async function markGone(db: Queryable, id: string): Promise<void> {
  await db.query("UPDATE attachments SET gone = true WHERE id = $1", [id]);
}

/** Gone rows whose bytes are to be removed, a page at a time. */
export function goneUploads(db: Queryable, limit: number): Promise<Pick<AttachmentRow, "id" | "store" | "thumb_size">[]> {
  return db.query("SELECT id, store, thumb_size FROM attachments WHERE gone LIMIT $1", [limit]);
}
