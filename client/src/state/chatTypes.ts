/** The types of the chat controller's public API (chat.ts re-exports them). */
import type { ManagerOptions, SocketOptions } from "socket.io-client";
import type { Message } from "../../../src/shared/wire.js";

export type ConnState = "connecting" | "connected" | "reconnecting" | "offline" | "refused";

export type Credentials = { username: string } | { token: string };

/** A `mention` event: someone named this user in a room (`root`: in a thread); `reply`: a reply in a followed thread. */
export interface MentionAlert {
  id: number;
  room: string;
  seq: number;
  from: string;
  at: number;
  root?: number;
  reply?: true;
}

/** What comes live (not in a catch-up), for whoever acts on it besides the views (notifications). */
export type LiveEvent = { kind: "message"; message: Message } | { kind: "mention"; room: string; seq: number; from: string };

export interface ChatOptions {
  /** Server URL; undefined means the page's own origin. */
  url?: string;
  credentials: Credentials;
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  ackTimeoutMs?: number;
  now?: () => number;
  newClientId?: () => string;
  /** `room:join` requests in flight at once (catch-ups after a reconnect wait their turn). @default 4 */
  maxConcurrentJoins?: number;
  /** jwt mode: a fresh token from the page (state/renewal.ts); undefined if it has none. */
  getToken?: () => Promise<string | undefined>;
  /** jwt mode: the server took a renewed token. */
  onTokenRenewed?: (token: string) => void;
}
