/**
 * One room's view of the server's log: ordering by `seq`, de-duplication by
 * `(room, seq)`, gap detection, paging of older history, the outgoing queue
 * (pending / failed sends, in outgoing.ts) and the read state. Plain data, no DOM, no
 * socket: the controller (chat.ts) feeds it what the server says and asks it what to do next.
 *
 * Positions: every log entry has a position `seq`. A new message takes one, and so
 * does every later change to a message (its `updateSeq`). `highWater` is the highest
 * position up to which this client has seen every entry; a position seen above
 * `highWater + 1` means a gap that must be fetched (`room:join` with `since`).
 */
import type { HistoryResult, JoinResult, Message } from "../../../src/shared/wire.js";
import type { ClientError } from "./format.js";
import { OutgoingQueue, type Outgoing } from "./outgoing.js";
import { mentionsMe } from "./rich.js";

export type { Outgoing, SendStatus } from "./outgoing.js";

export interface Notice {
  id: number;
  kind: "online" | "offline";
  user: string;
  /** Shown after the message with this seq (0: before every message). */
  afterSeq: number;
  at: string;
}

/** What `applyJoin` learnt: whether the catch-up is complete, or where to continue. */
export interface JoinOutcome {
  complete: boolean;
  /** When not complete: join again with this `since`. */
  nextSince?: number;
}

const entryPosition = (m: Message) => Math.max(m.seq, m.updateSeq ?? 0);

export class RoomLog {
  /** Messages by their own seq. */
  private readonly bySeq = new Map<number, Message>();
  private sortedCache: Message[] | undefined;
  /** Positions seen above highWater + 1, waiting for the gap below them to fill. */
  private readonly above = new Set<number>();
  private nextNoticeId = 1;

  /** Highest position through which every log entry has been seen. */
  highWater = 0;
  /** Lowest seq such that every message at or above it is loaded (Infinity: nothing yet). */
  loadedFrom = Number.POSITIVE_INFINITY;
  /** Older messages exist below loadedFrom. */
  hasOlder = false;
  /** The room's newest position as last reported by the server or seen live. */
  lastSeq = 0;
  /** This user's read marker. */
  readSeq = 0;
  /** A first join has been acknowledged, so later joins use `since`. */
  joinedOnce = false;
  /** Outgoing messages not yet stored, in the order they were written. */
  readonly outbox = new OutgoingQueue(() => this.changed());
  /** Other people's read markers, from `message:read` events. */
  readonly readers = new Map<string, number>();
  readonly notices: Notice[] = [];
  /** Unread count from `rooms:list`, valid for entries up to `baseSeq`. */
  private baseUnread = 0;
  private baseMentions = 0;
  private baseSeq = 0;
  /** Bumped on every change, so views can cheaply tell whether to re-render. */
  version = 0;
  /** Whether someone else's message counts as unread (a reply only in a followed thread: room.ts sets it). */
  counts: (m: Message) => boolean = () => true;

  constructor(
    readonly room: string,
    readonly me: string,
  ) {}

  /** Messages in seq order, from loadedFrom up. */
  messages(): readonly Message[] {
    if (!this.sortedCache) {
      this.sortedCache = [...this.bySeq.values()]
        .filter((m) => m.seq >= this.loadedFrom)
        .sort((a, b) => a.seq - b.seq);
    }
    return this.sortedCache;
  }

  get(seq: number): Message | undefined {
    return this.bySeq.get(seq);
  }

  /** The newest loaded message, or undefined. */
  newest(): Message | undefined {
    const list = this.messages();
    return list[list.length - 1];
  }

  /** True while a position above highWater + 1 has been seen: something was missed. */
  hasGap(): boolean {
    return this.above.size > 0;
  }

  private changed() {
    this.sortedCache = undefined;
    this.version++;
  }

  /** Inserts or replaces a message, keeping the newest state. Returns whether it changed anything. */
  private upsert(m: Message): boolean {
    if (m.room !== this.room) return false;
    const old = this.bySeq.get(m.seq);
    if (old && (old.updateSeq ?? 0) >= (m.updateSeq ?? 0)) return false;
    this.bySeq.set(m.seq, m);
    if (m.user === this.me) this.outbox.delete(m.clientId);
    this.changed();
    return true;
  }

  /** Records that the entry at `position` has been seen. */
  private see(position: number) {
    if (position > this.lastSeq) this.lastSeq = position;
    if (position <= this.highWater) return;
    if (position === this.highWater + 1) {
      this.highWater = position;
      this.advance();
    } else {
      this.above.add(position);
    }
  }

