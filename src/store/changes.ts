/**
 * Changes to stored messages (edit, delete, react). Each takes the room's next position,
 * under the same room-row lock as new messages, so the room log stays contiguous and
 * ordered whatever mix of sends and changes the nodes commit.
 */
import type { Message } from "../shared/protocol.js";
import type { Db, Queryable } from "./db.js";
import { dropForMessage } from "./attachments.js";
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from "./rows.js";

export type ChangeOutcome =
  /** `dropped`: attachments of a deleted message, whose bytes are now to be purged. */
  | { kind: "changed"; message: Message; updateSeq: number; dropped?: number }
  | { kind: "unchanged"; message: Message }
  | { kind: "not_found" }
  | { kind: "forbidden" };

type Change =
  | { type: "edit"; body: string }
  | { type: "delete" }
  | { type: "react"; emoji: string; on: boolean };

export function changeMessage(db: Db, room: string, seq: number, user: string, change: Change): Promise<ChangeOutcome> {
  return db.transaction(async (tx) => {
    const locked = await tx.query<{ last_seq: number }>("SELECT last_seq FROM rooms WHERE name = $1 FOR UPDATE", [room]);
    if (locked.length === 0) return { kind: "not_found" };
    const rows = await tx.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room = $1 AND seq = $2`, [room, seq]);
    const row = rows[0];
    // A tombstone takes no more changes: for every purpose it is gone.
    if (!row || row.deleted) return { kind: "not_found" };
    if (change.type !== "react" && row.user_name !== user) return { kind: "forbidden" };

    const updateSeq = locked[0]!.last_seq + 1;
    let updated: MessageRow[];
    let dropped: number | undefined;
    if (change.type === "edit") {
      updated = await apply(tx, room, seq, updateSeq, "body = $4, edited_at = now()", change.body);
    } else if (change.type === "delete") {
      updated = await apply(tx, room, seq, updateSeq, "body = '', deleted = true, reactions = NULL, attachments = NULL, attachment_names = NULL");
      await tx.query("DELETE FROM mentions WHERE room = $1 AND seq = $2", [room, seq]);
      // Through the message's idempotency key, which its uploads were claimed with.
      if (row.attachments?.length) dropped = await dropForMessage(tx, room, row.user_name, row.client_id);
    } else {
      const reactions = nextReactions(row.reactions ?? {}, change.emoji, user, change.on);
      if (!reactions) return { kind: "unchanged", message: toMessage(row) };
      updated = await apply(tx, room, seq, updateSeq, "reactions = $4::jsonb", JSON.stringify(reactions));
    }
    await tx.query("UPDATE rooms SET last_seq = $2 WHERE name = $1", [room, updateSeq]);
    return { kind: "changed", message: toMessage(updated[0]!), updateSeq, dropped };
  });
}

/** Applies `set` (which may use $4 for `value`) and records the change's position. */
function apply(tx: Queryable, room: string, seq: number, updateSeq: number, set: string, value?: string): Promise<MessageRow[]> {
  return tx.query<MessageRow>(
    `UPDATE messages SET ${set}, update_seq = $3 WHERE room = $1 AND seq = $2 RETURNING ${MESSAGE_COLUMNS}`,
    value === undefined ? [room, seq, updateSeq] : [room, seq, updateSeq, value],
  );
}

/** The reactions after the change, or undefined when it changes nothing (no position taken). */
function nextReactions(current: Record<string, string[]>, emoji: string, user: string, on: boolean): Record<string, string[]> | undefined {
  const users = current[emoji] ?? [];
  if (on === users.includes(user)) return undefined;
  const next = { ...current, [emoji]: on ? [...users, user] : users.filter((u) => u !== user) };
  if (next[emoji]!.length === 0) delete next[emoji];
  return next;
}
