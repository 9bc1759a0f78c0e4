/** rooms:browse: the public rooms, by name, with member counts (migration 012). */
import type { BrowseResult, RoomListing } from "../shared/protocol.js";
import type { Queryable } from "./db.js";

/**
 * One page in name order, walking the partial index of public names (rooms_public_name)
 * from the cursor, within the prefix's range: a page reads `limit + 1` index entries and
 * as many member counts, whatever the number of rooms or of DMs. Names are compared byte
 * for byte (COLLATE "C", migration 006), and every character a public name may hold sorts
 * below `~`, so `prefix || '~'` bounds the names that start with the prefix.
 */
export const BROWSE_SQL = `
  SELECT r.name AS room, coalesce(s.members, 0) AS members,
         coalesce(r.last_message_at, r.created_at) AS active_at, r.last_seq
    FROM rooms r LEFT JOIN room_stats s ON s.room = r.name
   WHERE r.name NOT LIKE 'dm:%' AND r.name > $1 AND r.name >= $2 AND r.name < $2 || '~'
   ORDER BY r.name
   LIMIT $3`;

export interface BrowseOptions {
  /** Lower-case prefix of the names wanted; "" for all. */
  prefix: string;
  /** The last name of the previous page. */
  after?: string;
  limit: number;
}

export function browseParams(opts: BrowseOptions): unknown[] {
  return [opts.after ?? "", opts.prefix, opts.limit + 1];
}

export async function browseRooms(db: Queryable, opts: BrowseOptions): Promise<BrowseResult> {
  const rows = await db.query<{ room: string; members: number; active_at: Date | string; last_seq: number }>(
    BROWSE_SQL,
    browseParams(opts),
  );
  const page = rows.slice(0, opts.limit);
  const rooms: RoomListing[] = page.map((r) => ({
    room: r.room,
    members: Number(r.members),
    lastActivityAt: new Date(r.active_at).toISOString(),
    lastSeq: r.last_seq,
  }));
  return rows.length > opts.limit ? { rooms, next: page[page.length - 1]!.room } : { rooms };
}
