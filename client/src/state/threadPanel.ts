/**
 * The open thread: its root and replies (pages of `thread:history` merged with what the
 * room's log holds, newest state of each message winning), paging older replies,
 * following, and reactions on replies older than the room's loaded window. Also decides
 * when a reply deserves an in-app alert (a followed thread that is not open). No DOM.
 */
import { t } from "../i18n/index.js";
import type { Message, ThreadResult } from "../../../src/shared/wire.js";
import type { ClientError } from "./format.js";
import { reactionToggle } from "./rich.js";
import type { CallResult, Room } from "./room.js";
import type { Outgoing } from "./roomLog.js";
import { newer, repliesIn } from "./thread.js";

/** What the panel's controller may use of the client. */
export interface ThreadsHost {
  readonly me: string;
  call<T extends object>(event: "thread:history" | "thread:follow" | "message:react", payload: object): Promise<CallResult<T>>;
  room(name: string): Room | undefined;
  changed(): void;
  /** A reply by someone else in a followed thread that is not open. */
  replyAlert(room: string, seq: number, from: string, root: number): void;
}

/** One open thread. */
export class OpenThread {
  /** Replies fetched with `thread:history` (the room's log may not reach back that far). */
  private readonly fetched = new Map<number, Message>();
  private fetchedRoot?: Message;
  /** Older replies exist below the oldest fetched one. */
  hasMore = false;
  loading = false;
  /** The first page has come. */
  loaded = false;
  error?: ClientError;
  private following?: boolean;

  constructor(
    readonly room: string,
    readonly root: number,
    private readonly host: ThreadsHost,
  ) {}

  private get r(): Room | undefined {
    return this.host.room(this.room);
  }

  /** The root in its newest known state. */
  rootMessage(): Message | undefined {
    return newer(this.fetchedRoot, this.r?.log.get(this.root));
  }

  /** The replies, oldest first. */
  replies(): Message[] {
    const all = new Map(this.fetched);
    for (const m of repliesIn(this.r?.log.messages() ?? [], this.root)) all.set(m.seq, newer(all.get(m.seq), m)!);
    return [...all.values()].sort((a, b) => a.seq - b.seq);
  }

  /** This person's replies not stored yet. */
  outgoing(): Outgoing[] {
    return this.r?.log.outgoing().filter((o) => o.threadOf === this.root) ?? [];
  }

  /** Whether this user follows the thread (the server's word and what the log shows since). */
  isFollowing(): boolean {
    const r = this.r;
    if (!r) return this.following ?? false;
    return r.threads.follows(r.log, this.root);
  }

  /** Fetches the newest page (`before` undefined) or the page of older replies. */
  async load(older = false): Promise<void> {
    if (this.loading) return;
    if (older && (!this.hasMore || this.fetched.size === 0)) return;
    const before = older ? Math.min(...this.fetched.keys()) : undefined;
    this.loading = true;
    this.host.changed();
    const ack = await this.host.call<ThreadResult>("thread:history", before === undefined ? { room: this.room, root: this.root } : { room: this.room, root: this.root, before });
    this.loading = false;
    if (!ack.ok) {
      this.error = ack.error;
    } else {
      this.error = undefined;
      this.fetchedRoot = newer(this.fetchedRoot, ack.root);
      for (const m of ack.messages) this.fetched.set(m.seq, newer(this.fetched.get(m.seq), m)!);
      // A newest page fetched again (after older ones) says nothing about what is below those.
      if (older || !this.loaded) this.hasMore = ack.hasMore;
      this.loaded = true;
      if (typeof ack.following === "boolean") {
        this.following = ack.following;
        // As of the root's latest change: replies after it may make this user follow again.
        this.r?.threads.setFollowing(this.root, ack.following, ack.root.updateSeq ?? ack.root.seq);
      }
    }
    this.host.changed();
  }

  /** Follows or unfollows the thread; resolves to the error, if any. */
  async setFollowing(on: boolean): Promise<ClientError | undefined> {
    const ack = await this.host.call("thread:follow", { room: this.room, root: this.root, on });
    if (!ack.ok) {
      this.error = ack.error;
    } else {
      this.following = on;
      const r = this.r;
      r?.threads.setFollowing(this.root, on, r.log.lastSeq);
    }
    this.host.changed();
    return ack.ok ? undefined : ack.error;
  }

  /** A message changed (live or an ack): keep it if it is one of ours. */
  update(m: Message) {
    if (m.room !== this.room) return;
    if (m.seq === this.root) this.fetchedRoot = newer(this.fetchedRoot, m);
    else if (this.fetched.has(m.seq)) this.fetched.set(m.seq, newer(this.fetched.get(m.seq), m)!);
  }

  /**
   * Toggles a reaction on a reply the room's log does not hold (older than its window);
   * the room does the others, with its optimistic update.
   */
  async reactFetched(seq: number, emoji: string): Promise<void> {
    const m = this.fetched.get(seq) ?? (seq === this.root ? this.fetchedRoot : undefined);
    if (!m || m.deleted) return;
    const on = reactionToggle(m, emoji, this.host.me);
    const ack = await this.host.call<{ message: Message }>("message:react", { room: this.room, seq, emoji, on });
    if (ack.ok) this.update(ack.message);
    else this.r?.messageErrors.set(seq, t("thread.reactFailed"));
    this.host.changed();
  }
}

/** The thread panel's state: at most one thread open. */
export class Threads {
  current?: OpenThread;

  constructor(private readonly host: ThreadsHost) {}

  open(room: string, root: number): OpenThread {
    if (this.current?.room === room && this.current.root === root) return this.current;
    this.current = new OpenThread(room, root, this.host);
    void this.current.load();
    this.host.changed();
    return this.current;
  }

  close() {
    if (!this.current) return;
    this.current = undefined;
    this.host.changed();
  }

  /**
   * Connected again: the open thread's newest page comes again, for changes to replies
   * older than the room's window that the re-join's catch-up does not bring to the panel.
   */
  reconnected() {
    if (this.current?.loaded) void this.current.load();
  }

  /** The thread a message belongs to: its root's seq (itself for a root), once the room's log holds it. */
  rootOf(room: string, seq: number): number | undefined {
    const m = this.host.room(room)?.log.get(seq);
    return m?.threadOf;
  }

  /** A message changed (message:updated, or the ack of an edit). */
  updated(m: Message) {
    this.current?.update(m);
  }

  /** A live `message:new`, after its room applied it. */
  arrived(m: Message) {
    if (m.threadOf === undefined || m.user === this.host.me) return;
    const c = this.current;
    if (c && c.room === m.room && c.root === m.threadOf) return;
    const r = this.host.room(m.room);
    if (r && r.threads.follows(r.log, m.threadOf)) this.host.replyAlert(m.room, m.seq, m.user, m.threadOf);
  }
}
