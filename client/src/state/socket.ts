/**
 * The chat socket: how ChatClient (chat.ts) opens it, requests over it (an emit with an ack
 * and a timeout, its failures turned into the ack error shape), and a wait for the connection.
 */
import { io, type ManagerOptions, type SocketOptions } from "socket.io-client";
import type { Ack, ClientToServerEvents } from "../../../src/shared/wire.js";
import type { ChatOptions } from "./chatTypes.js";
import type { CallResult } from "./room.js";
import type { ChatSocket } from "./roomEvents.js";

/** A socket for `opts` (not connected yet: `start()` connects it). */
export function openSocket(opts: ChatOptions): ChatSocket {
  const cred = opts.credentials;
  const socketOpts: Partial<ManagerOptions & SocketOptions> = {
    auth: "username" in cred ? { username: cred.username } : { token: cred.token },
    // WebSocket first needs no sticky sessions; fall back to long-polling where it is blocked.
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    randomizationFactor: 0.5,
    autoConnect: false,
    ...opts.socketOptions,
  };
  return (opts.url ? io(opts.url, socketOpts) : io(socketOpts)) as ChatSocket;
}

/** Emits `event` with an ack; resolves to the ack, or to a `disconnected`/`timeout`/`internal` error. */
export function callOver<T extends object>(
  socket: ChatSocket,
  ackTimeoutMs: number,
  event: keyof ClientToServerEvents,
  payload: object,
): Promise<CallResult<T>> {
  return new Promise((resolve) => {
    if (!socket.connected) {
      resolve({ ok: false, error: { code: "disconnected", message: "not connected" } });
      return;
    }
    const emitter = socket.timeout(ackTimeoutMs) as unknown as {
      emit(ev: string, p: object, cb: (err: Error | null, ack?: Ack<T>) => void): void;
    };
    emitter.emit(event, payload, (err, ack) => {
      if (err) {
        const code = socket.connected ? "timeout" : "disconnected";
        resolve({ ok: false, error: { code, message: err.message } });
      } else if (!ack || typeof ack !== "object") {
        resolve({ ok: false, error: { code: "internal", message: "malformed acknowledgement" } });
      } else {
        resolve(ack);
      }
    });
  });
}

/**
 * Resolves when the socket is connected (at once if it is, or if `done` says the client
 * stopped or was refused), or after `ms`. The browser's offline flag does not cut the wait
 * short: the socket keeps trying whatever it says, and a browser on a machine with no network
 * beyond localhost or an intranet calls itself offline while the server answers (a search
 * made before the connection came up then failed as "not connected" a moment before it did).
 */
export function whenConnected(socket: ChatSocket, ms: number, done: () => boolean): Promise<void> {
  if (socket.connected || done()) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(t);
      socket.off("connect", finish);
      resolve();
    };
    const t = setTimeout(finish, ms);
    socket.on("connect", finish);
  });
}
