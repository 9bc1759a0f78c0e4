/**
 * Fewer and cheaper writes per connection: one TCP write per connection per tick, and
 * Socket.IO packets written straight to the WebSocket.
 *
 * Engine.IO sends a connection's first packet of a tick at once and queues the rest until
 * that write completes; it then sends the queue with one `ws` frame write, hence one
 * writev syscall, per packet. Those syscalls were the largest item in the CPU profiles.
 *
 * - Corked sends. Under load (S2: 80 messages/s into each socket) a socket often has
 *   several packets queued; corking the TCP socket around the loop turns them into one
 *   writev. A single packet takes the original path.
 * - Flushes deferred to the end of the tick. A send's ack and the sender's own copy of the
 *   message are produced in one chain of promise callbacks; flushed at once, the first
 *   went out alone and the second waited for its write to complete, two syscalls where one
 *   does (S4: one of them per stored message). The flush now runs from `process.nextTick`,
 *   which Node runs after the promise callbacks pending at that point, so both leave in
 *   one write.
 * - Socket.IO packets written directly. A broadcast is encoded once, WebSocket frame
 *   included (socket.io-adapter's `wsPreEncodedFrame`); Engine.IO then still made, per
 *   receiving socket, a packet object, four events, a write callback and a drain, which
 *   cost as much CPU as the write itself (docs/benchmarks.md, S1 profiles). When nothing
 *   is queued in Engine.IO for the socket, a broadcast's frame, or any other Socket.IO
 *   packet (an ack) framed by `ws`, goes to the socket's WebSocket at once, into the TCP
 *   socket corked until the end of the tick: order is kept (whatever Engine.IO wrote
 *   before is already in the socket, whatever it writes later comes after), and the rest
 *   of the tick's packets for the socket join the same writev. A socket with packets
 *   queued in Engine.IO, on long-polling, or closing, and binary packets, take Engine.IO's
 *   path. Engine.IO's own packets (open, ping, close) always do.
 *
 * - A backlog cap (`limitBacklog`). A client that stops reading would otherwise make the
 *   node hold everything sent to it until the heartbeat gives up (up to pingInterval +
 *   pingTimeout): its rooms' traffic, and replies it asks for and never reads (history
 *   pages, 100 requests a second). Before a connection's first write of a tick, what it
 *   still owes from earlier ticks is counted: bytes its TCP socket holds that the kernel
 *   has not taken, plus Socket.IO packets queued in Engine.IO (for long-polling, until the
 *   next poll; for a WebSocket, behind a write that has not completed). Over the cap, the
 *   connection is closed at once (its TCP socket destroyed, nothing more queued); the client
 *   reconnects and catches up through `seq`. A single reply larger than the cap still goes.
 *
 * Packets, frames and their order are unchanged. The patches go on the prototypes of the
 * Engine.IO and Socket.IO that the server loads (resolved from socket.io's location), so
 * they cannot miss a second copy.
 */
import { createRequire } from "node:module";

interface Corkable {
  cork(): void;
  uncork(): void;
  writableLength: number;
}
interface WsSocket {
  readyState: number;
  terminate(): void;
  send(data: string): void;
  _socket?: Corkable;
  _sender?: { sendFrame(frame: unknown, cb: undefined): void };
}
interface WebSocketTransport {
  readonly name: string;
  socket?: WsSocket;
  send(packets: unknown[]): void;
}
type TransportProto = WebSocketTransport & { [PATCHED]?: true };
interface EngineSocket {
  flush(): void;
  close(discard?: boolean): void;
  server?: { [BACKLOG]?: BacklogLimit };
  /** Bytes of Socket.IO packets queued in Engine.IO's writeBuffer since it was last empty. */
  queuedBytes?: number;
  /** Closed for its backlog: later packets are dropped. */
  overflowed?: boolean;
  readyState?: string;
  transport?: WebSocketTransport | object;
  writeBuffer?: unknown[];
  /** Set while a deferred flush is pending (one boolean per connection). */
  flushPending?: boolean;
  /** The TCP socket corked by a direct frame write, uncorked at the deferred flush. */
  corkedTcp?: Corkable;
}
type SocketProto = EngineSocket & { [PATCHED]?: true };
interface PacketOptions {
  wsPreEncodedFrame?: unknown;
  volatile?: boolean;
}
interface SioClient {
  conn: EngineSocket;
  writeToEngine(encoded: unknown, opts: PacketOptions): void;
}
type ClientProto = SioClient & { [PATCHED]?: true };

const PATCHED = Symbol.for("chat-cluster.corkedWebSocketSend");
const BACKLOG = Symbol.for("chat-cluster.backlogLimit");
const WS_OPEN = 1;

interface EngineModule {
  Socket?: { prototype: SocketProto };
  transports?: { websocket?: { prototype: TransportProto } };
}

/** Installs the patches once per process; returns false if Engine.IO's or Socket.IO's shape changed. */
export function corkWebSocketFlushes(): boolean {
  const fromHere = createRequire(import.meta.url);
  const fromSocketIo = createRequire(fromHere.resolve("socket.io"));
  const engine = fromSocketIo("engine.io") as EngineModule;
  const socketProto = engine.Socket?.prototype;
  if (!socketProto || typeof socketProto.flush !== "function") return false;
  const wsProto = engine.transports?.websocket?.prototype;
  if (!wsProto || typeof wsProto.send !== "function") return false;
  const clientProto = (fromSocketIo("./client.js") as { Client?: { prototype: ClientProto } }).Client?.prototype;
  if (!clientProto || typeof clientProto.writeToEngine !== "function") return false;
  if (!socketProto[PATCHED]) deferFlushes(socketProto);
  if (!wsProto[PATCHED]) corkSends(wsProto);
  if (!clientProto[PATCHED]) writePacketsDirectly(clientProto);
  return true;
}

