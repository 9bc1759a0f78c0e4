/**
 * One room as the controller keeps it: its log, who is online and typing, and the requests
 * that concern it alone (join and catch-up, the outbox in outbox.ts, history paging, edits
 * and reactions in messageChanges.ts). The room owns its flags; `ChatClient` owns the socket
 * and the registry and lends each room what it needs through `RoomHost`.
 */
import {
  DEFAULT_HISTORY_LIMIT,
  type Ack,
  type ClientToServerEvents,
  type HistoryResult,
  type JoinResult,
  type Message,
} from "../../../src/shared/wire.js";
import type { UploadedFile } from "./attachments.js";
import type { ClientError } from "./format.js";
import type { JoinQueue } from "./joinQueue.js";
import { MessageChanges } from "./messageChanges.js";
import { Outbox } from "./outbox.js";
import { RoomLog } from "./roomLog.js";
import { RoomThreads } from "./thread.js";

/** The longest `rate_limited` wait a join holds the queue for; longer ones fail that join. */
const MAX_JOIN_HOLD_MS = 60_000;
import { TypingEmitter, TypingTracker } from "./typing.js";

export type CallResult<T extends object> = Ack<T> | { ok: false; error: ClientError };

/** What a room may use of the client that holds it. */
export interface RoomHost {
  readonly me: string;
  call<T extends object>(event: keyof ClientToServerEvents, payload: object): Promise<CallResult<T>>;
  /** The socket is connected now. */
  isConnected(): boolean;
  /** This room is still the one registered under its name (not closed meanwhile). */
  isCurrent(room: Room): boolean;
  readonly joins: JoinQueue;
  changed(): void;
  later(ms: number, fn: () => void): void;
  now(): number;
  newClientId(): string;
  /** A message changed: wherever else it is shown (search results) shows it as it is now. */
  updated(m: Message): void;
  /** The server named its longest message (a send refused as too long). */
  limitLearnt(maxChars: number): void;
}

const DISCONNECTED: ClientError = { code: "disconnected", message: "not connected" };

export class Room {
  readonly log: RoomLog;
  /** Follows and unread threads (thread.ts). */
  readonly threads = new RoomThreads();
  /** Online members, from `room:join` and presence events. */
  members = new Set<string>();
  readonly typing = new TypingTracker();
  readonly emitter: TypingEmitter;
  /** Joined on the current connection. */
  joined = false;
  joining = false;
  /** Another join was asked for while one was running (a gap, a resync). */
  rejoinWanted = false;
  loadingOlder = false;
  /** The newest send/join error, shown next to the composer. */
  error?: ClientError;
  /** `dm:invited`: who opened this DM with us. */
  invitedBy?: string;
  /** Position in the last `rooms:list` (newest activity first). */
  listRank = Number.POSITIVE_INFINITY;
  /** The newest edit/delete/react error per message seq, in plain words, shown on it. */
  readonly messageErrors = new Map<number, string>();
  private readonly outbox: Outbox;
  private readonly changes: MessageChanges;
  private idleArmed = false;

  constructor(
    readonly room: string,
    private readonly host: RoomHost,
  ) {
    this.log = new RoomLog(room, host.me);
    this.outbox = new Outbox(this, host);
    this.changes = new MessageChanges(this, host);
    this.log.counts = (m) => this.threads.counts(this.log, m);
    this.emitter = new TypingEmitter((typing) => {
      if (this.joined) void host.call("typing", { room, typing });
    });
  }

  // ---- connection ----

  /** The connection dropped: nothing is joined, nobody is typing. */
  disconnected() {
    this.joined = false;
    this.typing.clearAll();
    this.emitter.reset();
  }

  /** The room is closed for this session. */
  close() {
    this.emitter.stop();
  }

  /**
   * Joins (or re-joins): a fresh join the first time, then `since` the highest contiguous
   * position seen, in as many batches as the server needs. Sends what was waiting in the
   * outbox once joined. Each request waits for a slot in `joins`; `urgent` (the person
   * opened the room) goes before background catch-ups.
   */
  async join(urgent = false): Promise<ClientError | undefined> {
    const host = this.host;
    if (this.joining) {
      this.rejoinWanted = true;
      return undefined;
    }
    if (!host.isConnected()) return DISCONNECTED;
    this.joining = true;
    this.rejoinWanted = false;
    let failure: ClientError | undefined;
    try {
      let since = this.log.joinedOnce ? this.log.highWater : undefined;
      for (;;) {
        await host.joins.acquire(urgent);
        // Closed while it waited: do not join it again.
        if (!host.isCurrent(this)) {
          host.joins.release();
          return undefined;
        }
        let ack: CallResult<JoinResult>;
        try {
          ack = await host.call<JoinResult>("room:join", since === undefined ? { room: this.room } : { room: this.room, since });
        } finally {
          host.joins.release();
        }
        if (!ack.ok && ack.error.code === "rate_limited" && (ack.error.retryAfterMs ?? 1000) <= MAX_JOIN_HOLD_MS && host.isConnected()) {
          // Over the connection's event rate (a reconnect in many rooms): no join starts
          // until the window the server named has passed, then this one asks again. A longer
          // wait is the hourly limit on creating rooms: that join fails and the others go on.
          host.joins.holdFor(ack.error.retryAfterMs ?? 1000);
          continue;
        }
        if (!ack.ok) {
          failure = ack.error;
          break;
        }
        this.members = new Set(ack.members);
        this.joined = true;
        const outcome = this.log.applyJoin(ack, since);
        host.changed();
        if (outcome.complete) break;
        since = outcome.nextSince;
      }
    } finally {
      this.joining = false;
    }
    if (failure) {
      if (failure.code !== "disconnected") this.error = failure;
      // A reconnect asked for this room while the failed request waited or ran.
      if (this.rejoinWanted && host.isConnected() && host.isCurrent(this)) void this.join();
      host.changed();
      return failure;
    }
    if (this.error?.code === "not_joined" || this.error?.code === "disconnected") this.error = undefined;
    void this.outbox.pump();
    if (this.rejoinWanted) {
      void this.join();
    } else if (this.log.hasGap()) {
      // Entries above the gap arrived before the ones in it (they travel different
      // paths between nodes); look again shortly rather than spin.
      host.later(300, () => {
        if (this.log.hasGap() && this.joined) void this.join();
      });
    }
    host.changed();
    return undefined;
  }

