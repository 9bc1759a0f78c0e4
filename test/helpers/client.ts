/** Real socket.io-client connections and small promise helpers around acks and events. */
import { io, type Socket } from "socket.io-client";

export type Client = Socket;

export interface ConnectOptions {
  username?: string;
  token?: string;
  transports?: ("websocket" | "polling")[];
  reconnection?: boolean;
}

const open = new Set<Socket>();

/** Connects and resolves once connected; rejects with the connect_error message. */
export function connect(url: string, opts: ConnectOptions = {}): Promise<Socket> {
  const auth: Record<string, string> = {};
  if (opts.username !== undefined) auth.username = opts.username;
  if (opts.token !== undefined) auth.token = opts.token;
  const socket = io(url, {
    auth,
    transports: opts.transports ?? ["websocket"],
    reconnection: opts.reconnection ?? false,
    forceNew: true,
  });
  open.add(socket);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      if (!(opts.reconnection ?? false)) {
        socket.close();
        reject(err);
      }
    });
  });
}

export function closeAll(): void {
  for (const s of open) s.close();
  open.clear();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAck = any;

/** Emits with an ack and resolves with it. */
export function call(socket: Socket, event: string, payload?: unknown, timeoutMs = 10_000): Promise<AnyAck> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload);
}

/** Resolves with the first `event` whose payload passes `match`. */
export function waitFor<T = AnyAck>(socket: Socket, event: string, match: (p: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    function listener(p: T): void {
      if (!match(p)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(p);
    }
    socket.on(event, listener);
  });
}

/** Collects every payload of `event` on the socket. */
export function collect<T = AnyAck>(socket: Socket, event: string): T[] {
  const out: T[] = [];
  socket.on(event, (p: T) => out.push(p));
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` is true (for effects that cross processes); fails after timeoutMs. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * Connects as `user` once (a user who has never connected cannot be opened a DM with), then
 * opens the DM from `from`, retrying while the server has not recorded them yet.
 */
export async function openDmWithNewUser(url: string, from: Socket, user: string): Promise<AnyAck> {
  (await connect(url, { username: user })).close();
  let ack: AnyAck;
  await eventually(async () => (ack = await call(from, "dm:open", { user })).error?.code !== "not_found", 10_000, `${user} recorded`);
  return ack;
}
