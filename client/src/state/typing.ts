/**
 * Typing indicators, both ways. No timers of its own: callers pass the clock, so the
 * rules are testable and the controller decides when to re-check.
 */
import { t } from "../i18n/index.js";

/** How long someone is shown as typing after their last `typing: true`. */
export const TYPING_SHOW_MS = 5000;
/** At most one `typing: true` per this interval while the person keeps typing. */
export const TYPING_EMIT_INTERVAL_MS = 2000;
/** `typing: false` after this long without a keystroke. */
export const TYPING_IDLE_MS = 3000;

/** Who is typing in one room, from `typing` events. */
export class TypingTracker {
  private readonly until = new Map<string, number>();

  /** Applies a `typing` event. Returns whether the visible set changed. */
  apply(user: string, typing: boolean, now: number): boolean {
    const had = this.isTyping(user, now);
    if (typing) this.until.set(user, now + TYPING_SHOW_MS);
    else this.until.delete(user);
    return had !== typing;
  }

  /** Someone's message arrived or they left: they are no longer typing. */
  clear(user: string): boolean {
    return this.until.delete(user);
  }

  clearAll() {
    this.until.clear();
  }

  private isTyping(user: string, now: number): boolean {
    const t = this.until.get(user);
    return t !== undefined && t > now;
  }

  /** The people typing now, sorted; forgets expired ones. */
  users(now: number): string[] {
    const out: string[] = [];
    for (const [u, t] of this.until) {
      if (t > now) out.push(u);
      else this.until.delete(u);
    }
    return out.sort();
  }

  /** When the next entry expires (to schedule a re-render), or undefined. */
  nextExpiry(): number | undefined {
    let min: number | undefined;
    for (const t of this.until.values()) if (min === undefined || t < min) min = t;
    return min;
  }
}

/** "alice is typing...", "alice and bob are typing...", "several people are typing...". */
export function typingText(users: readonly string[]): string {
  if (users.length === 0) return "";
  if (users.length === 1) return t("typing.one", { name: users[0]! });
  if (users.length === 2) return t("typing.two", { a: users[0]!, b: users[1]! });
  return t("typing.many");
}

/**
 * Decides when this client emits `typing`: `true` at most once per
 * TYPING_EMIT_INTERVAL_MS while the person types, `false` on send, when the box is
 * emptied, or after TYPING_IDLE_MS without input.
 */
export class TypingEmitter {
  private lastTrueAt = Number.NEGATIVE_INFINITY;
  private lastInputAt = Number.NEGATIVE_INFINITY;
  private announced = false;

  constructor(private readonly emit: (typing: boolean) => void) {}

  /** A keystroke. `hasText`: whether the box has any non-blank text now. */
  input(hasText: boolean, now: number) {
    if (!hasText) {
      this.stop();
      return;
    }
    this.lastInputAt = now;
    if (now - this.lastTrueAt >= TYPING_EMIT_INTERVAL_MS) {
      this.lastTrueAt = now;
      this.announced = true;
      this.emit(true);
    }
  }

  /** Call periodically (or at `idleDeadline()`): sends `false` once the person went idle. */
  tick(now: number) {
    if (this.announced && now - this.lastInputAt >= TYPING_IDLE_MS) this.stop();
  }

  /** When `tick` should next run, or undefined if nothing is announced. */
  idleDeadline(): number | undefined {
    return this.announced ? this.lastInputAt + TYPING_IDLE_MS : undefined;
  }

  /** The message was sent, the box emptied, or the room closed. */
  stop() {
    if (!this.announced) return;
    this.announced = false;
    this.lastTrueAt = Number.NEGATIVE_INFINITY;
    this.emit(false);
  }

  /** The connection dropped: the server forgot us, so start afresh without emitting. */
  reset() {
    this.announced = false;
    this.lastTrueAt = Number.NEGATIVE_INFINITY;
  }
}