  /** Moves highWater to `to` (everything through it is known) and past any contiguous run above it. */
  private coverThrough(to: number) {
    if (to > this.highWater) this.highWater = to;
    if (to > this.lastSeq) this.lastSeq = to;
    this.advance();
  }

  private advance() {
    for (const p of this.above) if (p <= this.highWater) this.above.delete(p);
    while (this.above.delete(this.highWater + 1)) this.highWater++;
  }

  /**
   * Applies a `room:join` reply. `since` is what the join asked for (undefined: a fresh
   * join, which returns the latest page).
   */
  applyJoin(r: JoinResult, since: number | undefined): JoinOutcome {
    this.readSeq = Math.max(this.readSeq, r.readSeq);
    if (since === undefined) {
      // The latest page: everything older is reachable through room:history.
      const first = r.messages[0];
      const from = r.hasMore && first ? first.seq : 1;
      if (from < this.loadedFrom || !this.joinedOnce) {
        this.loadedFrom = Math.min(from, this.loadedFrom);
        this.hasOlder = r.hasMore;
      }
      for (const m of r.messages) this.upsert(m);
      this.joinedOnce = true;
      this.coverThrough(r.lastSeq);
      this.changed();
      return { complete: true };
    }
    // A catch-up: every entry after `since`, oldest first, possibly in several batches.
    if (!this.joinedOnce) {
      this.loadedFrom = Math.min(this.loadedFrom, since + 1);
      this.hasOlder = since > 0;
    }
    this.joinedOnce = true;
    for (const m of r.messages) {
      // A change to a message older than what is loaded: history pages will bring
      // its current state if the person scrolls up that far.
      if (m.seq < this.loadedFrom) continue;
      this.upsert(m);
    }
    if (!r.hasMore) {
      this.coverThrough(Math.max(r.lastSeq, since));
      this.changed();
      return { complete: true };
    }
    const last = r.messages[r.messages.length - 1];
    const next = last ? entryPosition(last) : since;
    if (next <= since) {
      // The server said there is more but sent nothing new: take what it reported.
      this.coverThrough(r.lastSeq);
      this.changed();
      return { complete: true };
    }
    this.coverThrough(next);
    this.changed();
    return { complete: false, nextSince: next };
  }

  /** The `before` for the next `room:history` page, or undefined when there is nothing older. */
  olderCursor(): number | undefined {
    if (!this.hasOlder || !Number.isFinite(this.loadedFrom)) return undefined;
    return this.loadedFrom;
  }

  /** Applies a `room:history` page fetched with `before`. */
  applyHistory(r: HistoryResult, before: number) {
    if (before !== this.loadedFrom) return; // stale page (a re-join moved the window)
    for (const m of r.messages) if (m.seq < before) this.upsert(m);
    const first = r.messages[0];
    this.loadedFrom = r.hasMore && first ? Math.min(first.seq, before) : 1;
    this.hasOlder = r.hasMore && first !== undefined;
    this.changed();
  }

  /** A live `message:new`. Returns true when it revealed a gap. */
  applyNew(m: Message): boolean {
    if (m.room !== this.room) return false;
    this.upsert(m);
    this.see(m.seq);
    return this.hasGap();
  }

  /** A live `message:updated`. Returns true when it revealed a gap. */
  applyUpdated(u: { seq: number; updateSeq: number; message: Message }): boolean {
    if (u.message.room !== this.room) return false;
    if (u.seq >= this.loadedFrom) this.upsert({ ...u.message, updateSeq: u.updateSeq });
    this.see(u.updateSeq);
    return this.hasGap();
  }

  /**
   * The ack of this client's own edit or reaction: the message in its new state. Like a
   * send's ack it does not count as seeing its position (`message:updated` does that).
   */
  applyChange(m: Message) {
    if (m.room !== this.room || m.seq < this.loadedFrom) return;
    this.upsert(m);
  }

  /**
   * Shows `m` at once while the server answers (a reaction). The answer, carrying a
   * newer `updateSeq`, replaces it; `revert` puts the stored state back on failure.
   */
  applyOptimistic(m: Message): Message | undefined {
    const old = this.bySeq.get(m.seq);
    if (!old || m.room !== this.room) return undefined;
    this.bySeq.set(m.seq, { ...m, updateSeq: old.updateSeq });
    this.changed();
    return old;
  }

