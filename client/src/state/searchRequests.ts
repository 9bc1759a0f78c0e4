/**
 * The running or last message search, for ChatClient: its requests and its state. The
 * state's rules (tickets, pages, live updates) are in searchState.ts; this holds one search at
 * a time and asks the server through the client's connection.
 */
import type { Ack, Message, SearchResult } from "../../../src/shared/wire.js";
import type { ClientError } from "./format.js";
import {
  applySearchError,
  applySearchPage,
  applySearchUpdate,
  firstPageRequest,
  loadingMore,
  nextPageRequest,
  startSearch,
  type SearchState,
} from "./searchState.js";

export interface SearchHost {
  ask(payload: object): Promise<Ack<SearchResult> | { ok: false; error: ClientError }>;
  /** Resolves once connected, or after the host's own deadline. */
  connected(): Promise<void>;
  changed(): void;
}

export class Searches {
  /** The running or last search, if any. */
  state?: SearchState;

  constructor(private readonly host: SearchHost) {}

  /** Searches messages (every readable room, or one). */
  async run(query: string, room?: string): Promise<void> {
    if (query.trim() === "") return;
    const s = startSearch(query, room);
    this.state = s;
    this.host.changed();
    // Searching right after the page opened: give the connection a moment to come up.
    await this.host.connected();
    this.settle(s.ticket, await this.host.ask(firstPageRequest(s)));
  }

  /** The next (older) page of the current search. */
  async more(): Promise<void> {
    if (!this.state) return;
    const req = nextPageRequest(this.state);
    if (!req) return;
    const s = loadingMore(this.state);
    this.state = s;
    this.host.changed();
    this.settle(s.ticket, await this.host.ask(req));
  }

  close(): void {
    this.state = undefined;
    this.host.changed();
  }

  /** A message changed (edited, deleted, reacted to): its results show it as it is now. */
  update(m: Message): void {
    if (this.state) this.state = applySearchUpdate(this.state, m);
  }

  private settle(ticket: number, ack: Ack<SearchResult> | { ok: false; error: ClientError }): void {
    // Closed while the answer was on its way: nothing to show it in.
    if (!this.state) return;
    this.state = ack.ok ? applySearchPage(this.state, ticket, ack) : applySearchError(this.state, ticket, ack.error);
    this.host.changed();
  }
}