function corkSends(proto: TransportProto): void {
  const send = proto.send;
  proto.send = function corkedSend(this: WebSocketTransport, packets: unknown[]): void {
    const tcp = packets.length > 1 ? this.socket?._socket : undefined;
    if (!tcp || typeof tcp.cork !== "function") return send.call(this, packets);
    tcp.cork();
    try {
      send.call(this, packets);
    } finally {
      tcp.uncork();
    }
  };
  proto[PATCHED] = true;
}

/** The backlog cap of one Engine.IO server's connections. */
export interface BacklogLimit {
  /** Bytes a connection may owe its client across ticks; 0 = no limit. */
  maxBytes: number;
  /** Called once per connection closed for its backlog, before it closes. */
  onOverflow?: (owed: number) => void;
}

/** Sets the cap for one Engine.IO server (`io.engine`): nodes sharing a process keep their own. */
export function limitBacklog(engine: object, limit: BacklogLimit): void {
  (engine as { [BACKLOG]?: BacklogLimit })[BACKLOG] = limit;
}

/**
 * What the connection still owes its client from earlier ticks, if that is over its server's
 * cap: the connection is then closed and true returned (drop the packet). Called before a
 * tick's first direct write (later ones find the TCP socket corked) and before every packet
 * that goes through Engine.IO's queue.
 */
function closeIfBacklogged(conn: EngineSocket, ws: WsSocket | undefined): boolean {
  if (conn.overflowed) return true;
  const limit = conn.server?.[BACKLOG];
  if (!limit || limit.maxBytes === 0) return false;
  const owed = (conn.corkedTcp ? 0 : (ws?._socket?.writableLength ?? 0)) + (conn.queuedBytes ?? 0);
  if (owed <= limit.maxBytes) return false;
  conn.overflowed = true;
  limit.onOverflow?.(owed);
  // ws.close() would queue its close frame behind the backlog and wait up to 30 s for the
  // client's; destroying the socket frees the backlog now.
  if (ws) ws.terminate();
  // Not inside the broadcast loop that is writing: closing a polling socket runs its
  // disconnect handlers at once.
  else process.nextTick(closeDiscarding, conn);
  return true;
}

function closeDiscarding(conn: EngineSocket): void {
  conn.close(true);
}

/** The connection's WebSocket if its transport is Engine.IO's websocket transport. */
function webSocketOf(conn: EngineSocket): WsSocket | undefined {
  const transport = conn.transport as WebSocketTransport | undefined;
  return transport?.name === "websocket" ? transport.socket : undefined;
}

function byteLength(encoded: unknown): number {
  if (!Array.isArray(encoded)) return 0;
  let n = 0;
  for (const part of encoded as (string | Uint8Array)[]) n += part.length;
  return n;
}

let flush: () => void;

/** Engine.IO's own flush, then the TCP socket a direct write corked: one writev for the tick. */
function runFlush(socket: EngineSocket): void {
  socket.flushPending = false;
  // Direct writes leave Engine.IO's queue empty: its flush would find nothing to do.
  if (socket.writeBuffer?.length !== 0) flush.call(socket);
  if (socket.queuedBytes && socket.writeBuffer?.length === 0) socket.queuedBytes = 0;
  const tcp = socket.corkedTcp;
  if (tcp) {
    socket.corkedTcp = undefined;
    tcp.uncork();
  }
}

function deferFlushes(proto: SocketProto): void {
  flush = proto.flush;
  proto.flush = function flushAtEndOfTick(this: EngineSocket): void {
    // Engine.IO also calls flush after every completed write, mostly with nothing queued.
    if (this.flushPending || this.writeBuffer?.length === 0) return;
    this.flushPending = true;
    process.nextTick(runFlush, this);
  };
  proto[PATCHED] = true;
}

function writePacketsDirectly(proto: ClientProto): void {
  const writeToEngine = proto.writeToEngine;
  proto.writeToEngine = function writeFrameOrPacket(this: SioClient, encoded: unknown, opts: PacketOptions): void {
    const conn = this.conn;
    const ws = webSocketOf(conn);
    if (!conn.corkedTcp && closeIfBacklogged(conn, ws)) return;
    if (!opts.volatile && ws) {
      const frame = opts.wsPreEncodedFrame;
      if (frame !== undefined) {
        if (writeDirect(conn, ws, frame)) return;
      } else if (Array.isArray(encoded) && encoded.length === 1 && typeof encoded[0] === "string") {
        // "4": the Engine.IO message packet that carries every Socket.IO packet.
        if (writeDirect(conn, ws, `4${encoded[0]}`)) return;
      }
    }
    if (conn.corkedTcp && closeIfBacklogged(conn, ws)) return;
    conn.queuedBytes = (conn.queuedBytes ?? 0) + byteLength(encoded);
    writeToEngine.call(this, encoded, opts);
  };
  proto[PATCHED] = true;
}

/**
 * Writes a broadcast's pre-encoded frame, or one packet's text as a frame, to the socket's
 * WebSocket if nothing can be ahead of it; false (nothing written) otherwise.
 */
function writeDirect(conn: EngineSocket, ws: WsSocket, data: unknown): boolean {
  if (conn.readyState !== "open" || conn.writeBuffer?.length !== 0) return false;
  const tcp = ws._socket;
  if (ws.readyState !== WS_OPEN || !ws._sender || !tcp) return false;
  if (!conn.corkedTcp) {
    tcp.cork();
    conn.corkedTcp = tcp;
    if (!conn.flushPending) {
      conn.flushPending = true;
      process.nextTick(runFlush, conn);
    }
  }
  if (typeof data === "string") ws.send(data);
  else ws._sender.sendFrame(data, undefined);
  return true;
}
