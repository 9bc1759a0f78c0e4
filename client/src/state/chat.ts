/**
 * The chat controller: one Socket.IO connection, the rooms this person is in, and the
 * rules for keeping each room's log whole across reconnects. No DOM: the views
 * subscribe to changes and call the actions; Node can drive it too.
 */
import { io, type ManagerOptions, type SocketOptions } from "socket.io-client";
import {
  DEFAULT_HISTORY_LIMIT,
  isRoomName,
  type Ack,
  type ClientToServerEvents,
  type HistoryResult,
  type JoinResult,
  type Message,
  type RoomSummary,
  type SearchResult,
} from "../../../src/shared/wire.js";
import type { ClientError } from "./format.js";
import { actionErrorText, reactionToggle, withReaction, type MessageAction } from "./rich.js";
import { JoinQueue } from "./joinQueue.js";
import { randomId, tokenSubject } from "./ids.js";
import { newRoomState, type RoomState } from "./roomState.js";
import { Searches } from "./searchRequests.js";
import type { SearchState } from "./searchState.js";
import { wireRoomEvents, type ChatSocket } from "./roomEvents.js";
import { wireRenewal } from "./renewal.js";

/** The longest `rate_limited` wait a join holds the queue for; longer ones fail that join. */
const MAX_JOIN_HOLD_MS = 60_000;

export type { RoomState } from "./roomState.js";
export { tokenSubject } from "./ids.js";

export type ConnState = "connecting" | "connected" | "reconnecting" | "offline" | "refused";

export type Credentials = { username: string } | { token: string };

/** A `mention` event: someone named this user in a room. */
export interface MentionAlert {
  id: number;
  room: string;
  seq: number;
  from: string;
  at: number;
}

export interface ChatOptions {
  /** Server URL; undefined means the page's own origin. */
  url?: string;
  credentials: Credentials;
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  ackTimeoutMs?: number;
  now?: () => number;
  newClientId?: () => string;
  /** `room:join` requests in flight at once (catch-ups after a reconnect wait their turn). @default 4 */
  maxConcurrentJoins?: number;
  /** jwt mode: a fresh token from the page (state/renewal.ts); undefined if it has none. */
  getToken?: () => Promise<string | undefined>;
  /** jwt mode: the server took a renewed token. */
  onTokenRenewed?: (token: string) => void;
}

/** Why the client stopped for good: connect_error messages, and a token that expired. */
const REFUSALS = new Set(["invalid_username", "unauthorized", "session_expired"]);

export class ChatClient {
  readonly me: string;
  conn: ConnState = "connecting";
  /** Why we were refused: a `connect_error` message, or `session_expired` (jwt mode). */
  refusal?: string;
  /** From `server:hello`. */
  node?: string;
  protocolVersion?: number;
  readonly rooms = new Map<string, RoomState>();
  /** Bumped on every change. */
  version = 0;
  /** The newest message from someone else, for the screen reader's live region. */
  lastIncoming?: Message;
  /** Connections made so far (1 after the first connect). */
  connects = 0;
  /** `mention` events, newest last (the views show them as toasts). */
  readonly mentionAlerts: MentionAlert[] = [];
  private readonly searches = new Searches({
    ask: (payload) => this.call<SearchResult>("messages:search", payload),
    connected: () => this.connected(this.ackTimeoutMs),
    changed: () => this.changed(),
  });
  /** The running or last search, if any. */
  get search(): SearchState | undefined {
    return this.searches.state;
  }

  private readonly socket: ChatSocket;
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private readonly ackTimeoutMs: number;
  private readonly newClientId: () => string;
  private readonly joins: JoinQueue;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly idleArmed = new Set<string>();
  private online = true;
  private stopped = false;
  private notifyQueued = false;
  private nextAlertId = 1;

  constructor(opts: ChatOptions) {
    const cred = opts.credentials;
    this.me = "username" in cred ? cred.username : (tokenSubject(cred.token) ?? "");
    this.now = opts.now ?? Date.now;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
    this.newClientId = opts.newClientId ?? randomId;
    this.joins = new JoinQueue(opts.maxConcurrentJoins ?? 4);
    const socketOpts: Partial<ManagerOptions & SocketOptions> = {
      auth: "username" in cred ? { username: cred.username } : { token: cred.token },
      // WebSocket first needs no sticky sessions; fall back to long-polling where it is blocked.
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5,
      autoConnect: false,
      ...opts.socketOptions,
    };
    this.socket = (opts.url ? io(opts.url, socketOpts) : io(socketOpts)) as ChatSocket;
    this.wire();
    if ("token" in cred) this.wireRenewal(opts);
  }

