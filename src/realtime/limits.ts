/**
 * Abuse limits of the realtime layer, on each node: a per-connection event rate (every
 * event name counts, unknown ones included) and open connections per client address and
 * per user. They complement the per-user send limit (ratelimit.ts), which is cluster-wide.
 */
import type { Socket } from "socket.io";

export interface EventVerdict {
  ok: boolean;
  /** When refused: milliseconds until the window resets. */
  retryAfterMs: number;
  /** Refused and at twice the limit within one window: the connection should be closed. */
  abusive: boolean;
}

const OK: EventVerdict = { ok: true, retryAfterMs: 0, abusive: false };

/**
 * A fixed-window counter per socket, held in a WeakMap: synchronous, no timers, nothing to
 * clean up when the socket goes. `events` 0 turns it off.
 */
export class EventRateLimiter {
  private readonly windows = new WeakMap<Socket, { start: number; count: number }>();
  constructor(
    private readonly events: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(socket: Socket): EventVerdict {
    if (this.events === 0) return OK;
    const t = this.now();
    let w = this.windows.get(socket);
    if (!w) this.windows.set(socket, (w = { start: t, count: 0 }));
    else if (t - w.start >= this.windowMs) {
      // A new window reuses the socket's counter: no allocation per event on the hot path.
      w.start = t;
      w.count = 0;
    }
    w.count++;
    if (w.count <= this.events) return OK;
    return { ok: false, retryAfterMs: Math.max(1, w.start + this.windowMs - t), abusive: w.count >= 2 * this.events };
  }
}

/** Open connections per key (address or user); `max` 0 = unlimited. */
export class ConnectionCounter {
  private readonly counts = new Map<string, number>();
  constructor(private readonly max: number) {}

  /** Takes a slot for `key`, or returns false when it is full. */
  tryAcquire(key: string): boolean {
    if (this.max === 0) return true;
    const n = this.counts.get(key) ?? 0;
    if (n >= this.max) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    if (this.max === 0) return;
    const n = (this.counts.get(key) ?? 0) - 1;
    if (n <= 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }

  get size(): number {
    return this.counts.size;
  }
}
