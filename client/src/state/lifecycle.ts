/**
 * The connection's state as ChatClient shows it (`conn`: connecting, connected, reconnecting,
 * offline, refused), driven by the socket's events; the host says what a connect (the rooms
 * join and catch up) and a disconnect mean for the rest.
 */
import type { ConnState } from "./chatTypes.js";
import type { ChatSocket } from "./roomEvents.js";

/** Why the client stopped for good: connect_error messages, and a token that expired. */
const REFUSALS = new Set(["invalid_username", "unauthorized", "session_expired"]);

/** The fields of ChatClient that the socket's events set. */
export interface ConnectionState {
  conn: ConnState;
  refusal?: string;
  connects: number;
  node?: string;
  protocolVersion?: number;
}

export interface LifecycleHost {
  state: ConnectionState;
  online(): boolean;
  stopped(): boolean;
  changed(): void;
  later(ms: number, fn: () => void): void;
  /** Connected (again), after `conn` says so: rooms join and catch up. */
  connected(): void;
  /** The socket went down, before `conn` says why. */
  disconnected(): void;
  /** Stops for good with `why`. */
  refuse(why: string): void;
}

export function wireLifecycle(s: ChatSocket, h: LifecycleHost) {
  const st = h.state;
  s.on("connect", () => {
    st.connects++;
    st.conn = "connected";
    st.refusal = undefined;
    h.changed();
    h.connected();
  });
  s.on("disconnect", (reason) => {
    h.disconnected();
    if (h.stopped() || reason === "io client disconnect") {
      st.conn = st.conn === "refused" ? "refused" : "offline";
    } else {
      st.conn = h.online() ? "reconnecting" : "offline";
      if (reason === "io server disconnect") {
        // The server closed this socket (a node draining): the client does not
        // reconnect by itself in that case. Come back after a short random pause.
        h.later(250 + Math.random() * 750, () => s.connect());
      }
    }
    h.changed();
  });
  s.on("connect_error", (err) => {
    if (REFUSALS.has(err.message)) {
      // A token that worked before and is refused now has expired (offline past its exp).
      h.refuse(err.message === "unauthorized" && st.connects > 0 ? "session_expired" : err.message);
      return;
    }
    if (st.conn !== "refused") {
      st.conn = !h.online() ? "offline" : st.connects > 0 ? "reconnecting" : "connecting";
    }
    h.changed();
  });
  s.io.on("reconnect_attempt", () => {
    if (st.conn !== "refused") st.conn = h.online() ? "reconnecting" : "offline";
    h.changed();
  });
  s.on("server:hello", (hello) => {
    st.node = hello.node;
    st.protocolVersion = hello.version;
    h.changed();
  });
}