  // ---- subscription ----

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed() {
    this.version++;
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      for (const fn of this.listeners) fn();
    });
  }

  private later(ms: number, fn: () => void) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  // ---- lifecycle ----

  start() {
    this.stopped = false;
    this.socket.connect();
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.socket.disconnect();
    // Waiting joins find the socket closed and end; no hold's timer outlives the client.
    this.joins.resume();
    this.conn = "offline";
    this.changed();
  }

  /** The browser's online/offline events. */
  setOnline(online: boolean) {
    this.online = online;
    if (!online && this.conn !== "connected" && this.conn !== "refused") this.conn = "offline";
    if (online && this.conn === "offline" && !this.stopped) {
      this.conn = "reconnecting";
      this.socket.connect();
    }
    this.changed();
  }

  /** The socket's id and transport, for tests and the footer. */
  get transport(): string | undefined {
    return this.socket.io.engine?.transport?.name;
  }

  private wire() {
    const s = this.socket;
    s.on("connect", () => {
      this.connects++;
      this.conn = "connected";
      this.refusal = undefined;
      this.changed();
      for (const st of this.rooms.values()) void this.join(st.room);
      void this.listRooms();
    });
    s.on("disconnect", (reason) => {
      for (const st of this.rooms.values()) {
        st.joined = false;
        st.typing.clearAll();
        st.emitter.reset();
      }
      if (this.stopped || reason === "io client disconnect") {
        this.conn = this.conn === "refused" ? "refused" : "offline";
      } else {
        this.conn = this.online ? "reconnecting" : "offline";
        if (reason === "io server disconnect") {
          // The server closed this socket (a node draining): the client does not
          // reconnect by itself in that case. Come back after a short random pause.
          this.later(250 + Math.random() * 750, () => this.socket.connect());
        }
      }
      this.changed();
    });
    s.on("connect_error", (err) => {
      if (REFUSALS.has(err.message)) {
        // A token that worked before and is refused now has expired (offline past its exp).
        this.refuse(err.message === "unauthorized" && this.connects > 0 ? "session_expired" : err.message);
        return;
      }
      if (this.conn !== "refused") {
        this.conn = !this.online ? "offline" : this.connects > 0 ? "reconnecting" : "connecting";
      }
      this.changed();
    });
    s.io.on("reconnect_attempt", () => {
      if (this.conn !== "refused") this.conn = this.online ? "reconnecting" : "offline";
      this.changed();
    });
    s.on("server:hello", (h) => {
      this.node = h.node;
      this.protocolVersion = h.version;
      this.changed();
    });
    wireRoomEvents(s, {
      me: this.me,
      rooms: this.rooms,
      now: () => this.now(),
      changed: () => this.changed(),
      rejoin: (room) => void this.join(room),
      ensureRoom: (room) => this.ensureRoom(room),
      later: (ms, fn) => this.later(ms, fn),
      incoming: (m) => {
        this.lastIncoming = m;
      },
      mention: (room, seq, from) => {
        this.mentionAlerts.push({ id: this.nextAlertId++, room, seq, from, at: this.now() });
        if (this.mentionAlerts.length > 20) this.mentionAlerts.splice(0, this.mentionAlerts.length - 20);
      },
      updated: (m) => this.searches.update(m),
    });
  }

  private wireRenewal(opts: ChatOptions) {
    wireRenewal(this.socket, {
      getToken: opts.getToken ?? (async () => undefined),
      refresh: (token) => this.call("auth:refresh", { token }),
      renewed: (token) => {
        // Reconnects present the new token too.
        this.socket.auth = { token };
        opts.onTokenRenewed?.(token);
      },
      expired: () => this.refuse("session_expired"),
    });
  }

  /** Stops for good with `why` (the views sign the person out and say why). */
  private refuse(why: string) {
    this.conn = "refused";
    this.refusal = why;
    this.socket.disconnect();
    this.changed();
  }

  // ---- requests ----

  private call<T extends object>(event: keyof ClientToServerEvents, payload: object): Promise<Ack<T> | { ok: false; error: ClientError }> {
    return new Promise((resolve) => {
      if (!this.socket.connected) {
        resolve({ ok: false, error: { code: "disconnected", message: "not connected" } });
        return;
      }
      const emitter = this.socket.timeout(this.ackTimeoutMs) as unknown as {
        emit(ev: string, p: object, cb: (err: Error | null, ack?: Ack<T>) => void): void;
      };
      emitter.emit(event, payload, (err, ack) => {
        if (err) {
          const code = this.socket.connected ? "timeout" : "disconnected";
          resolve({ ok: false, error: { code, message: err.message } });
        } else if (!ack || typeof ack !== "object") {
          resolve({ ok: false, error: { code: "internal", message: "malformed acknowledgement" } });
        } else {
          resolve(ack);
        }
      });
    });
  }

  private ensureRoom(room: string): RoomState {
    let st = this.rooms.get(room);
    if (!st) {
      const created: RoomState = newRoomState(room, this.me, (typing) => {
        if (created.joined) void this.call("typing", { room, typing });
      });
      st = created;
      this.rooms.set(room, st);
      this.changed();
    }
    return st;
  }

  /**
   * Joins (or re-joins) a room: a fresh join the first time, then `since` the highest
   * contiguous position seen, in as many batches as the server needs. Sends what was
   * waiting in the outbox once joined. Each request waits for a slot in `joins`; `urgent`
   * (the person opened the room) goes before background catch-ups.
   */
  private async join(room: string, urgent = false): Promise<ClientError | undefined> {
    const st = this.rooms.get(room);
    if (!st) return undefined;
    if (st.joining) {
      st.rejoinWanted = true;
      return undefined;
    }
    if (!this.socket.connected) return { code: "disconnected", message: "not connected" };
    st.joining = true;
    st.rejoinWanted = false;
    let failure: ClientError | undefined;
    try {
      let since = st.log.joinedOnce ? st.log.highWater : undefined;
      for (;;) {
        await this.joins.acquire(urgent);
        // Closed while it waited: do not join it again.
        if (this.rooms.get(room) !== st) {
          this.joins.release();
          return undefined;
        }
        let ack: Ack<JoinResult> | { ok: false; error: ClientError };
        try {
          ack = await this.call<JoinResult>("room:join", since === undefined ? { room } : { room, since });
        } finally {
          this.joins.release();
        }
        if (!ack.ok && ack.error.code === "rate_limited" && (ack.error.retryAfterMs ?? 1000) <= MAX_JOIN_HOLD_MS && this.socket.connected) {
          // Over the connection's event rate (a reconnect in many rooms): no join starts
          // until the window the server named has passed, then this one asks again. A longer
          // wait is the hourly limit on creating rooms: that join fails and the others go on.
          this.joins.holdFor(ack.error.retryAfterMs ?? 1000);
          continue;
        }
        if (!ack.ok) {
          failure = ack.error;
          break;
        }
        st.members = new Set(ack.members);
        st.joined = true;
        const outcome = st.log.applyJoin(ack, since);
        this.changed();
        if (outcome.complete) break;
        since = outcome.nextSince;
      }
    } finally {
      st.joining = false;
    }
    if (failure) {
      if (failure.code !== "disconnected") st.error = failure;
      // A reconnect asked for this room while the failed request waited or ran.
      if (st.rejoinWanted && this.socket.connected && this.rooms.get(room) === st) void this.join(room);
      this.changed();
      return failure;
    }
    if (st.error?.code === "not_joined" || st.error?.code === "disconnected") st.error = undefined;
    this.flushOutbox(st);
    if (st.rejoinWanted) {
      void this.join(room);
    } else if (st.log.hasGap()) {
      // Entries above the gap arrived before the ones in it (they travel different
      // paths between nodes); look again shortly rather than spin.
      this.later(300, () => {
        if (st.log.hasGap() && st.joined) void this.join(room);
      });
    }
    this.changed();
    return undefined;
  }

  private async listRooms() {
    const ack = await this.call<{ rooms: RoomSummary[] }>("rooms:list", {});
    if (!ack.ok) return;
    ack.rooms.forEach((r, i) => {
      if (!isRoomName(r.room)) return;
      const known = this.rooms.has(r.room);
      const st = this.ensureRoom(r.room);
      st.listRank = i;
      // A room already loaded counts its own unread; the list's count is for the rest.
      if (!known || !st.log.joinedOnce) st.log.setListUnread(r.unread, r.lastSeq, r.readSeq, r.mentions ?? 0);
      if (!st.joined && !st.joining) void this.join(r.room);
    });
    this.changed();
  }

  // ---- actions ----

  /** Joins a public room (creating it) or an existing DM by name. */
  async openRoom(room: string): Promise<ClientError | undefined> {
    if (!isRoomName(room)) return { code: "invalid_payload", message: "bad room name" };
    const existed = this.rooms.has(room);
    this.ensureRoom(room);
    const err = await this.join(room, true);
    if (err && err.code !== "disconnected" && !existed) {
      this.rooms.delete(room);
      this.changed();
    }
    return err;
  }

  /** Opens the DM with `user` (`dm:open`, then `room:join`); resolves to its room or an error. */
  async openDm(user: string): Promise<{ room: string } | { error: ClientError }> {
    const ack = await this.call<{ room: string }>("dm:open", { user });
    if (!ack.ok) return { error: ack.error };
    const err = await this.openRoom(ack.room);
    return err && err.code !== "disconnected" ? { error: err } : { room: ack.room };
  }

  /** Stops showing a room for this session and leaves it on the server. */
  closeRoom(room: string) {
    const st = this.rooms.get(room);
    if (!st) return;
    st.emitter.stop();
    this.rooms.delete(room);
    void this.call("room:leave", { room });
    this.changed();
  }

  /** Sends a message: shown at once as pending, sent when the room is joined. */
  send(room: string, body: string): string | undefined {
    const st = this.rooms.get(room);
    const text = body.trim();
    if (!st || text === "") return undefined;
    const clientId = this.newClientId();
    st.log.addOutgoing(clientId, text, new Date(this.now()));
    st.emitter.stop();
    st.error = undefined;
    this.trySend(st, clientId);
    this.changed();
    return clientId;
  }

  /** Sends a failed message again, with the same clientId (the server de-duplicates). */
  retry(room: string, clientId: string) {
    const st = this.rooms.get(room);
    if (!st) return;
    st.error = undefined;
    this.trySend(st, clientId);
    this.changed();
  }

  discard(room: string, clientId: string) {
    const st = this.rooms.get(room);
    if (!st) return;
    st.log.discardOutgoing(clientId);
    if (st.log.outgoing().every((o) => o.status !== "failed")) st.error = undefined;
    this.changed();
  }

  private flushOutbox(st: RoomState) {
    void this.pump(st);
  }

  private trySend(st: RoomState, clientId: string) {
    st.log.requeue(clientId);
    void this.pump(st);
  }

  /**
   * Sends the room's pending messages one at a time, in the order they were written:
   * the server handles a socket's events concurrently, so two sends in flight at once
   * could be stored (and numbered) in either order.
   */
  private async pump(st: RoomState) {
    if (st.sending || !st.joined || !this.socket.connected) return;
    const next = st.log.outgoing().find((o) => o.status === "pending");
    if (!next) return;
    const o = st.log.attempt(next.clientId)!;
    st.sending = true;
    this.changed();
    let ack: Awaited<ReturnType<typeof this.call<{ message: Message }>>>;
    try {
      ack = await this.call<{ message: Message }>("message:send", { room: st.room, body: o.body, clientId: o.clientId });
    } finally {
      st.sending = false;
    }
    if (ack.ok) {
      st.log.applyAck(ack.message);
    } else if (ack.error.code === "disconnected") {
      // Lost with the connection: the re-join sends it again with the same clientId.
      this.changed();
      return;
    } else if (ack.error.code === "not_joined") {
      st.joined = false;
      void this.join(st.room);
      this.changed();
      return;
    } else {
      st.log.failOutgoing(o.clientId, ack.error);
      st.error = ack.error;
    }
    this.changed();
    if (this.rooms.get(st.room) === st) void this.pump(st);
  }

  /** Loads the page of messages before the oldest loaded one. */
  async loadOlder(room: string) {
    const st = this.rooms.get(room);
    const before = st?.log.olderCursor();
    if (!st || before === undefined || st.loadingOlder) return;
    st.loadingOlder = true;
    this.changed();
    try {
      const ack = await this.call<HistoryResult>("room:history", { room, before, limit: DEFAULT_HISTORY_LIMIT });
      if (ack.ok) st.log.applyHistory(ack, before);
    } finally {
      st.loadingOlder = false;
      this.changed();
    }
  }

  /** Loads older pages until `seq` is loaded (a search result to jump to), at most `pages` of them. */
  async loadUntil(room: string, seq: number, pages = 10): Promise<boolean> {
    for (let i = 0; i < pages; i++) {
      const st = this.rooms.get(room);
      if (!st) return false;
      if (st.log.joinedOnce && st.log.loadedFrom <= seq) return true;
      if (!st.log.joinedOnce || st.loadingOlder) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (st.log.olderCursor() === undefined) return false;
      await this.loadOlder(room);
    }
    return (this.rooms.get(room)?.log.loadedFrom ?? Infinity) <= seq;
  }

  /** The newest message of `room` is on screen and the window has focus. */
  markRead(room: string) {
    const st = this.rooms.get(room);
    if (!st || !st.joined) return;
    const seq = st.log.readTarget();
    if (seq === undefined) return;
    st.log.markRead(seq);
    void this.call("message:read", { room, seq });
    this.changed();
  }

  /** A keystroke in the composer. */
  typingInput(room: string, hasText: boolean) {
    const st = this.rooms.get(room);
    if (!st) return;
    st.emitter.input(hasText, this.now());
    this.scheduleIdle(st);
  }

  /** One idle check per room at a time, re-armed while the person keeps typing. */
  private scheduleIdle(st: RoomState) {
    const deadline = st.emitter.idleDeadline();
    if (deadline === undefined || this.idleArmed.has(st.room)) return;
    this.idleArmed.add(st.room);
    this.later(Math.max(0, deadline - this.now()) + 10, () => {
      this.idleArmed.delete(st.room);
      st.emitter.tick(this.now());
      this.scheduleIdle(st);
    });
  }

  /** The composer lost focus or the room was switched away. */
  typingStop(room: string) {
    this.rooms.get(room)?.emitter.stop();
  }

  // ---- rich messaging ----

  private actionFailed(st: RoomState, seq: number, action: MessageAction, error: ClientError) {
    st.messageErrors.set(seq, actionErrorText(action, error));
    if (error.code === "not_joined") {
      st.joined = false;
      void this.join(st.room);
    }
    this.changed();
  }

  /** Edits this user's message. Resolves to true when the server took it. */
  async edit(room: string, seq: number, body: string): Promise<boolean> {
    const st = this.rooms.get(room);
    const text = body.trim();
    if (!st || text === "") return false;
    st.messageErrors.delete(seq);
    const current = st.log.get(seq);
    if (current && current.body === text) return true;
    const ack = await this.call<{ message: Message }>("message:edit", { room, seq, body: text });
    if (!ack.ok) {
      this.actionFailed(st, seq, "edit", ack.error);
      return false;
    }
    st.log.applyChange(ack.message);
    this.searches.update(ack.message);
    this.changed();
    return true;
  }

  /** Deletes this user's message (the others see a tombstone). */
  async remove(room: string, seq: number): Promise<boolean> {
    const st = this.rooms.get(room);
    if (!st) return false;
    st.messageErrors.delete(seq);
    const ack = await this.call("message:delete", { room, seq });
    if (!ack.ok) {
      this.actionFailed(st, seq, "delete", ack.error);
      return false;
    }
    this.changed();
    return true;
  }

  /** Toggles this user's `emoji` on a message: shown at once, settled by the server's answer. */
  async react(room: string, seq: number, emoji: string): Promise<void> {
    const st = this.rooms.get(room);
    const m = st?.log.get(seq);
    if (!st || !m || m.deleted) return;
    st.messageErrors.delete(seq);
    const on = reactionToggle(m, emoji, this.me);
    const old = st.log.applyOptimistic(withReaction(m, emoji, this.me, on));
    this.changed();
    const ack = await this.call<{ message: Message }>("message:react", { room, seq, emoji, on });
    if (!ack.ok) {
      if (old) st.log.revert(old);
      this.actionFailed(st, seq, "react", ack.error);
      return;
    }
    st.log.applyChange(ack.message);
    this.changed();
  }

  clearMessageError(room: string, seq: number) {
    if (this.rooms.get(room)?.messageErrors.delete(seq)) this.changed();
  }

  /** Drops a shown mention alert. */
  dismissMention(id: number) {
    const i = this.mentionAlerts.findIndex((a) => a.id === id);
    if (i >= 0) {
      this.mentionAlerts.splice(i, 1);
      this.changed();
    }
  }

  /**
   * Resolves when the socket is connected (at once if it is), or after `ms`. The browser's
   * offline flag does not cut the wait short: the socket keeps trying whatever it says, and
   * a browser on a machine with no network beyond localhost or an intranet calls itself
   * offline while the server answers (a search made before the connection came up then
   * failed as "not connected" a moment before it did).
   */
  private connected(ms: number): Promise<void> {
    if (this.socket.connected || this.conn === "refused" || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.socket.off("connect", done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.socket.on("connect", done);
    });
  }

  /** Searches messages (every readable room, or one). */
  runSearch(query: string, room?: string): Promise<void> {
    return this.searches.run(query, room);
  }

  /** The next (older) page of the current search. */
  searchMore(): Promise<void> {
    return this.searches.more();
  }

  closeSearch() {
    this.searches.close();
  }

  clearError(room: string) {
    const st = this.rooms.get(room);
    if (st?.error) {
      st.error = undefined;
      this.changed();
    }
  }

  /** The people typing in `room` now. */
  typingUsers(room: string): string[] {
    return this.rooms.get(room)?.typing.users(this.now()) ?? [];
  }
}
