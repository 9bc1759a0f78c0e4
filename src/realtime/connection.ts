/**
 * What happens on each new socket. The event table is built once per node and shared by
 * every socket: a connection costs one `onAny` listener, not a closure per event.
 */
import type { Server, Socket } from "socket.io";
import type { z } from "zod";
import type { Authenticator } from "../auth.js";
import type { ErrorBody } from "../shared/protocol.js";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { closeReasonLabel, type Metrics } from "../metrics.js";
import { handle, type EventHandler, type Handler, type InFlight } from "./handle.js";
import { EventRateLimiter } from "./connection-limits.js";
import { PROTOCOL_VERSION } from "./io.js";
import { refreshSchema, refreshSession, type SessionClock } from "./sessions.js";
import { state } from "./socket-state.js";

/** Registers a validated handler for one client event; each goes through `handle`. */
export type Registrar = <S extends z.ZodType>(event: string, schema: S, fn: Handler<S>) => void;

export interface ConnectionOptions {
  config: Pick<Config, "nodeId" | "eventRateLimit">;
  log: Logger;
  metrics: Metrics;
  inflight: InFlight;
  /** The token verifier and each socket's token expiry (jwt mode: `auth:refresh`, refusals). */
  sessions: { auth: Authenticator; clock: SessionClock };
  /** Registers every client event, once per node (chat/register.ts through node.ts). */
  register(on: Registrar): void;
  /** A socket finished its handshake. */
  connected(socket: Socket): void;
  /** A socket went; counted as in flight, so shutdown waits for what it returns. */
  disconnected(socket: Socket): Promise<void>;
}

export function buildEventTable(o: Pick<ConnectionOptions, "metrics" | "inflight" | "register" | "sessions">): Map<string, EventHandler> {
  const table = new Map<string, EventHandler>();
  const on: Registrar = (event, schema, fn) => table.set(event, handle(o, o.inflight, event, schema, fn));
  o.register(on);
  const { auth, clock } = o.sessions;
  if (auth.mode === "jwt") on("auth:refresh", refreshSchema, refreshSession(auth, clock));
  return table;
}

export function wireConnections(io: Server, o: ConnectionOptions): void {
  const { config, metrics, inflight } = o;
  const table = buildEventTable(o);
  const debug = o.log.isLevelEnabled("debug");

  const limiter = new EventRateLimiter(config.eventRateLimit.events, config.eventRateLimit.windowMs);

  function dispatch(this: Socket, event: string, ...args: unknown[]): void {
    const h = table.get(event);
    const verdict = limiter.take(state(this));
    if (!verdict.ok) {
      refuseEvent(this, h ? event : undefined, args, verdict.retryAfterMs, verdict.abusive);
      return;
    }
    // Past its token's exp a socket may only renew it, until the clock closes it.
    if (event !== "auth:refresh" && o.sessions.clock.expired(this.id)) {
      if (h) metrics.events.inc({ event, outcome: "unauthenticated" });
      answer(args, { code: "unauthenticated", message: "the token has expired: send auth:refresh with a new one" });
      return;
    }
    if (h) h(this, args);
    else metrics.unknownEvents.inc();
  }

  /** Over the connection's event rate: ack `rate_limited`; a flood at twice the rate closes it. */
  function refuseEvent(socket: Socket, event: string | undefined, args: unknown[], retryAfterMs: number, abusive: boolean): void {
    if (event) metrics.events.inc({ event, outcome: "rate_limited" });
    else metrics.unknownEvents.inc();
    answer(args, { code: "rate_limited", message: "too many events on this connection", retryAfterMs });
    if (abusive && socket.connected) {
      state(socket).log.warn({ retryAfterMs }, "event flood: disconnecting");
      socket.disconnect(true);
    }
  }
  /** Refuses an event that never reaches its handler, through its ack if it has one. */
  function answer(args: unknown[], error: ErrorBody): void {
    const ack = args[args.length - 1];
    if (typeof ack !== "function") return;
    try {
      ack({ ok: false, error });
    } catch {
      // the client went away
    }
  }
  function onDisconnect(this: Socket, reason: string): void {
    metrics.connectedSockets.dec();
    metrics.connectionsClosed.inc({ reason: closeReasonLabel(reason) });
    if (debug) state(this).log.debug({ reason }, "disconnected");
    // Counted as in flight: shutdown waits for the disconnect's cleanup (presence:leave).
    inflight.enter();
    void o.disconnected(this).finally(() => inflight.leave());
  }

  io.on("connection", function onConnection(socket: Socket) {
    const s = state(socket);
    socket.onAny(dispatch);
    socket.on("disconnect", onDisconnect);
    metrics.connectedSockets.inc();
    metrics.connectionsOpened.inc();
    o.connected(socket);
    socket.emit("server:hello", { node: config.nodeId, version: PROTOCOL_VERSION });
    if (debug) s.log.debug("connected");
  });
}
