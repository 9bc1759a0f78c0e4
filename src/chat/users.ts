/**
 * Reaching one user's connections wherever they are (dm:invited, mention).
 *
 * Each node keeps its own sockets by user; a user-addressed event is delivered locally and,
 * in a cluster, announced once to the other nodes with serverSideEmit. That costs nothing
 * per connection in the adapter (a Socket.IO room per user would add a room, and with the
 * sharded adapter a Redis subscription, for every connected user) and these events are rare.
 */
import type { Server, Socket } from "socket.io";
import type { Logger } from "../logger.js";
import type { Queryable } from "../store/db.js";
import { recordUsers } from "../store/users.js";

const USER_EVENT = "chat:to-user";

/**
 * Records each user who connects, once per node (again after a failure, or once the set is
 * full): the users who may be opened a DM with. One statement in flight at a time for all
 * the users noted meanwhile, so a reconnect storm of thousands of users costs a few
 * inserts, not thousands queued in front of the sends. The handshake waits for its user's
 * batch (`recorded`), so that anyone connected can be opened a DM with at once.
 */
export class SeenUsers {
  private readonly noted = new Set<string>();
  /** Users noted but not yet written, each with what their waiters resolve. */
  private pending: { user: string; done: () => void }[] = [];
  private readonly writing = new Map<string, Promise<void>>();
  private flushing = false;
  constructor(
    /** The primary, once connected (handshakes are accepted only after that). */
    private readonly db: () => Queryable | undefined,
    private readonly log: Logger,
    private readonly max = 100_000,
  ) {}

  /** Resolves once `user` is written, or its write failed (logged; retried at the next connection). */
  recorded(user: string): Promise<void> {
    if (this.noted.has(user)) return this.writing.get(user) ?? DONE;
    if (this.noted.size >= this.max) this.noted.clear();
    this.noted.add(user);
    const written = new Promise<void>((done) => this.pending.push({ user, done }));
    this.writing.set(user, written);
    if (!this.flushing) void this.flush();
    return written;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, 1000);
      const names = batch.map((b) => b.user);
      try {
        const db = this.db();
        if (!db) throw new Error("database not connected yet");
        await recordUsers(db, names);
      } catch (err) {
        for (const user of names) this.noted.delete(user);
        this.log.warn({ err, users: names.length }, "could not record users; retried at their next connection");
      }
      for (const { user, done } of batch) {
        this.writing.delete(user);
        done();
      }
    }
    this.flushing = false;
  }
}

const DONE = Promise.resolve();

export class UserSockets {
  private byUser = new Map<string, Set<Socket>>();

  constructor(private readonly seen?: SeenUsers) {}

  add(user: string, socket: Socket): void {
    // The template's joined_room takes its user after the handshake: recorded without waiting.
    void this.seen?.recorded(user);
    let set = this.byUser.get(user);
    if (!set) this.byUser.set(user, (set = new Set()));
    set.add(socket);
  }

  remove(user: string, socket: Socket): void {
    const set = this.byUser.get(user);
    if (set?.delete(socket) && set.size === 0) this.byUser.delete(user);
  }

  deliverLocal(user: string, event: string, payload: unknown): void {
    // A socket is registered from its handshake on: one still connecting hears nothing yet.
    for (const socket of this.byUser.get(user) ?? []) if (socket.connected) socket.emit(event, payload);
  }
}

export interface UserChannel {
  /** Sends `event` to every v1 connection of `user`, on any node. */
  emit(user: string, event: string, payload: unknown): void;
}

export function userChannel(io: Server, users: UserSockets, clustered: boolean): UserChannel {
  if (clustered) {
    // Other nodes' announcements. Malformed ones are dropped, never thrown.
    io.on(USER_EVENT, function fromOtherNode(user: unknown, event: unknown, payload: unknown) {
      if (typeof user === "string" && typeof event === "string") users.deliverLocal(user, event, payload);
    });
  }
  return {
    emit(user, event, payload) {
      users.deliverLocal(user, event, payload);
      // The in-memory adapter of a single node has no serverSideEmit.
      if (clustered) io.serverSideEmit(USER_EVENT, user, event, payload);
    },
  };
}
