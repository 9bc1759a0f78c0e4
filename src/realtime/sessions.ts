/**
 * Sessions end with their token (jwt mode). Each socket whose token has an `exp` is kept in
 * a coarse timer wheel of one-second buckets, swept by one timer per node: no timer per
 * socket (an idle connection must stay small, docs/benchmarks.md S3). A socket moves
 * through three stages: warned (`session:expiring`, a minute before), expired
 * (`session:expired`; its events are refused from then on), closed (after the grace).
 * `auth:refresh` with a fresh token of the same user puts it back at the start.
 */
import type { Server } from "socket.io";
import { z } from "zod";
import type { Authenticator, Identity } from "../auth.js";
import { ChatError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Handler } from "./handle.js";
import { state } from "./socket-state.js";

/** `session:expiring` goes out this long before the token's `exp`. */
export const SESSION_WARNING_MS = 60_000;
const BUCKET_MS = 1000;

type Stage = "warn" | "expire" | "close";

interface Entry {
  expiresAt: number;
  stage: Stage;
  /** The bucket (a second) the entry waits in. */
  bucket: number;
}

export class SessionClock {
  private readonly entries = new Map<string, Entry>();
  private readonly buckets = new Map<number, Set<string>>();
  /** The last bucket swept: later ones are still to come. */
  private swept = Math.floor(Date.now() / BUCKET_MS);
  private timer: NodeJS.Timeout | undefined;
  private io: Server | undefined;

  constructor(
    private readonly graceMs: number,
    private readonly log: Logger,
  ) {}

  /** Starts sweeping the sockets of `io`; before this, sessions are only recorded. */
  start(io: Server): void {
    this.io = io;
    this.timer ??= setInterval(() => this.sweep(Date.now()), BUCKET_MS);
    this.timer.unref();
  }

  /** Safe to call more than once. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Records (or, after `auth:refresh`, replaces) when a socket's token expires. */
  track(socketId: string, expiresAt: number | undefined): void {
    this.forget(socketId);
    if (expiresAt === undefined) return;
    const entry: Entry = { expiresAt, stage: "warn", bucket: 0 };
    this.entries.set(socketId, entry);
    this.place(socketId, entry, expiresAt - SESSION_WARNING_MS);
  }

  forget(socketId: string): void {
    const entry = this.entries.get(socketId);
    if (!entry) return;
    this.entries.delete(socketId);
    this.buckets.get(entry.bucket)?.delete(socketId);
  }

  /** Whether the socket's token has expired: checked on every event, not left to the sweep. */
  expired(socketId: string, now = Date.now()): boolean {
    const entry = this.entries.get(socketId);
    return entry !== undefined && entry.expiresAt <= now;
  }

  /** Milliseconds until the socket's token expires, or undefined when it never does. */
  remaining(socketId: string, now = Date.now()): number | undefined {
    const entry = this.entries.get(socketId);
    return entry && Math.max(0, entry.expiresAt - now);
  }

  private place(socketId: string, entry: Entry, at: number): void {
    // A time already swept goes into the next bucket to be swept.
    entry.bucket = Math.max(Math.ceil(at / BUCKET_MS), this.swept + 1);
    let set = this.buckets.get(entry.bucket);
    if (!set) this.buckets.set(entry.bucket, (set = new Set()));
    set.add(socketId);
  }

  private sweep(now: number): void {
    const last = Math.floor(now / BUCKET_MS);
    for (let b = this.swept + 1; b <= last; b++) {
      const set = this.buckets.get(b);
      this.buckets.delete(b);
      this.swept = b;
      if (set) for (const id of set) this.advance(id, now);
    }
  }

  private advance(socketId: string, now: number): void {
    const entry = this.entries.get(socketId);
    if (!entry) return;
    const socket = this.io?.of("/").sockets.get(socketId);
    if (!socket) {
      // Tracked at the handshake and not connected yet: again next second. One that never
      // connects is forgotten when its transport closes (io.ts), or here once it would
      // have been closed anyway.
      if (now < entry.expiresAt + this.graceMs) this.place(socketId, entry, now + BUCKET_MS);
      else this.entries.delete(socketId);
      return;
    }
    if (entry.stage === "warn") {
      socket.emit("session:expiring", { inMs: Math.max(0, entry.expiresAt - now) });
      entry.stage = "expire";
      this.place(socketId, entry, entry.expiresAt);
    } else if (entry.stage === "expire") {
      socket.emit("session:expired", { closeInMs: this.graceMs });
      entry.stage = "close";
      this.place(socketId, entry, entry.expiresAt + this.graceMs);
    } else {
      this.entries.delete(socketId);
      this.log.debug({ socketId }, "token expired: disconnecting");
      socket.disconnect(true);
    }
  }
}

export const refreshSchema = z.object({ token: z.string().min(1).max(8192) });

/**
 * `auth:refresh { token }`: a fresh token, verified as at the handshake, for the same user
 * only; the socket keeps its rooms and its session now ends with the new token.
 */
export function refreshSession(auth: Authenticator, clock: SessionClock): Handler<typeof refreshSchema> {
  return async function refresh({ token }, socket) {
    let identity: Identity;
    try {
      identity = await auth.verifyToken(token);
    } catch {
      throw new ChatError("unauthenticated", "the token is not valid");
    }
    if (identity.user !== state(socket).user) throw new ChatError("forbidden", "the token names another user");
    if (!socket.connected) return;
    clock.track(socket.id, identity.expiresAt);
    return { inMs: clock.remaining(socket.id) ?? null };
  };
}
