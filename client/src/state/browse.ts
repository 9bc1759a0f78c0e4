/**
 * Browsing the public rooms (`rooms:browse`) as plain data: the filter, the rooms found so
 * far in name order, the cursor of the next page, and the rule that an answer to an older
 * filter (or page) is ignored. `RoomBrowser` asks the server through the client's
 * connection; the dialog (ui/BrowseRooms.tsx) shows its state.
 */
import { t } from "../i18n/index.js";
import type { Ack, BrowseResult, RoomListing } from "../../../src/shared/wire.js";
import type { ClientError } from "./format.js";

export const BROWSE_PAGE = 20;
/** How long typing must rest before the filter is sent: each call spends the search limit. */
export const BROWSE_DEBOUNCE_MS = 250;

export interface BrowseState {
  /** The filter as sent: a name prefix, lower case; "" for every room. */
  query: string;
  /** In name order, each room once. */
  rooms: RoomListing[];
  /** The cursor of the next page, when there is one. */
  next?: string;
  loading: boolean;
  error?: ClientError;
  /** Identifies the request in flight: an answer for another is stale. */
  ticket: number;
  /** At least one page has arrived. */
  done: boolean;
}

let tickets = 0;

/** What the person typed, as the server compares names: trimmed, lower case, without a leading `#`. */
export function browseQuery(typed: string): string {
  return typed.trim().replace(/^#+/, "").toLowerCase().slice(0, 64);
}

export function startBrowse(typed: string): BrowseState {
  return { query: browseQuery(typed), rooms: [], loading: true, ticket: ++tickets, done: false };
}

export function firstBrowseRequest(s: BrowseState): { query?: string; limit: number } {
  return s.query ? { query: s.query, limit: BROWSE_PAGE } : { limit: BROWSE_PAGE };
}

/** The next page's request, or undefined when there is none (or a request is running). */
export function nextBrowseRequest(s: BrowseState): { query?: string; cursor: string; limit: number } | undefined {
  if (s.loading || s.next === undefined) return undefined;
  return { ...(s.query ? { query: s.query } : {}), cursor: s.next, limit: BROWSE_PAGE };
}

/** Marks the next page as being fetched, with a fresh ticket. */
export function loadingMoreRooms(s: BrowseState): BrowseState {
  return { ...s, loading: true, error: undefined, ticket: ++tickets };
}

/** Applies a page answered for `ticket`; a stale one leaves the state as it is. */
export function applyBrowsePage(s: BrowseState, ticket: number, page: BrowseResult): BrowseState {
  if (ticket !== s.ticket) return s;
  const seen = new Set(s.rooms.map((r) => r.room));
  const rooms = [...s.rooms, ...page.rooms.filter((r) => !seen.has(r.room))];
  return { ...s, rooms, next: page.next, loading: false, error: undefined, done: true };
}

/** Applies an error answered for `ticket`; the rooms already found stay, and so does the cursor. */
export function applyBrowseError(s: BrowseState, ticket: number, error: ClientError): BrowseState {
  if (ticket !== s.ticket) return s;
  return { ...s, loading: false, error, done: true };
}

/** A room this person joined or left: its member count as the server will next say it. */
export function applyMembership(s: BrowseState, room: string, delta: 1 | -1): BrowseState {
  const i = s.rooms.findIndex((r) => r.room === room);
  if (i < 0) return s;
  const rooms = [...s.rooms];
  rooms[i] = { ...rooms[i]!, members: Math.max(0, rooms[i]!.members + delta) };
  return { ...s, rooms };
}

export function browseErrorText(e: ClientError): string {
  switch (e.code) {
    case "rate_limited":
      return e.retryAfterMs !== undefined
        ? t("browse.rateLimitedIn", { seconds: Math.max(1, Math.ceil(e.retryAfterMs / 1000)) })
        : t("browse.rateLimited");
    case "disconnected":
      return t("browse.disconnected");
    case "timeout":
      return t("error.timeout");
    default:
      return t("browse.unavailable");
  }
}

export interface BrowseHost {
  ask(payload: object): Promise<Ack<BrowseResult> | { ok: false; error: ClientError }>;
  changed(): void;
}

/** One browse at a time, for ChatClient. */
export class RoomBrowser {
  state?: BrowseState;

  constructor(private readonly host: BrowseHost) {}

  /** Lists the rooms whose name starts with what was typed (all when it is empty). */
  async run(typed: string): Promise<void> {
    const s = startBrowse(typed);
    this.state = s;
    this.host.changed();
    this.settle(s.ticket, await this.host.ask(firstBrowseRequest(s)));
  }

  async more(): Promise<void> {
    if (!this.state) return;
    const req = nextBrowseRequest(this.state);
    if (!req) return;
    const s = loadingMoreRooms(this.state);
    this.state = s;
    this.host.changed();
    this.settle(s.ticket, await this.host.ask(req));
  }

  /** This person joined (1) or left (-1) a room the list may show. */
  counted(room: string, delta: 1 | -1): void {
    if (!this.state) return;
    this.state = applyMembership(this.state, room, delta);
    this.host.changed();
  }

  close(): void {
    this.state = undefined;
    this.host.changed();
  }

  private settle(ticket: number, ack: Ack<BrowseResult> | { ok: false; error: ClientError }): void {
    if (!this.state) return; // closed while the answer was on its way
    this.state = ack.ok ? applyBrowsePage(this.state, ticket, ack) : applyBrowseError(this.state, ticket, ack.error);
    this.host.changed();
  }
}