  revert(old: Message) {
    const cur = this.bySeq.get(old.seq);
    if (!cur || (cur.updateSeq ?? 0) > (old.updateSeq ?? 0)) return;
    this.bySeq.set(old.seq, old);
    this.changed();
  }

  /**
   * The ack of this client's own send. Stores the message but does not count as a
   * live delivery for gap detection: the ack may overtake `message:new` of an earlier
   * entry that is still on its way.
   */
  applyAck(m: Message) {
    if (m.room !== this.room) return;
    this.outbox.delete(m.clientId);
    if (m.seq >= this.loadedFrom || !this.joinedOnce) this.upsert(m);
    if (m.seq > this.lastSeq) this.lastSeq = m.seq;
    this.changed();
  }

  // ---- outgoing (outgoing.ts) ----

  addOutgoing(clientId: string, body: string, now: Date, threadOf?: number): Outgoing {
    return this.outbox.addOutgoing(clientId, body, now, threadOf);
  }

  /** Marks a send attempt started (pending). Returns the entry, or undefined if it is settled. */
  attempt(clientId: string): Outgoing | undefined {
    return this.outbox.attempt(clientId);
  }

  /** Puts a failed message back in the queue (a retry keeps its clientId and its place). */
  requeue(clientId: string) {
    this.outbox.requeue(clientId);
  }

  /** The server said `rate_limited`: still pending, sent again at `at` (epoch ms). */
  waitOutgoing(clientId: string, at: number) {
    this.outbox.waitOutgoing(clientId, at);
  }

  failOutgoing(clientId: string, error: ClientError) {
    this.outbox.failOutgoing(clientId, error);
  }

  discardOutgoing(clientId: string) {
    this.outbox.discardOutgoing(clientId);
  }

  outgoing(): Outgoing[] {
    return this.outbox.outgoing();
  }

  // ---- reading ----

  /** Takes the unread (and mention) counts that `rooms:list` reported at position `lastSeq`. */
  setListUnread(unread: number, lastSeq: number, readSeq: number, mentions = 0) {
    this.baseUnread = unread;
    this.baseMentions = mentions;
    this.baseSeq = lastSeq;
    this.readSeq = Math.max(this.readSeq, readSeq);
    if (lastSeq > this.lastSeq) this.lastSeq = lastSeq;
    this.changed();
  }

  /** Messages written by others after this user's read marker. */
  unread(): number {
    const from = Math.max(this.readSeq, this.baseSeq);
    let n = this.readSeq < this.baseSeq ? this.baseUnread : 0;
    for (const m of this.messages()) {
      if (m.seq > from && m.user !== this.me && !m.deleted && this.counts(m)) n++;
    }
    return n;
  }

  /** Unread messages by others that mention this user with `@name`. */
  mentions(): number {
    const from = Math.max(this.readSeq, this.baseSeq);
    let n = this.readSeq < this.baseSeq ? this.baseMentions : 0;
    for (const m of this.messages()) {
      if (m.seq > from && mentionsMe(m, this.me)) n++;
    }
    return n;
  }

  /**
   * The seq to send in `message:read` now that the newest message is visible, or
   * undefined when the marker is already there.
   */
  readTarget(): number | undefined {
    const newest = this.newest();
    if (!newest || newest.seq <= this.readSeq) return undefined;
    return newest.seq;
  }

  markRead(seq: number) {
    if (seq <= this.readSeq) return;
    this.readSeq = seq;
    this.changed();
  }

  /** Another person's `message:read`. */
  applyRead(user: string, seq: number) {
    if (user === this.me) {
      this.markRead(seq);
      return;
    }
    if ((this.readers.get(user) ?? 0) >= seq) return;
    this.readers.set(user, seq);
    this.changed();
  }

  /** Who has read this user's newest stored message (for "seen by"). */
  seenBy(): { seq: number; users: string[] } | undefined {
    const list = this.messages();
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]!;
      if (m.user !== this.me) continue;
      const users = [...this.readers].filter(([u, s]) => u !== this.me && s >= m.seq).map(([u]) => u);
      return { seq: m.seq, users: users.sort() };
    }
    return undefined;
  }

  // ---- presence notices ----

  addNotice(kind: Notice["kind"], user: string, now: Date) {
    const newest = this.newest();
    this.notices.push({ id: this.nextNoticeId++, kind, user, afterSeq: newest?.seq ?? 0, at: now.toISOString() });
    if (this.notices.length > 200) this.notices.splice(0, this.notices.length - 200);
    this.changed();
  }
}
