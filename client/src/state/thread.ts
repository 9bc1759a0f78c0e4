/**
 * Threads as one room sees them (docs/protocol.md "Threads"), without DOM or socket: which
 * messages belong on the room's timeline, which threads this user follows, and what counts
 * as unread. Replies are ordinary entries of the room's log (RoomLog keeps them); the main
 * timeline leaves them out and the thread panel (threadPanel.ts) shows them.
 */
import { t } from "../i18n/index.js";
import type { Message } from "../../../src/shared/wire.js";
import { mentionsMe } from "./rich.js";

/** What this module reads of a room's log (RoomLog has it). */
export interface ThreadLog {
  readonly me: string;
  readonly readSeq: number;
  messages(): readonly Message[];
  get(seq: number): Message | undefined;
}

export const isReply = (m: { threadOf?: number }): boolean => m.threadOf !== undefined;

const timelines = new WeakMap<readonly Message[], readonly Message[]>();

/**
 * The room's own timeline: its messages without the replies, which live in their threads.
 * RoomLog returns the same array until it changes, so the filtered copy is kept per array.
 */
export function timeline(list: readonly Message[]): readonly Message[] {
  let t = timelines.get(list);
  if (!t) {
    t = list.some(isReply) ? list.filter((m) => !isReply(m)) : list;
    timelines.set(list, t);
  }
  return t;
}

/** Replies of `root` among `list`, oldest first (a list in seq order stays in order). */
export function repliesIn(list: readonly Message[], root: number): Message[] {
  return list.filter((m) => m.threadOf === root);
}

/** "3 replies", "1 reply". */
export function replyCountText(n: number): string {
  return t("thread.replies", { count: n });
}

/** Keeps the newest state of each message by `updateSeq` (a page fetched earlier may be older than the log). */
export function newer(a: Message | undefined, b: Message | undefined): Message | undefined {
  if (!a) return b;
  if (!b) return a;
  return (b.updateSeq ?? 0) > (a.updateSeq ?? 0) ? b : a;
}

/**
 * One room's follows and unread threads. The server decides who follows (the root's author
 * from the first reply, every replier, everyone a reply mentions, and `thread:follow` by hand); the client mirrors
 * that from what it has loaded, and takes the server's word where it has it (`following` in
 * `thread:history`, its own `thread:follow`) as of a position in the log.
 */
export class RoomThreads {
  /** A known state of a thread as of position `after`: replies after it may follow it again. */
  private readonly known = new Map<number, { on: boolean; after: number }>();
  private cache?: { list: readonly Message[]; version: number; roots: Set<number> };
  private version = 0;
  /** `unreadThreads` from `rooms:list`, valid for entries up to `baseSeq`. */
  private baseCount = 0;
  private baseSeq = 0;

  /** The server's word (or this person's choice, once acked) about following `root`, as of position `after`. */
  setFollowing(root: number, on: boolean, after: number) {
    this.known.set(root, { on, after });
    this.version++;
  }

  /** `unreadThreads` as `rooms:list` reported it at the room's position `lastSeq`. */
  setListUnread(count: number, lastSeq: number) {
    this.baseCount = count;
    this.baseSeq = lastSeq;
  }

  /** The roots this user follows, as far as the loaded log tells. */
  followed(log: ThreadLog): ReadonlySet<number> {
    const list = log.messages();
    if (this.cache && this.cache.list === list && this.cache.version === this.version) return this.cache.roots;
    const me = log.me;
    const roots = new Set<number>();
    for (const [root, k] of this.known) if (k.on) roots.add(root);
    for (const m of list) {
      if (m.threadOf === undefined) {
        // A root of mine that has replies: its author follows it, unless told otherwise since.
        if (m.user === me && (m.replyCount ?? 0) > 0 && !this.known.has(m.seq)) roots.add(m.seq);
        continue;
      }
      const k = this.known.get(m.threadOf);
      if (k && m.seq <= k.after) continue;
      // Each reply makes its author and the people it mentions follow (again); the root's
      // author too, unless the server or their own unfollow said otherwise (that holds).
      if (m.user === me || mentionsMe(m, me) || (!k && log.get(m.threadOf)?.user === me)) roots.add(m.threadOf);
    }
    this.cache = { list, version: this.version, roots };
    return roots;
  }

  follows(log: ThreadLog, root: number): boolean {
    return this.followed(log).has(root);
  }

  /** Whether `m` (someone else's, after the read marker) counts as unread: replies only in followed threads. */
  counts(log: ThreadLog, m: Message): boolean {
    return m.threadOf === undefined || this.follows(log, m.threadOf);
  }

  /** Followed threads with others' replies after the read marker. */
  unreadThreads(log: ThreadLog): number {
    const from = Math.max(log.readSeq, this.baseSeq);
    // The list does not name its threads, so one of them that gets a new reply may be
    // counted twice until the room is read (a badge, not a ledger).
    const base = log.readSeq < this.baseSeq ? this.baseCount : 0;
    const followed = this.followed(log);
    const roots = new Set<number>();
    for (const m of log.messages()) {
      if (m.threadOf !== undefined && m.seq > from && m.user !== log.me && !m.deleted && followed.has(m.threadOf)) roots.add(m.threadOf);
    }
    return base + roots.size;
  }
}
