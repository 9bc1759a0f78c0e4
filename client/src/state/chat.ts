/**
 * The chat controller: one Socket.IO connection, its lifecycle, and the registry of the
 * rooms this person is in (each a `Room`, room.ts, which keeps its own log whole across
 * reconnects). No DOM: the views subscribe to changes and call the actions; Node can
 * drive it too.
 */
import { io, type ManagerOptions, type SocketOptions } from "socket.io-client";
import {
  isRoomName,
  type Ack,
  type ClientToServerEvents,
  type Message,
  type BrowseResult,
  type RoomSummary,
  type SearchResult,
} from "../../../src/shared/wire.js";
import type { UploadedFile } from "./attachments.js";
import type { ClientError } from "./format.js";
import { JoinQueue } from "./joinQueue.js";
import { randomId, tokenSubject } from "./ids.js";
import { Room, type CallResult, type RoomHost } from "./room.js";
import { RoomBrowser } from "./browse.js";
import { Searches } from "./searchRequests.js";
import type { SearchState } from "./searchState.js";
import { wireRoomEvents, type ChatSocket } from "./roomEvents.js";
import { wireRenewal } from "./renewal.js";
import { Threads } from "./threadPanel.js";

export { Room } from "./room.js";
export { tokenSubject } from "./ids.js";

export type ConnState = "connecting" | "connected" | "reconnecting" | "offline" | "refused";

export type Credentials = { username: string } | { token: string };

/** A `mention` event: someone named this user in a room (`root`: in a thread); `reply`: a reply in a followed thread. */
export interface MentionAlert {
  id: number;
  room: string;
  seq: number;
  from: string;
  at: number;
  root?: number;
  reply?: true;
}

