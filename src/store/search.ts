/** Full-text search over the rooms a user may read: public rooms and the user's own DMs. */
import type { SearchResult } from "../shared/protocol.js";
import type { Queryable } from "./db.js";
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from "./rows.js";

/** Words shorter than this match whole words only: a prefix of one or two letters matches most rows. */
export const MIN_PREFIX_CHARS = 3;

/** Ids per bucket of the window index (migration 013 indexes `id >> 12`): 4,096. */
export const BUCKET_BITS = 12;
/** Step 1 reads this many of the newest rows one by one: at about 7 µs a row (to_tsvector), 7 ms when nothing matches. */
export const RECENT_ROWS = 1000;
/** Step 2 looks among this many newest buckets of ids: 16 × 4,096 = 65,536 ids. */
export const WINDOW_BUCKETS = 16;

export type SearchStep = "recent" | "window" | "all";

const MATCH_BODY = "to_tsvector('simple', body) @@ to_tsquery('simple', $1)";
const MATCH_FILES = "to_tsvector('simple', attachment_names) @@ to_tsquery('simple', $1)";
const READABLE = "NOT deleted AND (room NOT LIKE 'dm:%' OR split_part(room, ':', 2) = $4 OR split_part(room, ':', 3) = $4)";
/** The page's rows, whole, for the ids that a step's `page` found. */
const PAGE_ROWS = `SELECT ${MESSAGE_COLUMNS}, id FROM messages WHERE id IN (SELECT id FROM page) ORDER BY id DESC`;

/**
 * A search wants the newest matches, and a word index knows nothing of order: reading every
 * match costs a table read per match (75,000 of a million messages for a common word). So a
 * search takes up to three steps, and stops at the first that fills its page (limit + 1
 * rows), since no match it has not read is newer:
 * - recent: the newest RECENT_ROWS rows below the cursor, matched one by one: in id order,
 *   or in the room's seq order when the search names a room (within a room both orders
 *   agree), so that a room's share of the traffic does not thin its recent rows out. A
 *   frequent word fills its page here without touching its index entries (half a million
 *   for "the", prefixes included). The read is fenced (below) and bounded by its range or
 *   its LIMIT, so no plan reads further.
 * - window: the window index (messages_search_window, migration 013) keys each row by its
 *   word and its id's bucket, so the word among the newest WINDOW_BUCKETS buckets is one
 *   index scan, and only those matches are read from the table.
 * - all: every match; reached only by words too rare to fill a page in the window.
 * The index steps plan their match on its own: a subquery with OFFSET 0 is a fence, so the
 * planner cannot push the cursor, the room or `ORDER BY id DESC LIMIT` into it, and so
 * cannot pick a backward scan by id that computes to_tsvector on every row and reads the
 * whole table when nothing matches. (A MATERIALIZED CTE fences too, but writes every match
 * to a tuplestore first.) Attachment names have an index of their own
 * (messages_attachment_search, migration 011): the two matches are a BitmapOr of both.
 * Parameters: $1 tsquery, $2 room or null, $3 the id the search starts below, $4 the user,
 * $5 limit + 1, $6 the step's bound (the lowest id for recent, the number of rows for
 * recent in a room, the lowest bucket for window).
 */
export const SEARCH_STEPS: Record<SearchStep | "recentInRoom", string> = {
  recent: `
    WITH page AS (
      SELECT id FROM (
        SELECT id, room, body, attachment_names, deleted FROM messages
         WHERE id < $3 AND id >= $6
         ORDER BY id DESC OFFSET 0
      ) newest
      WHERE (${MATCH_BODY} OR ${MATCH_FILES}) AND ${READABLE} AND ($2::text IS NULL OR room = $2)
      ORDER BY id DESC LIMIT $5
    ) ${PAGE_ROWS}`,
  // The cursor's seq bounds the read when the cursor is a message of the room (as nextBefore
  // is); any other cursor only filters, and the read stays $6 rows. In seq order the outer
  // LIMIT stops the read at the page's last match, as in id order above.
  recentInRoom: `
    WITH page AS (
      SELECT id FROM (
        SELECT id, seq, room, body, attachment_names, deleted FROM messages
         WHERE room = $2 AND seq < COALESCE((SELECT seq FROM messages WHERE id = $3 AND room = $2), 9223372036854775807)
         ORDER BY seq DESC LIMIT $6
      ) newest
      WHERE id < $3 AND (${MATCH_BODY} OR ${MATCH_FILES}) AND ${READABLE}
      ORDER BY seq DESC LIMIT $5
    ) ${PAGE_ROWS}`,
  window: `
    WITH page AS (
      SELECT id FROM (
        SELECT id, room FROM messages
         WHERE ((${MATCH_BODY} AND (id >> 12) >= $6) OR ${MATCH_FILES}) AND ${READABLE}
        OFFSET 0
      ) hits
      WHERE ($2::text IS NULL OR room = $2) AND id < $3
      ORDER BY id DESC LIMIT $5
    ) ${PAGE_ROWS}`,
  all: `
    WITH page AS (
      SELECT id FROM (
        SELECT id, room FROM messages WHERE (${MATCH_BODY} OR ${MATCH_FILES}) AND ${READABLE}
        OFFSET 0
      ) hits
      WHERE ($2::text IS NULL OR room = $2) AND id < $3
      ORDER BY id DESC LIMIT $5
    ) ${PAGE_ROWS}`,
};

