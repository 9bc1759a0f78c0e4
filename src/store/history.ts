/** Reading room logs: the latest page, pages before a position, and entries since a position. */
import { MAX_SINCE_BATCH, type Message } from "../shared/protocol.js";
import { prepared, type Queryable } from "./db.js";
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from "./rows.js";

export interface Page {
  messages: Message[];
  hasMore: boolean;
  /**
   * The room's first position still stored: older ones expired (MESSAGE_RETENTION_DAYS).
   * 1 when nothing expired; a page ending there has `hasMore: false`, as at the room's start.
   */
  firstSeq: number;
}

/** A row of the reads below: the room's first_seq beside a message, or beside none. */
type FirstSeqRow = MessageRow & { first_seq: number };

/**
 * Reads answer the room's first_seq (1 for a room not created yet) in the same query as the
 * page, as `f.first_seq`: one round trip, one snapshot. Their `seq >= f.first_seq` hides
 * anything below it (retention.ts leaves nothing there; the guard costs nothing).
 */
const WITH_FIRST_SEQ = `SELECT f.first_seq, m.* FROM
  (SELECT coalesce((SELECT first_seq FROM rooms WHERE name = $1), 1) AS first_seq) f
  LEFT JOIN LATERAL`;

// Prepared: every join and reconnect reads one of these, and planning them over the
// partitioned messages table cost more than running them (docs/benchmarks.md).
const READ_PAGE = prepared(`${WITH_FIRST_SEQ} (
  SELECT ${MESSAGE_COLUMNS} FROM messages
   WHERE room = $1 AND seq < $2 AND seq >= f.first_seq ORDER BY seq DESC LIMIT $3) m ON true`);
const READ_SINCE = prepared(`${WITH_FIRST_SEQ} (
  SELECT ${MESSAGE_COLUMNS} FROM messages
   WHERE room = $1 AND (seq > $2 OR update_seq > $2) AND seq >= f.first_seq
   ORDER BY greatest(seq, coalesce(update_seq, 0)) LIMIT $3) m ON true`);

function split(rows: FirstSeqRow[]): { rows: MessageRow[]; firstSeq: number } {
  return { rows: rows.filter((r) => r.seq !== null), firstSeq: rows[0]?.first_seq ?? 1 };
}

/** The `limit` messages below `before` (or the newest), oldest first. */
export async function readPage(db: Queryable, room: string, limit: number, before?: number): Promise<Page> {
  const { rows, firstSeq } = split(
    await db.query<FirstSeqRow>(READ_PAGE, [room, before ?? Number.MAX_SAFE_INTEGER, limit + 1]),
  );
  rows.sort((a, b) => b.seq - a.seq); // the lateral's order, made explicit
  const hasMore = rows.length > limit;
  return { messages: rows.slice(0, limit).reverse().map(toMessage), hasMore, firstSeq };
}

/**
 * Every log entry after `since`, oldest first: new messages by their own position, changed
 * messages (current state) by the position of their latest change. At most `limit`
 * entries, and no more than fit in `maxBytes` of JSON (at least one): `hasMore` then says
 * where the rest begins, as it does past `limit`. A `since` below `firstSeq - 1` starts at
 * `firstSeq`: the positions between expired, they are not missing.
 */
export async function readSince(
  db: Queryable,
  room: string,
  since: number,
  limit = MAX_SINCE_BATCH,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<Page> {
  const { rows, firstSeq } = split(
    await db.query<FirstSeqRow>(READ_SINCE, [room, since, limit + 1]),
  );
  const position = (r: MessageRow) => Math.max(r.seq, r.update_seq ?? 0);
  rows.sort((a, b) => position(a) - position(b)); // the lateral's order, made explicit
  const messages = rows.slice(0, limit).map(toMessage);
  const fit = fitInBytes(messages, maxBytes);
  return { messages: fit < messages.length ? messages.slice(0, fit) : messages, hasMore: rows.length > fit, firstSeq };
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
