/**
 * Heartbeats in step: Engine.IO's pings, due on a shared grid instead of at each
 * connection's own moment.
 *
 * Engine.IO (protocol v4) pings every connection `pingInterval` after its last pong, so with
 * N connections a node wakes N / pingInterval times a second to write one ping, and as often
 * again to read one pong. Those wake-ups were nearly all of an idle node's CPU: with 10,000
 * idle connections over two nodes, 110–120 ms of CPU per second, against 11 with pings off
 * (docs/benchmarks.md, S3). Each ping is now due on the next multiple of `gridMs` after its
 * interval, so the pings of a grid step leave in one timer callback, their writes in one
 * burst, and their pongs come back together.
 *
 * A ping is at most `gridMs` later than Engine.IO would send it; a dead connection is still
 * found within pingInterval + gridMs + pingTimeout. The grid is in the event loop's own clock
 * (the timer's start, as Node records it), so every connection's ping lands on the same
 * boundaries. Protocol v3 (template clients ping the server) is left as it is.
 */
import { createRequire } from "node:module";

/** The fields of Node's Timeout that Engine.IO's ping timer is re-armed through. */
interface NodeTimeout {
  refresh(): NodeTimeout;
  _idleStart?: number;
  _idleTimeout?: number;
}
interface EngineSocket {
  protocol?: number;
  pingIntervalTimer?: NodeTimeout | null;
  server?: { opts?: { pingInterval?: number }; [GRID]?: number };
}
type SocketProto = EngineSocket & { schedulePing(): void; [PATCHED]?: true };

const PATCHED = Symbol.for("chat-cluster.alignedHeartbeat");
const GRID = Symbol.for("chat-cluster.heartbeatGrid");

/** Installs the patch once per process; returns false if Engine.IO's shape changed. */
export function alignHeartbeats(): boolean {
  const fromHere = createRequire(import.meta.url);
  const engine = createRequire(fromHere.resolve("socket.io"))("engine.io") as { Socket?: { prototype: SocketProto } };
  const proto = engine.Socket?.prototype;
  if (!proto || typeof proto.schedulePing !== "function") return false;
  if (proto[PATCHED]) return true;
  const schedulePing = proto.schedulePing;
  proto.schedulePing = function schedulePingOnGrid(this: EngineSocket): void {
    schedulePing.call(this);
    const timer = this.pingIntervalTimer;
    const grid = this.server?.[GRID];
    const interval = this.server?.opts?.pingInterval;
    if (!timer || !grid || !interval || typeof timer._idleStart !== "number") return;
    const refresh = timer.refresh;
    // Engine.IO re-arms the same timer on every pong: each re-arm lands on the grid too.
    timer.refresh = function refreshOnGrid(this: NodeTimeout): NodeTimeout {
      // Cleared (clearTimeout sets -1): Node's own refresh would not re-arm it either.
      if (this._idleTimeout === -1) return this;
      this._idleTimeout = interval;
      refresh.call(this); // records the loop's current time as the start
      this._idleTimeout = onGrid(this._idleStart!, interval, grid);
      return refresh.call(this); // same start (the loop's time is cached), due on the grid
    };
    timer.refresh();
  };
  proto[PATCHED] = true;
  return true;
}

/** The delay from `start` to the first multiple of `grid` at or after `start + interval`. */
export function onGrid(start: number, interval: number, grid: number): number {
  return Math.ceil((start + interval) / grid) * grid - start;
}

/** Sets the grid step of one Engine.IO server (`io.engine`); 0 leaves its pings as they are. */
export function setHeartbeatGrid(engine: object, gridMs: number): void {
  (engine as { [GRID]?: number })[GRID] = gridMs;
}
