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
import { recordUser } from "../store/users.js";

const USER_EVENT = "chat:to-user";

/**
 * Records each user who connects, once per node (and again after a failure or once the set
 * is full): the users who may be opened a DM with. Off the handshake's path: a connection
 * never waits for it, and the database being down costs nothing but a warning.
 */
export class SeenUsers {
  private readonly noted = new Set<string>();
  constructor(
    private readonly db: Queryable,
    private readonly log: Logger,
    private readonly max = 100_000,
  ) {}

  note(user: string): void {
    if (this.noted.has(user)) return;
    if (this.noted.size >= this.max) this.noted.clear();
    this.noted.add(user);
    recordUser(this.db, user).catch((err: unknown) => {
      this.noted.delete(user);
      this.log.warn({ err, user }, "could not record a user; retried at their next connection");
    });
  }
}

export class UserSockets {
  private byUser = new Map<string, Set<Socket>>();

  constructor(private readonly seen?: SeenUsers) {}

  add(user: string, socket: Socket): void {
    this.seen?.note(user);
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
