/**
 * What the load tester needs of one connection, whichever client makes it: conn.ts picks
 * the client, lean-conn.ts and chat-requests.ts implement it; none of them imports another
 * for these types.
 */
export type Target = "chat" | "baseline";
export type Transport = "websocket" | "polling";
/**
 * The chat target's client library. `lean` costs the tester about what the baseline's ws
 * client does per delivered message; `socket.io`, the stock client, 1.3–1.4 times that.
 */
export type ClientKind = "lean" | "socket.io";

/** What the tester needs of a delivered message. */
export interface Delivered {
  room: string;
  seq: number;
  clientId: string;
  body: string;
}

export interface JoinInfo {
  lastSeq: number;
  /** Entries returned by a join with `since` (a reconnect), oldest first. */
  messages: Delivered[];
  hasMore: boolean;
}

export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ConnEvents {
  onMessage(m: Delivered): void;
  /** A connection after the first one: the tester re-joins its rooms. */
  onReconnect(): void;
  onDisconnect(reason: string): void;
  onConnectError(message: string): void;
  /** presence:join / presence:leave (chat only): counted, they cost the tester CPU too. */
  onPresence(): void;
}

export interface Conn {
  readonly user: string;
  /** Resolves on the first successful connection; rejects after `timeoutMs`. */
  connect(timeoutMs: number): Promise<void>;
  readonly connected: boolean;
  join(room: string, since: number | undefined, timeoutMs: number): Promise<JoinInfo>;
  /** Resolves with the stored message's seq once acked. */
  send(room: string, body: string, clientId: string, timeoutMs: number): Promise<number>;
  close(): void;
}

export interface ConnOptions {
  target: Target;
  url: string;
  user: string;
  transport: Transport;
  /** Reconnect after a lost connection (both targets). */
  reconnect: boolean;
  /** chat target only; long-polling always uses socket.io-client. Default lean. */
  client?: ClientKind;
  events: ConnEvents;
}
