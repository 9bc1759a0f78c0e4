/**
 * The chat target's connection without socket.io-client: Engine.IO v4 and Socket.IO v5
 * over one `ws` WebSocket (websocket transport only; long-polling stays with ChatConn in
 * loadtest/conn.ts). socket.io-client costs the tester 1.3–1.4 times this client's CPU per
 * message, which is about what the baseline's ws client costs: on a shared machine that
 * CPU is taken from the servers being measured, and both targets should pay the same.
 * This does the least the protocol asks: the events the tester counts are told apart by
 * their first bytes, only `message:new` payloads and acks are parsed, pings answered.
 *
 * Wire format (engine.io-parser, socket.io-parser; the server is src/realtime/io.ts):
 *   server `0{"sid",..,"pingInterval","pingTimeout"}`  Engine.IO open
 *   client `40{"username":..}`                       Socket.IO CONNECT with auth
 *   server `40{"sid":..}` | `44{"message":..}`       connected | connect_error
 *   server `2`, client `3`                            ping, pong
 *   server `42["event",payload]`                      event
 *   client `42<id>["event",payload]`, server `43<id>[answer]`   emit with ack
 *   server `41`                                       "io server disconnect"
 *
 * Reconnection follows socket.io-client with ChatConn's options: after a lost transport,
 * 250 ms doubling to 2000 ms with jitter; after `41` (a node sending its clients away),
 * 250–500 ms, as ChatConn does; a refused handshake (`44`) ends the attempts, as
 * socket.io-client's does. Every handler drops a frame it cannot read instead of throwing.
 */
import WebSocket from "ws";
import type { Ack } from "../src/shared/protocol.js";
import { ChatRequests } from "./chat-requests.js";
import { RequestError, type Conn, type ConnOptions, type Delivered } from "./conn-api.js";

/** socket.io-client's `timeout`, as ChatConn sets it: one attempt's longest handshake. */
const ATTEMPT_TIMEOUT_MS = 20_000;
const RECONNECT_DELAY_MS = 250;
const RECONNECT_DELAY_MAX_MS = 2000;

// Prefixes compared as bytes, so that a presence event costs no string decoding.
const MESSAGE_NEW = Buffer.from('42["message:new",');
const PRESENCE_JOIN = Buffer.from('42["presence:join"');
const PRESENCE_LEAVE = Buffer.from('42["presence:leave"');
// A packet's type is one digit: Engine.IO's first (0 open, 2 ping, 4 message), then
// Socket.IO's (0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR), as in the parsers' enums.
const ZERO = 0x30;
const NINE = 0x39;
const SLASH = 0x2f;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

interface Pending {
  /** Called with an ack whose `ok` is true. */
  resolve(ack: object): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

type AfterLoss = "backoff" | "soon" | "stay";

/** ws(s)://host:port/socket.io/?EIO=4&transport=websocket, from the URL socket.io-client would be given. */
export function engineUrl(url: string): string {
  const u = new URL(url);
  // socket.io-client reads a URL's path as the namespace, not as a prefix of /socket.io/;
  // the server serves only "/", so another path would be refused there anyway.
  if (u.pathname !== "/" && u.pathname !== "") {
    throw new Error(`${url}: socket.io-client would read the path ${u.pathname} as a namespace; the server serves "/" only`);
  }
  u.protocol = u.protocol === "https:" || u.protocol === "wss:" ? "wss:" : "ws:";
  u.pathname = "/socket.io/";
  u.searchParams.set("EIO", "4");
  u.searchParams.set("transport", "websocket");
  return u.toString();
}

export class LeanChatConn extends ChatRequests implements Conn {
  private ws?: WebSocket;
  private isConnected = false;
  private everConnected = false;
  private closed = false;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  /** Failed attempts since the last connection: the backoff's exponent. */
  private failures = 0;
  private lastError?: string;
  private pingTimer?: NodeJS.Timeout;
  private attemptTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private first?: { resolve(): void; reject(e: Error): void };
  private readonly wsUrl: string;
  private readonly connectPacket: string;

  constructor(private readonly o: ConnOptions) {
    super();
    this.wsUrl = engineUrl(o.url);
    this.connectPacket = `40${JSON.stringify({ username: o.user })}`;
  }
  get user(): string {
    return this.o.user;
  }
  get connected(): boolean {
    return this.isConnected;
  }

