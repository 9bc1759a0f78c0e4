/** The Socket.IO server: transport options, the handshake gate, and per-connection wiring. */
import { ServerResponse, type IncomingMessage, type Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { AuthError, type Authenticator, type Identity } from "../auth.js";
import type { RefusalReason } from "../metrics.js";
import { corkWebSocketFlushes, limitBacklog } from "./corking.js";
import { alignHeartbeats, setHeartbeatGrid } from "./heartbeat.js";
import type { ConnectionSlots } from "./connection-limits.js";
import type { SessionClock } from "./sessions.js";
import { SocketState, state, type SocketStateFactory } from "./socket-state.js";
import { withTimeout } from "../timing.js";

export const PROTOCOL_VERSION = 1;

/** The engine connection's socket, so that one shared "close" listener can find it. */
const CONN_SOCKET = Symbol("realtime.socket");
type ConnWithSocket = Socket["conn"] & { [CONN_SOCKET]?: Socket };

/** What `socket.handshake` becomes once authentication has read it. */
const EMPTY_HANDSHAKE = Object.freeze({
  headers: Object.freeze({}),
  time: "",
  address: "",
  xdomain: false,
  secure: false,
  issued: 0,
  url: "",
  query: Object.freeze({}),
  auth: Object.freeze({}),
});

export interface IoOptions {
  config: Config;
  log: Logger;
  auth: Authenticator;
  /** Where each socket's token expiry is kept (jwt mode). */
  sessions: SessionClock;
  /** false while the node is starting or draining: new connections go to another node. */
  accepting: () => boolean;
  /** A connection was closed because its client did not read (MAX_SOCKET_BACKLOG_BYTES). */
  onBacklogClosed?: () => void;
  /** Makes each socket's state at the handshake (node.ts adds chat's fields). @default SocketState */
  newState?: SocketStateFactory;
  /** A connection attempt was refused at the handshake. */
  onRefused?: (reason: RefusalReason) => void;
  /** Connections per address and per user; shared with the application, where a socket may take its user late. */
  slots: ConnectionSlots<Socket>;
  /**
   * Awaited before a connection that names its user is accepted (node.ts records the user),
   * for at most ADMIT_WAIT_MS: a slow store delays handshakes, it does not hold them.
   */
  admitted?: (user: string) => Promise<void>;
}

const ADMIT_WAIT_MS = 2000;

export function createIo(http: HttpServer, options: IoOptions): Server {
  const { config, log, auth, sessions, accepting, onBacklogClosed, onRefused, slots, admitted } = options;
  const newState = options.newState ?? ((user, socketId, parent) => new SocketState(user, socketId, parent));
  if (!corkWebSocketFlushes()) log.warn("engine.io changed shape: WebSocket flushes are not corked");
  if (!alignHeartbeats()) log.warn("engine.io changed shape: pings are not aligned to PING_GRID_MS");
  const io = new Server(http, {
    path: "/socket.io/",
    serveClient: false,
    allowEIO3: true,
    maxHttpBufferSize: config.maxHttpBufferSize,
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
    // Chat payloads are small: compressing each costs more CPU and memory than it saves.
    perMessageDeflate: false,
    cors: config.corsOrigins.length > 0 ? { origin: corsOrigin(config.corsOrigins), credentials: true } : undefined,
    allowRequest: (req, cb) => {
      if (!accepting()) {
        onRefused?.("draining");
        return cb("draining", false);
      }
      const allowed = originAllowed(req, config.corsOrigins, config.trustProxy);
      if (!allowed) onRefused?.("origin");
      cb(null, allowed);
    },
  });

  setHeartbeatGrid(io.engine, config.pingGridMs);
  limitBacklog(io.engine, {
    maxBytes: config.maxSocketBacklogBytes,
    onOverflow(owed) {
      log.info({ owed, max: config.maxSocketBacklogBytes }, "closed a connection whose client stopped reading");
      onBacklogClosed?.();
    },
  });

  // The handshake's HTTP request is not needed once the connection exists; dropping it
  // saves memory per connection (the Socket.IO docs' advice for large deployments).
  // Behind a trusted proxy the client's address is the last X-Forwarded-For entry: the one
  // our proxy added. Earlier entries come from the client and could be forged by it when a
  // proxy appends instead of replacing. It must be read before the request goes.
  const forwardedFor = new WeakMap<object, string>();
  io.engine.on("connection", function dropRequest(raw: { request: IncomingMessage | null }) {
    if (config.trustProxy && raw.request) {
      const xff = raw.request.headers["x-forwarded-for"];
      const last = (Array.isArray(xff) ? xff.join(",") : xff)?.split(",").pop()?.trim();
      if (last) forwardedFor.set(raw, last);
    }
    raw.request = null;
  });

  // Engine.IO's upgrade response object keeps the handshake request (headers and all) for
  // as long as the WebSocket lives, through a "close" listener on the TCP socket. Nothing
  // reads it once the middlewares have run, which this last middleware marks.
  io.engine.use(function releaseUpgradeRequest(_req: IncomingMessage, res: { req?: unknown }, next: () => void) {
    next();
    if (!(res instanceof ServerResponse)) res.req = undefined;
  });

  // Shared listeners (no closure per connection): the slots go when the socket disconnects
  // or, should it never finish connecting, when its transport closes.
  function releaseOnDisconnect(this: Socket): void {
    slots.release(state(this), this);
    sessions.forget(this.id);
  }
  function releaseOnConnClose(this: Socket["conn"]): void {
    const socket = (this as ConnWithSocket)[CONN_SOCKET];
    if (socket) {
      slots.release(state(socket), socket);
      sessions.forget(socket.id);
    }
  }

  io.use(async function authenticate(socket, next) {
    let identity: Identity | undefined;
    try {
      identity = await auth.fromHandshake(socket.handshake.auth);
    } catch (err) {
      const reason = err instanceof AuthError ? err.reason : "unauthorized";
      log.debug({ socketId: socket.id, reason }, "handshake refused");
      onRefused?.(reason);
      return next(new Error(reason));
    }
    // Taken after the (asynchronous) verification and before any await, so that concurrent
    // handshakes cannot overshoot.
    const ip = forwardedFor.get(socket.conn) ?? socket.conn.remoteAddress ?? "unknown";
    const user = identity?.user;
    const s = newState(undefined, socket.id, log);
    socket.data = s;
    const full = slots.acquire(s, socket, ip, user);
    if (full) return refuse(next, socket.id, full);
    (socket.conn as ConnWithSocket)[CONN_SOCKET] = socket;
    socket.on("disconnect", releaseOnDisconnect);
    socket.conn.on("close", releaseOnConnClose);
    sessions.track(socket.id, identity?.expiresAt);
    // Nothing reads the handshake after this point; its headers, time and auth payload
    // would otherwise stay for the connection's lifetime.
    (socket as { handshake: unknown }).handshake = EMPTY_HANDSHAKE;
    if (admitted && user !== undefined) await withTimeout(admitted(user), ADMIT_WAIT_MS).catch(() => undefined);
    next();
  });

  function refuse(next: (err?: Error) => void, socketId: string, which: string): void {
    log.info({ socketId, which }, "handshake refused: too many connections");
    onRefused?.("too_many_connections");
    next(new Error("too_many_connections"));
  }
  return io;
}

function corsOrigin(origins: string[]): string[] | boolean {
  return origins.includes("*") ? true : origins;
}

/**
 * Browsers do not apply CORS to WebSocket upgrades, so the allowlist is enforced here for
 * every transport: same-origin requests, non-browser clients (no Origin) and listed origins.
 * Same origin means same scheme and host as this request; `X-Forwarded-Host` and
 * `-Proto` describe it only when they come from our proxy (TRUST_PROXY): otherwise any
 * client could name its own origin as the host.
 */
export function originAllowed(req: IncomingMessage, allowlist: string[], trustProxy: boolean): boolean {
  const origin = req.headers.origin;
  if (!origin || allowlist.includes("*") || allowlist.includes(origin)) return true;
  const first = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h)?.split(",")[0]?.trim() || undefined;
  const host = (trustProxy && first(req.headers["x-forwarded-host"])) || req.headers.host;
  const encrypted = "encrypted" in req.socket && req.socket.encrypted === true;
  const scheme = (trustProxy && first(req.headers["x-forwarded-proto"])) || (encrypted ? "https" : "http");
  try {
    const o = new URL(origin);
    return o.host === host && o.protocol === `${scheme.toLowerCase()}:`;
  } catch {
    return false;
  }
}

export type { Socket };
