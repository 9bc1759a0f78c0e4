import type { Server, Socket } from "socket.io";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { Db } from "../store/db.js";
import type { MessageWriter } from "../store/writer.js";
import type { PresenceRegistry } from "./presence.js";
import type { UserChannel } from "./users.js";
import { ChatError } from "./errors.js";

/** Everything a chat handler may use; built once per node in src/node.ts. */
export interface ChatContext {
  config: Config;
  io: Server;
  db: Db;
  writer: MessageWriter;
  presence: PresenceRegistry;
  sendLimiter: RateLimiterAbstract;
  metrics: Metrics;
  log: Logger;
  /** Reaches a user's connections on any node. */
  users: UserChannel;
  /** Present when the node runs in a cluster (REDIS_URL). */
  cluster?: { noteLocalOnlyWrite(room: string): void };
}

export type Dialect = "v1" | "legacy";

/**
 * What the server keeps on each socket: little, since a node holds tens of thousands.
 * Per-connection bookkeeping lives in plain fields here rather than in closures, once
 * wrappers or WeakMap entries per socket (docs/benchmarks.md, S3).
 */
export class SocketState {
  /** Chat rooms this socket has joined, and the dialect it joined them in. */
  readonly rooms = new Map<string, Dialect>();
  private child: Logger | undefined;
  /** The address and user its connection slots were counted under (realtime/limits.ts). */
  slot: { ip: string; user: string | undefined } | undefined = undefined;
  /** The per-connection event window (realtime/limits.ts). */
  eventWindowStart = 0;
  eventCount = 0;

  constructor(
    public user: string | undefined,
    readonly socketId: string,
    private readonly parent: Logger,
  ) {}

  /** A child logger naming the socket, made on first use (most sockets never log). */
  get log(): Logger {
    return (this.child ??= this.parent.child({ socketId: this.socketId, user: this.user }));
  }
}

/** Whether the template's dialect exists on this node: only in open mode (connection.ts). */
export function legacyDialect(ctx: ChatContext): boolean {
  return ctx.config.auth.mode === "open";
}

export function state(socket: Socket): SocketState {
  return socket.data as SocketState;
}

export function requireUser(socket: Socket): string {
  const user = state(socket).user;
  if (!user) throw new ChatError("unauthenticated", "this connection has no user: connect with auth.username or a token");
  return user;
}

export function requireJoined(socket: Socket, room: string): void {
  if (!state(socket).rooms.has(room)) throw new ChatError("not_joined", `join ${room} first`);
}
