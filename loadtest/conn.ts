/**
 * One simulated user's connection, for either target:
 *   - `chat`: chat-cluster over Socket.IO, by default with the lean client
 *     (loadtest/lean-conn.ts: Engine.IO + Socket.IO over a raw `ws` WebSocket), or with
 *     socket.io-client v4 (`client: "socket.io"`, and always for long-polling);
 *   - `baseline`: the ws relay's minimal JSON protocol (loadtest/baselines/ws-relay.ts).
 * The load tester only sees this interface, so every measurement applies to both.
 */
import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";
import type { Ack, ClientToServerEvents, Message, ServerToClientEvents } from "../src/shared/protocol.js";
import { ChatRequests } from "./chat-requests.js";
import { RequestError, type Conn, type ConnOptions, type Delivered, type JoinInfo } from "./conn-api.js";
import { LeanChatConn } from "./lean-conn.js";

export { RequestError } from "./conn-api.js";
export type { ClientKind, Conn, ConnEvents, ConnOptions, Delivered, JoinInfo, Target, Transport } from "./conn-api.js";

export function createConn(o: ConnOptions): Conn {
  if (o.target === "baseline") return new BaselineConn(o);
  // The lean client speaks the websocket transport only.
  if (o.transport === "websocket" && (o.client ?? "lean") === "lean") return new LeanChatConn(o);
  return new ChatConn(o);
}

class ChatConn extends ChatRequests implements Conn {
  private socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private everConnected = false;
  private closed = false;
  constructor(private o: ConnOptions) {
    super();
    this.socket = io(o.url, {
      auth: { username: o.user },
      transports: [o.transport],
      upgrade: false,
      forceNew: true, // one Engine.IO connection per simulated user, never multiplexed
      autoConnect: false,
      reconnection: o.reconnect,
      reconnectionDelay: 250,
      reconnectionDelayMax: 2000,
      timeout: 20_000,
    });
    this.socket.on("message:new", (m: Message) => o.events.onMessage(m));
    this.socket.on("presence:join", () => o.events.onPresence());
    this.socket.on("presence:leave", () => o.events.onPresence());
    this.socket.on("connect", () => {
      if (this.everConnected) o.events.onReconnect();
      this.everConnected = true;
    });
    this.socket.on("disconnect", (reason) => {
      o.events.onDisconnect(reason);
      // A draining node disconnects its sockets itself ("io server disconnect"), after which
      // socket.io-client does not reconnect on its own: a real client connects again (and
      // reaches another node through the load balancer), so the tester does too.
      if (reason === "io server disconnect" && o.reconnect && !this.closed) {
        setTimeout(() => {
          if (!this.closed) this.socket.connect();
        }, 250 + Math.random() * 250);
      }
    });
    this.socket.on("connect_error", (err) => o.events.onConnectError(err.message));
  }
  get user() {
    return this.o.user;
  }
  get connected() {
    return this.socket.connected;
  }
  connect(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new RequestError("timeout", "connect timed out"));
      }, timeoutMs);
      const ok = () => {
        cleanup();
        resolve();
      };
      // A handshake the server refused (connect_error with the socket no longer active)
      // is not retried by socket.io-client: waiting for the timeout would only hide it.
      const refused = (err: Error) => {
        if (this.socket.active) return;
        cleanup();
        reject(new RequestError("connect_error", err.message));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.socket.off("connect", ok);
        this.socket.off("connect_error", refused);
      };
      this.socket.once("connect", ok);
      this.socket.on("connect_error", refused);
      this.socket.connect();
    });
  }
  protected request<T extends object>(event: "room:join" | "message:send", payload: object, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // emitWithAck is not used: its timeout error carries no code we could count.
      const timer = setTimeout(() => reject(new RequestError("timeout", `${event} timed out`)), timeoutMs);
      const cb = (ack: Ack<T>) => {
        clearTimeout(timer);
        if (ack && ack.ok) resolve(ack);
        else reject(new RequestError(ack?.error?.code ?? "bad_ack", ack?.error?.message ?? "malformed ack"));
      };
      (this.socket.emit as (e: string, p: object, cb: (a: Ack<T>) => void) => void)(event, payload, cb);
    });
  }
  close() {
    this.closed = true;
    this.socket.disconnect();
  }
}

interface Pending {
  resolve(v: Record<string, unknown>): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

class BaselineConn implements Conn {
  private ws?: WebSocket;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private closed = false;
  private everConnected = false;
  private wsUrl: string;
  constructor(private o: ConnOptions) {
    const u = new URL(o.url);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    u.searchParams.set("user", o.user);
    this.wsUrl = u.toString();
  }
  get user() {
    return this.o.user;
  }
  get connected() {
    return this.ws?.readyState === WebSocket.OPEN;
  }
  private open(onOpen: () => void, onFail: (msg: string) => void) {
    const ws = new WebSocket(this.wsUrl, { perMessageDeflate: false });
    this.ws = ws;
    let opened = false;
    ws.on("open", () => {
      opened = true;
      if (this.everConnected) this.o.events.onReconnect();
      this.everConnected = true;
      onOpen();
    });
    ws.on("message", (data) => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      if (m.t === "msg") {
        this.o.events.onMessage(m as unknown as Delivered);
      } else if (m.t === "ack") {
        const p = this.pending.get(m.id as number);
        if (!p) return;
        this.pending.delete(m.id as number);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m);
        else {
          const e = m.error as { code?: string; message?: string } | undefined;
          p.reject(new RequestError(e?.code ?? "bad_ack", e?.message ?? "error"));
        }
      }
    });
    ws.on("error", (err) => {
      if (!opened) onFail(err.message);
    });
    ws.on("close", (code, reason) => {
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new RequestError("disconnected", "connection closed"));
        this.pending.delete(id);
      }
      if (opened) this.o.events.onDisconnect(`close ${code} ${reason.toString()}`);
      if (!this.closed && this.o.reconnect && this.everConnected) {
        setTimeout(() => {
          if (!this.closed) this.open(() => {}, (msg) => this.o.events.onConnectError(msg));
        }, 250);
      }
    });
  }
  connect(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.ws?.terminate();
        reject(new RequestError("timeout", "connect timed out"));
      }, timeoutMs);
      this.open(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (msg) => {
          clearTimeout(timer);
          this.o.events.onConnectError(msg);
          reject(new RequestError("connect_error", msg));
        },
      );
    });
  }
  private request(msg: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) {
        reject(new RequestError("disconnected", "not connected"));
        return;
      }
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError("timeout", `${String(msg.t)} timed out`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ ...msg, id }));
    });
  }
  async join(room: string, _since: number | undefined, timeoutMs: number): Promise<JoinInfo> {
    const r = await this.request({ t: "join", room }, timeoutMs);
    return { lastSeq: r.lastSeq as number, messages: [], hasMore: false }; // the relay keeps no history
  }
  async send(room: string, body: string, clientId: string, timeoutMs: number): Promise<number> {
    const r = await this.request({ t: "send", room, body, clientId }, timeoutMs);
    return r.seq as number;
  }
  close() {
    this.closed = true;
    this.ws?.terminate();
  }
}
