/**
 * Message search (`messages:search`) as plain data: the query, the results newest
 * first, the cursor for the next page, and the rule that an answer to an older query
 * (or an older page) is ignored.
 */
import { MAX_SEARCH_LIMIT, type Message, type SearchResult } from "../../../src/shared/wire.js";
import { t } from "../i18n/index.js";
import type { ClientError } from "./format.js";

export const SEARCH_PAGE = 20;

export interface SearchState {
  query: string;
  /** One room, or undefined for every room this user may read. */
  room?: string;
  /** Newest first, each (room, seq) once. */
  results: Message[];
  hasMore: boolean;
  /** The `before` of the next page. */
  nextBefore?: number;
  loading: boolean;
  error?: ClientError;
  /** Identifies the request in flight: an answer for another is stale. */
  ticket: number;
  /** At least one page has arrived. */
  done: boolean;
}

let tickets = 0;

/** A new search: nothing yet, the first page is being asked for. */
export function startSearch(query: string, room?: string): SearchState {
  return { query: query.trim(), room, results: [], hasMore: false, loading: true, ticket: ++tickets, done: false };
}

/** The request for the next page, or undefined when there is none (or one is running). */
export function nextPageRequest(s: SearchState): { room?: string; query: string; before?: number; limit: number } | undefined {
  if (s.loading || !s.hasMore || s.nextBefore === undefined) return undefined;
  return { ...(s.room ? { room: s.room } : {}), query: s.query, before: s.nextBefore, limit: SEARCH_PAGE };
}

/** The first page's request. */
export function firstPageRequest(s: SearchState): { room?: string; query: string; limit: number } {
  return { ...(s.room ? { room: s.room } : {}), query: s.query, limit: Math.min(SEARCH_PAGE, MAX_SEARCH_LIMIT) };
}

/** Marks the next page as being fetched; returns the state with a fresh ticket. */
export function loadingMore(s: SearchState): SearchState {
  return { ...s, loading: true, error: undefined, ticket: ++tickets };
}

/** Applies a page answered for `ticket`; a stale one leaves the state as it is. */
export function applySearchPage(s: SearchState, ticket: number, page: SearchResult): SearchState {
  if (ticket !== s.ticket) return s;
  const seen = new Set(s.results.map((m) => `${m.room}\u0000${m.seq}`));
  const results = [...s.results];
  for (const m of page.messages) {
    const key = `${m.room}\u0000${m.seq}`;
    if (seen.has(key) || m.deleted) continue;
    seen.add(key);
    results.push(m);
  }
  const hasMore = page.hasMore && page.nextBefore !== undefined;
  return { ...s, results, hasMore, nextBefore: hasMore ? page.nextBefore : undefined, loading: false, error: undefined, done: true };
}

/** Applies an error answered for `ticket`. */
export function applySearchError(s: SearchState, ticket: number, error: ClientError): SearchState {
  if (ticket !== s.ticket) return s;
  return { ...s, loading: false, error, done: true };
}

/** A result changed since it was found (edited, deleted): show it as it is now, or drop it. */
export function applySearchUpdate(s: SearchState, m: Message): SearchState {
  const i = s.results.findIndex((r) => r.room === m.room && r.seq === m.seq);
  if (i < 0) return s;
  const results = [...s.results];
  if (m.deleted) results.splice(i, 1);
  else results[i] = m;
  return { ...s, results };
}

/** A search error in plain words. */
export function searchErrorText(e: ClientError): string {
  switch (e.code) {
    case "invalid_payload":
      return t("search.invalid");
    case "forbidden":
      return t("search.forbidden");
    case "disconnected":
      return t("search.disconnected");
    case "timeout":
      return t("search.timeout");
    case "rate_limited":
      return t("search.rateLimited");
    default:
      return t("search.unavailable");
  }
}