  connect(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new RequestError("disconnected", "connection closed"));
      const timer = setTimeout(() => {
        this.first = undefined;
        this.close(); // given up, like a refused one: no attempt keeps running behind the caller
        reject(new RequestError("timeout", "connect timed out"));
      }, timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        this.first = undefined;
      };
      this.first = {
        resolve: () => (settle(), resolve()),
        reject: (e) => (settle(), reject(e)),
      };
      this.attempt();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.first?.reject(new RequestError("disconnected", "connection closed"));
    // socket.io-client's disconnect(): a DISCONNECT packet, then the transport closes.
    if (this.isConnected) this.ws?.send("41");
    this.lose("io client disconnect", "stay");
  }

  protected request<T extends object>(event: string, payload: object, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const ws = this.ws;
      if (!this.isConnected || !ws) return reject(new RequestError("disconnected", "not connected"));
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError("timeout", `${event} timed out`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (ack: object) => void, reject, timer });
      ws.send(`42${id}[${JSON.stringify(event)},${JSON.stringify(payload)}]`);
    });
  }

  /** One handshake: a WebSocket, the Engine.IO open packet, then the Socket.IO CONNECT. */
  private attempt(): void {
    this.retryTimer = undefined;
    if (this.closed) return;
    const ws = new WebSocket(this.wsUrl, { perMessageDeflate: false });
    this.ws = ws;
    this.lastError = undefined;
    this.attemptTimer = setTimeout(() => this.attemptFailed("timeout"), ATTEMPT_TIMEOUT_MS);
    // Events of a socket this connection has already let go of are stale: ignored.
    ws.on("message", (data, isBinary) => {
      if (this.ws === ws) this.onFrame(ws, data, isBinary);
    });
    ws.on("error", (err) => {
      if (this.ws === ws) this.lastError = err.message;
    });
    ws.on("close", () => {
      if (this.ws === ws) this.dead(this.lastError ? "transport error" : "transport close");
    });
  }

  /** The socket is gone or silent: a lost connection, or a failed attempt before `40`. */
  private dead(reason: string): void {
    if (this.isConnected) this.lose(reason, "backoff");
    else this.attemptFailed(this.lastError ?? reason);
  }

  private onFrame(ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    // Binary attachments are not part of this server's contract for the counted events.
    if (isBinary || !Buffer.isBuffer(data) || data.length === 0) return;
    try {
      const type = data[0]! - ZERO;
      if (type === 4) this.onSocketIoPacket(data);
      else if (type === 2) {
        ws.send("3");
        this.pingTimer?.refresh();
      } else if (type === 0) this.onOpenPacket(ws, data);
      // 1 close (the close frame follows), 6 noop, anything else: nothing to do.
    } catch {
      // A malformed frame is dropped: the connection and the run go on.
    }
  }

  private onOpenPacket(ws: WebSocket, data: Buffer): void {
    const open = JSON.parse(data.toString("utf8", 1)) as { pingInterval?: unknown; pingTimeout?: unknown };
    if (typeof open.pingInterval !== "number" || typeof open.pingTimeout !== "number") return;
    // Like engine.io-client: no ping within pingInterval + pingTimeout means the link is dead.
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => this.dead("ping timeout"), open.pingInterval + open.pingTimeout);
    ws.send(this.connectPacket);
  }

  private onSocketIoPacket(data: Buffer): void {
    const kind = data[1]! - ZERO;
    if (kind === 2) this.onEvent(data);
    else if (kind === 3) this.onAck(data);
    else if (data[2] === SLASH) return; // another namespace's packet
    else if (kind === 1) this.lose("io server disconnect", "soon");
    // CONNECT and CONNECT_ERROR answer the handshake; once connected there is none to answer.
    else if (this.isConnected) return;
    else if (kind === 0) this.onConnected(data);
    else if (kind === 4) this.onRefused(refusal(data));
  }

  private onEvent(data: Buffer): void {
    if (startsWith(data, MESSAGE_NEW)) {
      if (data[data.length - 1] !== CLOSE_BRACKET) return;
      const m = JSON.parse(data.toString("utf8", MESSAGE_NEW.length, data.length - 1)) as Delivered | null;
      if (m && typeof m.seq === "number" && typeof m.room === "string" && typeof m.body === "string") {
        this.o.events.onMessage(m);
      }
    } else if (startsWith(data, PRESENCE_JOIN) || startsWith(data, PRESENCE_LEAVE)) {
      this.o.events.onPresence();
    }
    // server:hello, typing, mention, rooms:resync, ...: not counted.
  }

  private onAck(data: Buffer): void {
    let i = 2;
    let id = 0;
    for (; i < data.length && data[i]! >= ZERO && data[i]! <= NINE; i++) id = id * 10 + (data[i]! - ZERO);
    if (i === 2 || data[i] !== OPEN_BRACKET) return;
    const p = this.pending.get(id);
    if (!p) return; // timed out already, or not ours
    const args = JSON.parse(data.toString("utf8", i)) as unknown;
    this.pending.delete(id);
    clearTimeout(p.timer);
    // As ChatConn reads an ack: ok, or the error's code, or "bad_ack" for anything else.
    const ack = (Array.isArray(args) ? args[0] : undefined) as Ack | null | undefined;
    if (ack && ack.ok) p.resolve(ack);
    else p.reject(new RequestError(ack?.error?.code ?? "bad_ack", ack?.error?.message ?? "malformed ack"));
  }

  private onConnected(data: Buffer): void {
    const body = JSON.parse(data.toString("utf8", 2)) as { sid?: unknown } | null;
    // socket.io-client's reading of a CONNECT without sid: a Socket.IO v2 server.
    if (typeof body?.sid !== "string") return this.onRefused("CONNECT without sid");
    clearTimeout(this.attemptTimer);
    this.failures = 0;
    this.isConnected = true;
    if (this.everConnected) this.o.events.onReconnect();
    this.everConnected = true;
    this.first?.resolve();
  }

  /** The server refused the handshake (auth, connection limits): no retry. */
  private onRefused(message: string): void {
    this.o.events.onConnectError(message);
    this.first?.reject(new RequestError("connect_error", message));
    this.lose(message, "stay");
  }

  /** An attempt that did not reach `40`: counted as a connect_error, then retried. */
  private attemptFailed(message: string): void {
    this.o.events.onConnectError(message);
    if (!this.o.reconnect) {
      this.first?.reject(new RequestError("connect_error", message));
      this.lose(message, "stay");
    } else this.lose(message, "backoff");
  }

  /** Lets the current socket go, fails what waited on it, and decides what comes next. */
  private lose(reason: string, next: AfterLoss): void {
    const ws = this.ws;
    this.ws = undefined;
    clearTimeout(this.attemptTimer);
    clearTimeout(this.pingTimer);
    this.pingTimer = undefined;
    if (ws) {
      // A DISCONNECT either way closes politely, as socket.io-client does; a dead or
      // half-open link is cut at once instead of waiting out ws's closing handshake.
      const polite = ws.readyState === WebSocket.OPEN && (this.closed || next === "soon");
      if (polite) ws.close();
      else ws.terminate();
    }
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RequestError("disconnected", "connection closed"));
    }
    this.pending.clear();
    const wasConnected = this.isConnected;
    this.isConnected = false;
    if (wasConnected) this.o.events.onDisconnect(reason);
    if (this.closed || !this.o.reconnect || next === "stay") return;
    this.retryTimer = setTimeout(() => this.attempt(), next === "soon" ? 250 + Math.random() * 250 : this.backoff());
  }

  /** 250 ms doubling to 2000 ms per failed attempt, ±50 % (socket.io-client's randomizationFactor). */
  private backoff(): number {
    const base = Math.min(RECONNECT_DELAY_MS * 2 ** Math.min(this.failures++, 8), RECONNECT_DELAY_MAX_MS);
    return Math.min(base * (0.5 + Math.random()), RECONNECT_DELAY_MAX_MS);
  }
}

/** The message of a CONNECT_ERROR (`44{"message":..}`); an unreadable one still is a refusal. */
function refusal(data: Buffer): string {
  try {
    const body = JSON.parse(data.toString("utf8", 2)) as { message?: unknown } | null;
    if (typeof body?.message === "string") return body.message;
  } catch {
    // falls through
  }
  return "connect_error";
}

function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length > prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
