import type { Server, Socket } from "socket.io";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { Db, Queryable } from "../store/db.js";
import type { MessageWriter } from "../store/writer.js";
import type { Attachments } from "./attachments.js";
import type { RoomEvents } from "./broadcast.js";
import type { PresenceRegistry } from "./presence-registry.js";
import type { Searcher } from "./search.js";
import type { UserChannel } from "./users.js";
import { assertAccess } from "./access.js";
import { ChatError } from "./errors.js";

/** Everything a chat handler may use; built once per node in src/node.ts. */
export interface ChatContext {
  config: Config;
  io: Server;
  db: Db;
  /**
   * Where reads go: the primary, or a streaming replica that has replayed what the primary
   * had when the read began (store/replica.ts). Writes and read-modify-writes use `db`.
   */
  reads: Queryable;
  writer: MessageWriter;
  presence: PresenceRegistry;
  sendLimiter: RateLimiterAbstract;
  /** Uploads, their link to messages, downloads and the sweep (chat/attachments.ts). */
  attachments: Attachments;
  /** messages:search with its limits (chat/search.ts). */
  search: Searcher;
  /** Lookups per user (SEARCH_RATE_LIMIT): the same limiter `search` counts messages:search on, used by rooms:browse. */
  lookupLimiter: RateLimiterAbstract;
  /** New rooms per user (MAX_NEW_ROOMS_PER_USER_HOUR); absent when unlimited. */
  roomLimiter?: RateLimiterAbstract;
  metrics: Metrics;
  log: Logger;
  /** Announces to a room's listeners, in every dialect the node speaks (node.ts composes it). */
  broadcast: RoomEvents;
  /** Reaches a user's connections on any node. */
  users: UserChannel;
  /**
   * Gives a connection without a user (an open-mode template socket) its user, counted against
   * MAX_CONNECTIONS_PER_USER and registered for user-addressed events exactly as a handshake's
   * user is; false when that user's connections are full (realtime/limits.ts).
   */
  takeUser(socket: Socket, user: string): boolean;
  /** Present when the node runs in a cluster (REDIS_URL). */
  cluster?: { noteLocalOnlyWrite(room: string): void };
}

/**
 * What chat reads and keeps on each socket. node.ts makes one object per socket that holds
 * these beside the transport's fields (a subclass of realtime's SocketState): plain fields,
 * no closure or WeakMap entry per socket (docs/benchmarks.md, S3).
 */
export interface ChatSocketState {
  /** The authenticated user, or undefined for an anonymous open-mode connection. */
  user: string | undefined;
  readonly log: Logger;
  /** Chat rooms this socket has joined, each with the Socket.IO room it hears it on (membership.ts). */
  readonly rooms: Map<string, string>;
}

export function state(socket: Socket): ChatSocketState {
  return socket.data as ChatSocketState;
}

export function requireUser(socket: Socket): string {
  const user = state(socket).user;
  if (!user) throw new ChatError("unauthenticated", "this connection has no user: connect with auth.username or a token");
  return user;
}

/** Every event on a room needs it joined; a DM of other users is `forbidden`, as the contract says. */
export function requireJoined(socket: Socket, room: string): void {
  const s = state(socket);
  if (s.rooms.has(room)) return;
  if (s.user !== undefined) assertAccess(s.user, room);
  throw new ChatError("not_joined", `join ${room} first`);
}
