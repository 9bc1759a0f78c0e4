/**
 * The chat controller: one Socket.IO connection, its lifecycle, and the registry of the
 * rooms this person is in (each a `Room`, room.ts, which keeps its own log whole across
 * reconnects). No DOM: the views subscribe to changes (changes.ts) and call the actions
 * (roomActions.ts for one room's); Node can drive it too. The parts it composes: socket.ts,
 * lifecycle.ts, membership.ts, mentionAlerts.ts and the features' own modules.
 */
import type { ClientToServerEvents, Message, BrowseResult, SearchResult } from "../../../src/shared/wire.js";
import type { ChatOptions, ConnState, Credentials, MentionAlert } from "./chatTypes.js";
import type { ClientError } from "./format.js";
import { JoinQueue } from "./joinQueue.js";
import { randomId, tokenSubject } from "./ids.js";
import { Membership } from "./membership.js";
import { MentionAlerts } from "./mentionAlerts.js";
import { Room, type CallResult, type RoomHost } from "./room.js";
import { RoomActions } from "./roomActions.js";
import { RoomBrowser } from "./browse.js";
import { Searches } from "./searchRequests.js";
import type { SearchState } from "./searchState.js";
import { callOver, openSocket, whenConnected } from "./socket.js";
import { wireLifecycle } from "./lifecycle.js";
import { wireRoomEvents, type ChatSocket } from "./roomEvents.js";
import { wireRenewal } from "./renewal.js";
import { Threads } from "./threadPanel.js";

export { Room } from "./room.js";
export { tokenSubject } from "./ids.js";
export type { ChatOptions, ConnState, Credentials, LiveEvent, MentionAlert } from "./chatTypes.js";

export class ChatClient extends RoomActions {
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
  /** The newest message from someone else, for the screen reader's live region. */
  lastIncoming?: Message;
  /** The server's longest message in characters, once a send refused as too long named it. */
  maxMessageChars?: number;
  /** Connections made so far (1 after the first connect). */
  connects = 0;
  /** `mention` events, newest last (the views show them as toasts). */
  get mentionAlerts(): readonly MentionAlert[] {
    return this.alerts.list;
  }
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
  protected readonly now: () => number;
  private readonly ackTimeoutMs: number;
  private readonly newClientId: () => string;
  private readonly joins: JoinQueue;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** What every room may use of this client. */
  private readonly roomHost: RoomHost;
  private online = true;
  private stopped = false;
  private readonly membership = new Membership({
    rooms: this.rooms,
    call: (event, payload) => this.call(event, payload),
    ensureRoom: (room) => this.ensureRoom(room),
    changed: () => this.changed(),
    leftRoom: (room) => this.browser.counted(room, -1),
  });
  private readonly alerts: MentionAlerts;

  constructor(opts: ChatOptions) {
    super();
    const cred = opts.credentials;
    this.credentials = cred;
    this.url = opts.url;
    this.me = "username" in cred ? cred.username : (tokenSubject(cred.token) ?? "");
    this.now = opts.now ?? Date.now;
    this.alerts = new MentionAlerts(() => this.now());
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
    this.newClientId = opts.newClientId ?? randomId;
    this.joins = new JoinQueue(opts.maxConcurrentJoins ?? 4);
    this.threads = new Threads({
      me: this.me,
      call: (event, payload) => this.call(event, payload),
      room: (name) => this.rooms.get(name),
      changed: () => this.changed(),
      replyAlert: (room, seq, from, root) => this.alerts.alert({ room, seq, from, root, reply: true }),
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
    this.socket = openSocket(opts);
    this.wire();
    if ("token" in cred) this.wireRenewal(opts);
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
    wireLifecycle(s, {
      state: this,
      online: () => this.online,
      stopped: () => this.stopped,
      changed: () => this.changed(),
      later: (ms, fn) => this.later(ms, fn),
      connected: () => {
        for (const r of this.rooms.values()) void r.join();
        void this.membership.listRooms();
        this.threads.reconnected();
      },
      disconnected: () => {
        for (const r of this.rooms.values()) r.disconnected();
      },
      refuse: (why) => this.refuse(why),
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
        this.alerts.alert({ room, seq, from, root: this.threads.rootOf(room, seq) });
        this.live({ kind: "mention", room, seq, from });
      },
    });
    // This user left a room on another tab: this one stops showing it, and leaves it too.
    s.on("room:left", ({ room }) => this.membership.forget(room));
    // After the room applied it: a reply in a followed thread that is not open raises an alert.
    s.on("message:new", (m) => this.threads.arrived(m));
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
    return callOver<T>(this.socket, this.ackTimeoutMs, event, payload);
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

  // ---- actions (the registry's own; each room's by name in roomActions.ts) ----

  /** Joins a public room (creating it) or an existing DM by name. */
  openRoom(room: string): Promise<ClientError | undefined> {
    return this.membership.openRoom(room);
  }

  /** Opens the DM with `user` (`dm:open`, then `room:join`); resolves to its room or an error. */
  openDm(user: string): Promise<{ room: string } | { error: ClientError }> {
    return this.membership.openDm(user);
  }

  /** Stops showing a room for this session and leaves it on the server. */
  closeRoom(room: string) {
    this.membership.closeRoom(room);
  }

  /** Leaves a room for good; on an error the room stays, and the error is returned (membership.ts). */
  leaveRoom(room: string): Promise<ClientError | undefined> {
    return this.membership.leaveRoom(room);
  }

  /** Whether this person left `room` in this session (and has not opened it since). */
  hasLeft(room: string): boolean {
    return this.membership.hasLeft(room);
  }

  /** Drops a shown mention alert. */
  dismissMention(id: number) {
    if (this.alerts.dismiss(id)) this.changed();
  }

  /** Resolves when the socket is connected, or after `ms` (socketCall.ts says why the offline flag does not end it). */
  private connected(ms: number): Promise<void> {
    return whenConnected(this.socket, ms, () => this.conn === "refused" || this.stopped);
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
}
