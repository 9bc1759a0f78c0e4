/**
 * Fewer TCP writes per connection: one per flush, and one flush per tick.
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
 *
 * Packets, frames and their order are unchanged. The patches go on the prototypes of the
 * Engine.IO that socket.io itself loads (resolved from socket.io's location), so they
 * cannot miss a second copy of Engine.IO.
 */
import { createRequire } from "node:module";

interface Corkable {
  cork(): void;
  uncork(): void;
}
interface WebSocketTransport {
  socket?: { _socket?: Corkable };
  send(packets: unknown[]): void;
}
type TransportProto = WebSocketTransport & { [PATCHED]?: true };
interface EngineSocket {
  flush(): void;
  writeBuffer?: unknown[];
  /** Set while a deferred flush is pending (one boolean per connection). */
  flushPending?: boolean;
}
type SocketProto = EngineSocket & { [PATCHED]?: true };

const PATCHED = Symbol.for("chat-cluster.corkedWebSocketSend");

interface EngineModule {
  Socket?: { prototype: SocketProto };
  transports?: { websocket?: { prototype: TransportProto } };
}

/** Installs both patches once per process; returns false if Engine.IO's shape changed. */
export function corkWebSocketFlushes(): boolean {
  const fromHere = createRequire(import.meta.url);
  const fromSocketIo = createRequire(fromHere.resolve("socket.io"));
  const engine = fromSocketIo("engine.io") as EngineModule;
  const socketProto = engine.Socket?.prototype;
  if (!socketProto || typeof socketProto.flush !== "function") return false;
  if (!socketProto[PATCHED]) deferFlushes(socketProto);
  const proto = engine.transports?.websocket?.prototype;
  if (!proto || typeof proto.send !== "function") return false;
  if (proto[PATCHED]) return true;
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
  return true;
}

function deferFlushes(proto: SocketProto): void {
  const flush = proto.flush;
  const runFlush = (socket: EngineSocket) => {
    socket.flushPending = false;
    flush.call(socket);
  };
  proto.flush = function flushAtEndOfTick(this: EngineSocket): void {
    // Engine.IO also calls flush after every completed write, mostly with nothing queued.
    if (this.flushPending || this.writeBuffer?.length === 0) return;
    this.flushPending = true;
    process.nextTick(runFlush, this);
  };
  proto[PATCHED] = true;
}