export interface SearchOptions {
  room?: string;
  before?: number;
  limit: number;
}

/**
 * Each step's statement and parameters, in order; undefined when the query has no word to
 * look for. `top` is the id the search starts below: the cursor, or the newest id + 1.
 */
export function searchSteps(user: string, query: string, opts: SearchOptions, top: number): { step: SearchStep; sql: string; params: unknown[] }[] | undefined {
  const tsquery = toTsQuery(query);
  if (tsquery === undefined) return undefined;
  const base = [tsquery, opts.room ?? null, top, user, opts.limit + 1];
  // Not `>>`: JavaScript shifts 32-bit integers, and ids are bigint.
  const bucket = Math.floor(top / 2 ** BUCKET_BITS);
  return [
    opts.room === undefined
      ? { step: "recent", sql: SEARCH_STEPS.recent, params: [...base, top - RECENT_ROWS] }
      : { step: "recent", sql: SEARCH_STEPS.recentInRoom, params: [...base, RECENT_ROWS] },
    { step: "window", sql: SEARCH_STEPS.window, params: [...base, bucket - WINDOW_BUCKETS] },
    { step: "all", sql: SEARCH_STEPS.all, params: base },
  ];
}

/** `onStep` hears which step answered (tests, and anyone counting them). */
export async function searchMessages(
  db: Queryable,
  user: string,
  query: string,
  opts: SearchOptions,
  onStep?: (step: SearchStep) => void,
): Promise<SearchResult> {
  if (toTsQuery(query) === undefined) return { messages: [], hasMore: false };
  const top = opts.before ?? Number((await db.query<{ max: number | null }>("SELECT max(id) AS max FROM messages"))[0]?.max ?? 0) + 1;
  const steps = searchSteps(user, query, opts, top)!;
  let rows: (MessageRow & { id: number })[] = [];
  for (const [i, { step, sql, params }] of steps.entries()) {
    rows = await db.query<MessageRow & { id: number }>(sql, params);
    if (rows.length > opts.limit || i === steps.length - 1) {
      onStep?.(step);
      break;
    }
  }
  const page = rows.slice(0, opts.limit);
  const result: SearchResult = { messages: page.map(toMessage), hasMore: rows.length > opts.limit };
  if (result.hasMore) result.nextBefore = page[page.length - 1]!.id;
  return result;
}

/** A token of the query: a "quoted phrase" (the closing quote may be missing) or a run of non-space. */
const TOKEN = /"([^"]*)"?|(\S+)/g;
const HAS_WORD = /[\p{L}\p{N}]/u;

/**
 * The user's query as to_tsquery text. Every term is a quoted lexeme (quotes and
 * backslashes escaped), so no input is tsquery syntax: `& | ! ( ) : *` inside a term are
 * text, which the parser drops as punctuation. Words match as prefixes ("privat" finds
 * "private"); "quoted phrases" match exactly, in order; `-word` excludes; `or` between two
 * terms is either. Exclusions only narrow the other terms (a query of exclusions alone
 * would read most of the index), so the result is undefined without a term to look for.
 */
export function toTsQuery(input: string): string | undefined {
  const include: string[][] = [[]];
  const exclude: string[] = [];
  let pendingOr = false;
  for (const m of input.matchAll(TOKEN)) {
    const phrase = m[1];
    let word = m[2];
    if (phrase === undefined && word !== undefined && word.toLowerCase() === "or") {
      pendingOr = include[include.length - 1]!.length > 0;
      continue;
    }
    const negated = word !== undefined && word.startsWith("-") && word.length > 1;
    if (negated) word = word!.slice(1);
    const text = phrase ?? word!;
    if (!HAS_WORD.test(text)) continue;
    const lexeme = `'${text.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
    if (negated) {
      exclude.push(`!${lexeme}`);
      continue;
    }
    const term = phrase === undefined && [...text].length >= MIN_PREFIX_CHARS ? `${lexeme}:*` : lexeme;
    if (pendingOr) include.push([term]);
    else include[include.length - 1]!.push(term);
    pendingOr = false;
  }
  const alternatives = include.filter((a) => a.length > 0).map((a) => a.join(" & "));
  if (alternatives.length === 0) return undefined;
  const wanted = alternatives.length === 1 ? alternatives[0]! : `( ${alternatives.map((a) => `( ${a} )`).join(" | ")} )`;
  return [wanted, ...exclude].join(" & ");
}
