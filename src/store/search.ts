/** Full-text search over the rooms a user may read: public rooms and the user's own DMs. */
import type { SearchResult } from "../shared/protocol.js";
import type { Queryable } from "./db.js";
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from "./rows.js";

/** Words shorter than this match whole words only: a prefix of one or two letters matches most rows. */
export const MIN_PREFIX_CHARS = 3;

/**
 * The match is planned on its own, through the GIN index (messages_search): a subquery with
 * OFFSET 0 is a fence, so the planner cannot push the cursor, the room or
 * `ORDER BY id DESC LIMIT` into it, and so cannot pick a backward scan of messages by id
 * that computes to_tsvector on every row and reads the whole table when nothing matches.
 * (A MATERIALIZED CTE fences too, but writes every match to a tuplestore first.) Its cost
 * grows with the number of matching messages; only the page's rows are read whole.
 * Attachment names have an index of their own (messages_attachment_search, migration 011):
 * the two matches are a BitmapOr of both indexes.
 */
export const SEARCH_SQL = `
  WITH page AS (
    SELECT id FROM (
      SELECT id, room FROM messages
       WHERE (to_tsvector('simple', body) @@ to_tsquery('simple', $1)
              OR to_tsvector('simple', attachment_names) @@ to_tsquery('simple', $1))
         AND NOT deleted
         AND (room NOT LIKE 'dm:%' OR split_part(room, ':', 2) = $4 OR split_part(room, ':', 3) = $4)
      OFFSET 0
    ) hits
    WHERE ($2::text IS NULL OR room = $2) AND id < $3
    ORDER BY id DESC LIMIT $5
  )
  SELECT ${MESSAGE_COLUMNS}, id FROM messages WHERE id IN (SELECT id FROM page) ORDER BY id DESC`;

export interface SearchOptions {
  room?: string;
  before?: number;
  limit: number;
}

/** SEARCH_SQL's parameters; undefined when the query has no word to look for. */
export function searchParams(user: string, query: string, opts: SearchOptions): unknown[] | undefined {
  const tsquery = toTsQuery(query);
  if (tsquery === undefined) return undefined;
  return [tsquery, opts.room ?? null, opts.before ?? Number.MAX_SAFE_INTEGER, user, opts.limit + 1];
}

export async function searchMessages(db: Queryable, user: string, query: string, opts: SearchOptions): Promise<SearchResult> {
  const params = searchParams(user, query, opts);
  if (!params) return { messages: [], hasMore: false };
  const rows = await db.query<MessageRow & { id: number }>(SEARCH_SQL, params);
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
