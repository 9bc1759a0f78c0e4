/** Reading room logs: the latest page, pages before a position, and entries since a position. */
import { MAX_SINCE_BATCH, type Message } from "../shared/protocol.js";
import type { Queryable } from "./db.js";
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from "./rows.js";

export interface Page {
  messages: Message[];
  hasMore: boolean;
}

/** The `limit` messages below `before` (or the newest), oldest first. */
export async function readPage(db: Queryable, room: string, limit: number, before?: number): Promise<Page> {
  const rows = await db.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages
      WHERE room = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
    [room, before ?? Number.MAX_SAFE_INTEGER, limit + 1],
  );
  const hasMore = rows.length > limit;
  return { messages: rows.slice(0, limit).reverse().map(toMessage), hasMore };
}

/**
 * Every log entry after `since`, oldest first: new messages by their own position, changed
 * messages (current state) by the position of their latest change. At most `limit`
 * entries, and no more than fit in `maxBytes` of JSON (at least one): `hasMore` then says
 * where the rest begins, as it does past `limit`.
 */
export async function readSince(
  db: Queryable,
  room: string,
  since: number,
  limit = MAX_SINCE_BATCH,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<Page> {
  const rows = await db.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages
      WHERE room = $1 AND (seq > $2 OR update_seq > $2)
      ORDER BY greatest(seq, coalesce(update_seq, 0)) LIMIT $3`,
    [room, since, limit + 1],
  );
  const messages = rows.slice(0, limit).map(toMessage);
  const fit = fitInBytes(messages, maxBytes);
  return { messages: fit < messages.length ? messages.slice(0, fit) : messages, hasMore: rows.length > fit };
}

/** How many entries, from the first, fit in `maxBytes` as UTF-8 JSON; always at least one. */
export function fitInBytes(messages: Message[], maxBytes: number): number {
  if (maxBytes === Number.POSITIVE_INFINITY) return messages.length;
  let total = 0;
  for (let i = 0; i < messages.length; i++) {
    total += Buffer.byteLength(JSON.stringify(messages[i])) + 1; // the comma
    if (total > maxBytes && i > 0) return i;
  }
  return messages.length;
}
