/**
 * What the transport keeps on each socket: little, since a node holds tens of thousands.
 * Per-connection bookkeeping lives in plain fields rather than in closures, wrappers or
 * WeakMap entries per socket (docs/benchmarks.md, S3). The composition root extends this
 * class with the application's fields (node.ts) and hands createIo a factory, so one object
 * per socket carries both without realtime knowing the application.
 */
import type { Socket } from "socket.io";
import type { Logger } from "../logger.js";

export class SocketState {
  private child: Logger | undefined;
  /** The address and user its connection slots were counted under (realtime/connection-limits.ts). */
  slot: { ip: string; user: string | undefined } | undefined = undefined;
  /** The per-connection event window (realtime/connection-limits.ts). */
  eventWindowStart = 0;
  eventCount = 0;

  constructor(
    /** The authenticated user, or undefined for an anonymous open-mode connection. */
    public user: string | undefined,
    readonly socketId: string,
    private readonly parent: Logger,
  ) {}

  /** A child logger naming the socket, made on first use (most sockets never log). */
  get log(): Logger {
    return (this.child ??= this.parent.child({ socketId: this.socketId, user: this.user }));
  }
}

/** Makes a socket's state at the handshake: `SocketState` or an application's subclass. */
export type SocketStateFactory = (user: string | undefined, socketId: string, log: Logger) => SocketState;

export function state(socket: Socket): SocketState {
  return socket.data as SocketState;
}
