/**
 * Abuse limits of the realtime layer, on each node: a per-connection event rate (every
 * event name counts, unknown ones included) and open connections per client address and
 * per user. They complement the per-user limits (user-limiters.ts), which are cluster-wide.
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

/** Where a connection's slots and user are recorded: on its SocketState, until released. */
export interface SlotHolder {
  slot: { ip: string; user: string | undefined } | undefined;
  user: string | undefined;
}

/** Where connections are found by user, for user-addressed events (chat/users.ts). */
export interface UserRegistry<S> {
  add(user: string, socket: S): void;
  remove(user: string, socket: S): void;
}

/** Both connection limits of a node. A holder's slots are released once, whoever asks first. */
export class ConnectionSlots<S> {
  private readonly perIp: ConnectionCounter;
  private readonly perUser: ConnectionCounter;
  constructor(
    maxPerIp: number,
    maxPerUser: number,
    private readonly registry: UserRegistry<S>,
  ) {
    this.perIp = new ConnectionCounter(maxPerIp);
    this.perUser = new ConnectionCounter(maxPerUser);
  }

  /** The handshake: a slot for the address, then the user it names, or the limit that is full. */
  acquire(holder: SlotHolder, socket: S, ip: string, user: string | undefined): "per address" | "per user" | undefined {
    if (!this.perIp.tryAcquire(ip)) return "per address";
    holder.slot = { ip, user: undefined };
    if (user !== undefined && !this.takeUser(holder, socket, user)) {
      this.release(holder, socket);
      return "per user";
    }
    return undefined;
  }

  /**
   * The one way a connection takes a user, whether its handshake names one or the template's
   * `joined_room` does later: counted against the per-user cap and registered for
   * user-addressed events, both undone by `release`. false when that user's connections are
   * full or the connection is gone; a connection keeps the first user it took.
   */
  takeUser(holder: SlotHolder, socket: S, user: string): boolean {
    if (holder.user !== undefined) return holder.user === user;
    if (!holder.slot || !this.perUser.tryAcquire(user)) return false;
    holder.slot.user = user;
    holder.user = user;
    this.registry.add(user, socket);
    return true;
  }

  release(holder: SlotHolder, socket: S): void {
    const slot = holder.slot;
    if (!slot) return;
    holder.slot = undefined;
    this.perIp.release(slot.ip);
    if (slot.user === undefined) return;
    this.perUser.release(slot.user);
    this.registry.remove(slot.user, socket);
  }
}
