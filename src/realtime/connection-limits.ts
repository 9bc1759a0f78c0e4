/**
 * Abuse limits of the realtime layer, on each node: a per-connection event rate (every
 * event name counts, unknown ones included) and open connections per client address and
 * per user. They complement the per-user send limit (send-limiter.ts), which is cluster-wide.
 */
export interface EventVerdict {
  ok: boolean;
  /** When refused: milliseconds until the window resets. */
  retryAfterMs: number;
  /** Refused and at twice the limit within one window: the connection should be closed. */
  abusive: boolean;
}

const OK: EventVerdict = { ok: true, retryAfterMs: 0, abusive: false };

/** Where a connection's event window is kept: two numbers on its SocketState. */
export interface EventWindow {
  eventWindowStart: number;
  eventCount: number;
}

/**
 * A fixed-window counter per connection, kept on the connection's own state: synchronous,
 * no timers, no allocation per event, nothing to clean up when it goes. `events` 0 turns
 * it off.
 */
export class EventRateLimiter {
  constructor(
    private readonly events: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(w: EventWindow): EventVerdict {
    if (this.events === 0) return OK;
    const t = this.now();
    if (t - w.eventWindowStart >= this.windowMs) {
      w.eventWindowStart = t;
      w.eventCount = 0;
    }
    w.eventCount++;
    if (w.eventCount <= this.events) return OK;
    return {
      ok: false,
      retryAfterMs: Math.max(1, w.eventWindowStart + this.windowMs - t),
      abusive: w.eventCount >= 2 * this.events,
    };
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

/** Where a connection's slots are recorded: on its SocketState, until released. */
export interface SlotHolder {
  slot: { ip: string; user: string | undefined } | undefined;
}

/** Both connection limits of a node. A holder's slots are released once, whoever asks first. */
export class ConnectionSlots {
  private readonly perIp: ConnectionCounter;
  private readonly perUser: ConnectionCounter;
  constructor(maxPerIp: number, maxPerUser: number) {
    this.perIp = new ConnectionCounter(maxPerIp);
    this.perUser = new ConnectionCounter(maxPerUser);
  }

  /** Takes a slot for the address and one for the user, or names the limit that is full. */
  acquire(holder: SlotHolder, ip: string, user: string | undefined): "per address" | "per user" | undefined {
    if (!this.perIp.tryAcquire(ip)) return "per address";
    if (user !== undefined && !this.perUser.tryAcquire(user)) {
      this.perIp.release(ip);
      return "per user";
    }
    holder.slot = { ip, user };
    return undefined;
  }

  release(holder: SlotHolder): void {
    const slot = holder.slot;
    if (!slot) return;
    holder.slot = undefined;
    this.perIp.release(slot.ip);
    if (slot.user !== undefined) this.perUser.release(slot.user);
  }
}
