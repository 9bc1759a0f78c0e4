/**
 * At most a few `room:join` requests in flight on one connection.
 *
 * A reconnect re-joins every room at once, and each `room:join { since }` reply can carry up
 * to an eighth of that cap (512 KiB by default; the server pages the rest). Asked for together by a
 * phone on a slow link, those replies pile up on the server faster than the link takes
 * them, past the server's backlog cap (`MAX_SOCKET_BACKLOG_BYTES`, 4 MiB by default),
 * which closes the connection; the next reconnect would ask for the same again. With a few
 * in flight, the next reply is asked for only when one has arrived, so what the server
 * holds for this connection stays a few replies deep, however many rooms there are.
 */
export class JoinQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** While set, no request starts: the server said `rate_limited`. */
  private hold: ReturnType<typeof setTimeout> | undefined;
  private holdUntil = 0;

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`JoinQueue limit must be a positive integer, got ${limit}`);
  }

  /** Resolves when a slot is free. `urgent` (the person opened the room) goes before the rest. */
  acquire(urgent = false): Promise<void> {
    if (this.running < this.limit && !this.hold) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const start = () => {
        this.running++;
        resolve();
      };
      if (urgent) this.waiting.unshift(start);
      else this.waiting.push(start);
    });
  }

  /** Frees the slot of a finished request and starts the next one waiting. */
  release(): void {
    if (this.running === 0) throw new Error("JoinQueue.release without acquire");
    this.running--;
    if (!this.hold) this.waiting.shift()?.();
  }

  /**
   * Starts nothing for `ms` (a `rate_limited` answer's `retryAfterMs`), then fills the free
   * slots again. Every join counts against the connection's event rate, and a connection
   * that goes on at twice the rate is closed: after a reconnect in hundreds of rooms, joins
   * that kept coming would get the client disconnected, and it would reconnect into the
   * same again. A longer hold extends a shorter one.
   */
  holdFor(ms: number): void {
    const until = Date.now() + ms;
    if (this.hold && until <= this.holdUntil) return;
    if (this.hold) clearTimeout(this.hold);
    this.holdUntil = until;
    this.hold = setTimeout(() => this.resume(), ms);
  }

  /** Ends a hold now (also when the client stops): the free slots fill again. */
  resume(): void {
    if (this.hold) clearTimeout(this.hold);
    this.hold = undefined;
    while (this.running < this.limit && this.waiting.length > 0) this.waiting.shift()!();
  }

  /** Whether a hold is on. */
  get held(): boolean {
    return this.hold !== undefined;
  }

  /** Requests holding a slot. */
  get inFlight(): number {
    return this.running;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }
}