  /** Joins again if joined: the log has a gap, or the server asked (the outbox too). */
  lostTrack() {
    this.joined = false;
    void this.join();
  }

  // ---- the outbox (outbox.ts) ----

  /**
   * Sends a message (a reply with `threadOf`): shown at once as pending, sent when the room
   * is joined. `files` were uploaded already (uploads need the network; the message then
   * waits in the outbox like any other); with files the body may be empty.
   */
  send(body: string, threadOf?: number, files: UploadedFile[] = []): string | undefined {
    return this.outbox.send(body, threadOf, files);
  }

  /** Sends a failed message again, with the same clientId (the server de-duplicates). */
  retry(clientId: string) {
    this.outbox.retry(clientId);
  }

  discard(clientId: string) {
    this.outbox.discard(clientId);
  }

  /** A `message:send` is in flight (sends go one at a time, in order). */
  get sending(): boolean {
    return this.outbox.sending;
  }

  /** Text of sends refused as too long, for the composer to take back (`takeReturned`). */
  get returned(): string | undefined {
    return this.outbox.returned;
  }

  /** The files of refused sends, for the composer's tray, once (still uploaded and unlinked). */
  takeReturnedFiles(): UploadedFile[] {
    return this.outbox.takeReturnedFiles();
  }

  /** The refused text for the composer, once. */
  takeReturned(): string | undefined {
    return this.outbox.takeReturned();
  }

  // ---- history ----

  /** Loads the page of messages before the oldest loaded one. */
  async loadOlder(): Promise<void> {
    const before = this.log.olderCursor();
    if (before === undefined || this.loadingOlder) return;
    this.loadingOlder = true;
    this.host.changed();
    try {
      const ack = await this.host.call<HistoryResult>("room:history", { room: this.room, before, limit: DEFAULT_HISTORY_LIMIT });
      if (ack.ok) this.log.applyHistory(ack, before);
    } finally {
      this.loadingOlder = false;
      this.host.changed();
    }
  }

  /** The newest message is on screen and the window has focus. */
  markRead() {
    if (!this.joined) return;
    const seq = this.log.readTarget();
    if (seq === undefined) return;
    this.log.markRead(seq);
    void this.host.call("message:read", { room: this.room, seq });
    this.host.changed();
  }

  // ---- typing ----

  /** A keystroke in the composer. */
  typingInput(hasText: boolean) {
    this.emitter.input(hasText, this.host.now());
    this.scheduleIdle();
  }

  /** One idle check at a time, re-armed while the person keeps typing. */
  private scheduleIdle() {
    const deadline = this.emitter.idleDeadline();
    if (deadline === undefined || this.idleArmed) return;
    this.idleArmed = true;
    this.host.later(Math.max(0, deadline - this.host.now()) + 10, () => {
      this.idleArmed = false;
      this.emitter.tick(this.host.now());
      this.scheduleIdle();
    });
  }

  // ---- changes to messages (messageChanges.ts) ----

  /** Edits this user's message. Resolves to true when the server took it. */
  edit(seq: number, body: string): Promise<boolean> {
    return this.changes.edit(seq, body);
  }

  /** Deletes this user's message (the others see a tombstone). */
  remove(seq: number): Promise<boolean> {
    return this.changes.remove(seq);
  }

  /** Toggles this user's `emoji` on a message: shown at once, settled by the server's answer. */
  react(seq: number, emoji: string): Promise<void> {
    return this.changes.react(seq, emoji);
  }

  // ---- what the server says about this room (roomEvents.ts routes it here) ----

  /** `message:new`; returns whether it came from someone else. */
  onNew(m: Message): boolean {
    const gap = this.log.applyNew(m);
    const theirs = m.user !== this.host.me;
    if (theirs) this.typing.clear(m.user);
    if (gap && this.joined) void this.join();
    return theirs;
  }

  onUpdated(u: Parameters<RoomLog["applyUpdated"]>[0]) {
    if (this.log.applyUpdated(u) && this.joined) void this.join();
    if (u.message.deleted) this.messageErrors.delete(u.seq);
    this.host.updated(u.message);
  }

  onPresence(user: string, online: boolean) {
    const me = this.host.me;
    if (online) {
      if (this.members.has(user)) return;
      this.members.add(user);
      if (user !== me) this.log.addNotice("online", user, new Date(this.host.now()));
    } else {
      this.typing.clear(user);
      if (this.members.delete(user) && user !== me) this.log.addNotice("offline", user, new Date(this.host.now()));
    }
  }
}
