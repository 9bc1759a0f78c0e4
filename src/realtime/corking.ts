/**
 * One TCP write per WebSocket flush instead of one per packet.
 *
 * Engine.IO sends a connection's first packet of a tick at once and queues the rest until
 * that write completes; it then sends the queue with one `ws` frame write, hence one
 * writev syscall, per packet. Under load (S2: 80 messages/s into each socket) a socket
 * often has several packets queued, and those syscalls were the largest item in the CPU
 * profiles. Corking the TCP socket around the loop turns them into one writev. Packets,
 * frames and their order are unchanged; a single packet takes the original path.
 *
 * The patch goes on the prototype of the Engine.IO that socket.io itself loads (resolved
 * from socket.io's location), so it cannot miss a second copy of Engine.IO.
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

const PATCHED = Symbol.for("chat-cluster.corkedWebSocketSend");

/** Installs the corked send once per process; returns false if Engine.IO's shape changed. */
export function corkWebSocketFlushes(): boolean {
  const fromHere = createRequire(import.meta.url);
  const fromSocketIo = createRequire(fromHere.resolve("socket.io"));
  const engine = fromSocketIo("engine.io") as { transports?: { websocket?: { prototype: TransportProto } } };
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
