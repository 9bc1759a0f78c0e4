/** The Socket.IO server: transport options, the handshake gate, and per-connection wiring. */
import type { IncomingMessage, Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { SocketState } from "../chat/context.js";
import { AuthError, type Authenticator } from "./auth.js";

export const PROTOCOL_VERSION = 1;

export interface IoOptions {
  config: Config;
  log: Logger;
  auth: Authenticator;
  /** false while the node is starting or draining: new connections go to another node. */
  accepting: () => boolean;
}

export function createIo(http: HttpServer, { config, log, auth, accepting }: IoOptions): Server {
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
      if (!accepting()) return cb("draining", false);
      cb(null, originAllowed(req, config.corsOrigins));
    },
  });

  // The handshake's HTTP request is not needed once the connection exists; dropping it
  // saves memory per connection (the Socket.IO docs' advice for large deployments).
  io.engine.on("connection", function dropRequest(raw: { request: unknown }) {
    raw.request = null;
  });

  io.use(async function authenticate(socket, next) {
    try {
      const user = await auth.fromHandshake(socket.handshake.auth);
      socket.data = new SocketState(user, socket.id, log);
      next();
    } catch (err) {
      const reason = err instanceof AuthError ? err.reason : "unauthorized";
      log.debug({ socketId: socket.id, reason }, "handshake refused");
      next(new Error(reason));
    }
  });
  return io;
}

function corsOrigin(origins: string[]): string[] | boolean {
  return origins.includes("*") ? true : origins;
}

/**
 * Browsers do not apply CORS to WebSocket upgrades, so the allowlist is enforced here for
 * every transport: same-origin requests, non-browser clients (no Origin) and listed origins.
 */
export function originAllowed(req: IncomingMessage, allowlist: string[]): boolean {
  const origin = req.headers.origin;
  if (!origin || allowlist.includes("*") || allowlist.includes(origin)) return true;
  try {
    const host = (req.headers["x-forwarded-host"] as string | undefined)?.split(",")[0]?.trim() ?? req.headers.host;
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export type { Socket };
