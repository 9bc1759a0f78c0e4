/**
 * messages:search's bounds: a per-user limit across the cluster, a per-node cap on searches
 * running at once (with a short wait for a slot), and a deadline per query, so that searches
 * never take the connections that sends need, nor hold the database for long. Refusals show in
 * chat_events_total{event="messages:search"} under their error code.
 */
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { SearchResult } from "../shared/protocol.js";
import type { Queryable } from "../store/db.js";
import { searchMessages, type SearchOptions, type SearchStep } from "../store/search.js";
import { ChatError } from "./errors.js";

export interface Searcher {
  search(user: string, query: string, opts: SearchOptions): Promise<SearchResult>;
}

export interface SearcherDeps {
  /** The search's own connections (PostgreSQL: a pool of `concurrency`, with the statement timeout). */
  db: Queryable;
  limiter: RateLimiterAbstract;
  concurrency: number;
  timeoutMs: number;
  /** Hears which step answered each search (chat_search_steps_total). */
  onStep?: (step: SearchStep) => void;
}

/** SQLSTATE query_canceled: statement_timeout ended the query. */
const QUERY_CANCELED = "57014";

export function createSearcher(deps: SearcherDeps): Searcher {
  const slots = new Slots(deps.concurrency);
  const seconds = Math.ceil(deps.timeoutMs / 1000);
  return {
    async search(user, query, opts) {
      await consume(deps, user);
      if (!(await slots.take(deps.timeoutMs))) {
        throw new ChatError("unavailable", `too many searches on this server; try again in ${seconds} s`);
      }
      try {
        return await searchMessages(deps.db, user, query, opts, deps.onStep);
      } catch (err) {
        if ((err as { code?: unknown }).code !== QUERY_CANCELED) throw err;
        throw new ChatError("unavailable", `the search took longer than ${deps.timeoutMs} ms; try more specific words`);
      } finally {
        slots.give();
      }
    },
  };
}

async function consume(deps: SearcherDeps, user: string): Promise<void> {
  try {
    await deps.limiter.consume(user);
  } catch (res) {
    if (!(res instanceof RateLimiterRes)) throw res;
    const retryAfterMs = Math.max(1, Math.ceil(res.msBeforeNext));
    throw new ChatError("rate_limited", `too many searches; try again in ${Math.ceil(retryAfterMs / 1000)} s`, retryAfterMs);
  }
}

/**
 * A counting semaphore whose waiters leave at a deadline: a search that cannot start within
 * SEARCH_TIMEOUT_MS is answered rather than queued for as long as the backlog lasts.
 */
class Slots {
  private free: number;
  private readonly waiting: ((ok: boolean) => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  take(waitMs: number): Promise<boolean> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(wake), 1);
        resolve(false);
      }, waitMs);
      const wake = (ok: boolean) => {
        clearTimeout(timer);
        resolve(ok);
      };
      this.waiting.push(wake);
    });
  }

  /** Hands the slot to the longest waiter, or frees it. */
  give(): void {
    const next = this.waiting.shift();
    if (next) next(true);
    else this.free++;
  }
}