/** What comes live (not in a catch-up), for whoever acts on it besides the views (notifications). */
export type LiveEvent = { kind: "message"; message: Message } | { kind: "mention"; room: string; seq: number; from: string };

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
  /** Who is signed in; in jwt mode the newest token the server took (REST and file calls use it). */
  credentials: Credentials;
  /** The server's URL from the options (undefined: the page's origin). */
  readonly url?: string;
  conn: ConnState = "connecting";
  /** Why we were refused: a `connect_error` message, or `session_expired` (jwt mode). */
  refusal?: string;
  /** From `server:hello`. */
  node?: string;
  protocolVersion?: number;
  readonly rooms = new Map<string, Room>();
  /** Bumped on every change. */
  version = 0;
  /** The newest message from someone else, for the screen reader's live region. */
  lastIncoming?: Message;
  /** The server's longest message in characters, once a send refused as too long named it. */
  maxMessageChars?: number;
  /** Connections made so far (1 after the first connect). */
  connects = 0;
  /** `mention` events, newest last (the views show them as toasts). */
  readonly mentionAlerts: MentionAlert[] = [];
  private readonly searches = new Searches({
    ask: (payload) => this.call<SearchResult>("messages:search", payload),
    connected: () => this.connected(this.ackTimeoutMs),
    changed: () => this.changed(),
  });
  /** The open thread (threadPanel.ts). */
  readonly threads: Threads;
  /** Browsing the public rooms (`rooms:browse`), while the dialog is open. */
  readonly browser = new RoomBrowser({
    ask: (payload) => this.call<BrowseResult>("rooms:browse", payload),
    changed: () => this.changed(),
  });
  /** The running or last search, if any. */
  get search(): SearchState | undefined {
    return this.searches.state;
  }

  private readonly socket: ChatSocket;
  private readonly listeners = new Set<() => void>();
  private readonly liveListeners = new Set<(e: LiveEvent) => void>();
  private readonly now: () => number;
  private readonly ackTimeoutMs: number;
  private readonly newClientId: () => string;
  private readonly joins: JoinQueue;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** What every room may use of this client. */
  private readonly roomHost: RoomHost;
  private online = true;
  private stopped = false;
  private notifyQueued = false;
  /** Rooms left in this session: the page does not join them again from its address. */
  private readonly left = new Set<string>();
  private nextAlertId = 1;

  constructor(opts: ChatOptions) {
    const cred = opts.credentials;
    this.credentials = cred;
    this.url = opts.url;
    this.me = "username" in cred ? cred.username : (tokenSubject(cred.token) ?? "");
    this.now = opts.now ?? Date.now;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
    this.newClientId = opts.newClientId ?? randomId;
    this.joins = new JoinQueue(opts.maxConcurrentJoins ?? 4);
    this.threads = new Threads({
      me: this.me,
      call: (event, payload) => this.call(event, payload),
      room: (name) => this.rooms.get(name),
      changed: () => this.changed(),
      replyAlert: (room, seq, from, root) => this.alert({ room, seq, from, root, reply: true }),
    });
    this.roomHost = {
      me: this.me,
      call: (event, payload) => this.call(event, payload),
      isConnected: () => this.socket.connected,
      isCurrent: (r) => this.rooms.get(r.room) === r,
      joins: this.joins,
      changed: () => this.changed(),
      later: (ms, fn) => this.later(ms, fn),
      now: () => this.now(),
      newClientId: () => this.newClientId(),
      updated: (m) => {
        this.searches.update(m);
        this.threads.updated(m);
      },
      limitLearnt: (n) => {
        this.maxMessageChars = n;
      },
    };
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

  /** Messages from others and mentions as they come live (see `LiveEvent`). */
  onLive(fn: (e: LiveEvent) => void): () => void {
    this.liveListeners.add(fn);
    return () => this.liveListeners.delete(fn);
  }

  private live(e: LiveEvent) {
    for (const fn of this.liveListeners) fn(e);
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
      for (const r of this.rooms.values()) void r.join();
      void this.listRooms();
      this.threads.reconnected();
    });
    s.on("disconnect", (reason) => {
      for (const r of this.rooms.values()) r.disconnected();
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
      ensureRoom: (room) => this.ensureRoom(room),
      later: (ms, fn) => this.later(ms, fn),
      incoming: (m) => {
        this.lastIncoming = m;
        this.live({ kind: "message", message: m });
      },
      mention: (room, seq, from) => {
        this.alert({ room, seq, from, root: this.threads.rootOf(room, seq) });
        this.live({ kind: "mention", room, seq, from });
      },
    });
    // This user left a room on another tab: this one stops showing it, and leaves it too.
    s.on("room:left", ({ room }) => this.forget(room));
    // After the room applied it: a reply in a followed thread that is not open raises an alert.
    s.on("message:new", (m) => this.threads.arrived(m));
  }

  /** One alert per message: a reply that mentions this user is announced once. */
  private alert(a: Omit<MentionAlert, "id" | "at">) {
    if (this.mentionAlerts.some((x) => x.room === a.room && x.seq === a.seq)) return;
    this.mentionAlerts.push({ ...a, id: this.nextAlertId++, at: this.now() });
    if (this.mentionAlerts.length > 20) this.mentionAlerts.splice(0, this.mentionAlerts.length - 20);
  }

  private wireRenewal(opts: ChatOptions) {
    wireRenewal(this.socket, {
      getToken: opts.getToken ?? (async () => undefined),
      refresh: (token) => this.call("auth:refresh", { token }),
      renewed: (token) => {
        // Reconnects present the new token too.
        this.socket.auth = { token };
        this.credentials = { token };
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

  private call<T extends object>(event: keyof ClientToServerEvents, payload: object): Promise<CallResult<T>> {
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

  private ensureRoom(room: string): Room {
    let r = this.rooms.get(room);
    if (!r) {
      r = new Room(room, this.roomHost);
      this.rooms.set(room, r);
      this.changed();
    }
    return r;
  }

  private async listRooms() {
    const ack = await this.call<{ rooms: RoomSummary[] }>("rooms:list", {});
    if (!ack.ok) return;
    ack.rooms.forEach((s, i) => {
      if (!isRoomName(s.room)) return;
      const known = this.rooms.has(s.room);
      const r = this.ensureRoom(s.room);
      r.listRank = i;
      // A room already loaded counts its own unread; the list's count is for the rest.
      if (!known || !r.log.joinedOnce) {
        r.log.setListUnread(s.unread, s.lastSeq, s.readSeq, s.mentions ?? 0);
        r.threads.setListUnread(s.unreadThreads ?? 0, s.lastSeq);
      }
      if (!r.joined && !r.joining) void r.join();
    });
    this.changed();
  }

  // ---- actions (the registry's own, then each room's by name) ----

  /** Joins a public room (creating it) or an existing DM by name. */
  async openRoom(room: string): Promise<ClientError | undefined> {
    if (!isRoomName(room)) return { code: "invalid_payload", message: "bad room name" };
    this.left.delete(room);
    const existed = this.rooms.has(room);
    const err = await this.ensureRoom(room).join(true);
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
    const r = this.rooms.get(room);
    if (!r) return;
    r.close();
    this.rooms.delete(room);
    void this.call("room:leave", { room });
    this.changed();
  }

  /**
   * Leaves a room for good (`room:leave` ends a public room's membership, so it stays out of
   * the list after a reload). The room stays until the server took the leave; on an error it
   * stays, and the error is returned.
   */
  async leaveRoom(room: string): Promise<ClientError | undefined> {
    const ack = await this.call("room:leave", { room });
    if (!ack.ok) return ack.error;
    this.left.add(room);
    const r = this.rooms.get(room);
    if (r) {
      r.close();
      this.rooms.delete(room);
    }
    this.browser.counted(room, -1);
    this.changed();
    return undefined;
  }

  /** The room was left elsewhere (`room:left`): gone from here too, and not joined again from the address. */
  private forget(room: string) {
    if (!this.rooms.has(room)) return;
    this.left.add(room);
    this.closeRoom(room);
  }

  /** Whether this person left `room` in this session (and has not opened it since). */
  hasLeft(room: string): boolean {
    return this.left.has(room);
  }

  /** Sends a message (a reply with `threadOf`; with files already uploaded): shown at once as pending, sent when the room is joined. */
  send(room: string, body: string, threadOf?: number, files?: UploadedFile[]): string | undefined {
    return this.rooms.get(room)?.send(body, threadOf, files);
  }

  /** Sends a failed message again, with the same clientId (the server de-duplicates). */
  retry(room: string, clientId: string) {
    this.rooms.get(room)?.retry(clientId);
  }

  discard(room: string, clientId: string) {
    this.rooms.get(room)?.discard(clientId);
  }

  /** Loads the page of messages before the oldest loaded one. */
  async loadOlder(room: string) {
    await this.rooms.get(room)?.loadOlder();
  }

  /** Loads older pages until `seq` is loaded (a search result to jump to), at most `pages` of them. */
  async loadUntil(room: string, seq: number, pages = 10): Promise<boolean> {
    for (let i = 0; i < pages; i++) {
      const r = this.rooms.get(room);
      if (!r) return false;
      if (r.log.joinedOnce && r.log.loadedFrom <= seq) return true;
      if (!r.log.joinedOnce || r.loadingOlder) {
        await new Promise((res) => setTimeout(res, 100));
        continue;
      }
      if (r.log.olderCursor() === undefined) return false;
      await r.loadOlder();
    }
    return (this.rooms.get(room)?.log.loadedFrom ?? Infinity) <= seq;
  }

  /** The newest message of `room` is on screen and the window has focus. */
  markRead(room: string) {
    this.rooms.get(room)?.markRead();
  }

  /** A keystroke in the composer. */
  typingInput(room: string, hasText: boolean) {
    this.rooms.get(room)?.typingInput(hasText);
  }

  /** The composer lost focus or the room was switched away. */
  typingStop(room: string) {
    this.rooms.get(room)?.emitter.stop();
  }

  /** Edits this user's message. Resolves to true when the server took it. */
  async edit(room: string, seq: number, body: string): Promise<boolean> {
    return (await this.rooms.get(room)?.edit(seq, body)) ?? false;
  }

  /** Deletes this user's message (the others see a tombstone). */
  async remove(room: string, seq: number): Promise<boolean> {
    return (await this.rooms.get(room)?.remove(seq)) ?? false;
  }

  /** Toggles this user's `emoji` on a message: shown at once, settled by the server's answer. */
  async react(room: string, seq: number, emoji: string): Promise<void> {
    await this.rooms.get(room)?.react(seq, emoji);
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
    const r = this.rooms.get(room);
    if (r?.error) {
      r.error = undefined;
      this.changed();
    }
  }

  /** The people typing in `room` now. */
  typingUsers(room: string): string[] {
    return this.rooms.get(room)?.typing.users(this.now()) ?? [];
  }
}
