/**
 * What happens on each new socket. The event table is built once per node and shared by
 * every socket: a connection costs one `onAny` listener, not a closure per event.
 */
import type { Server, Socket } from "socket.io";
import type { z } from "zod";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { closeReasonLabel, type Metrics } from "../metrics.js";
import { handle, type EventHandler, type Handler, type InFlight } from "./handle.js";
import { EventRateLimiter } from "./connection-limits.js";
import { PROTOCOL_VERSION } from "./io.js";
import { state } from "./socket-state.js";

/** Registers a validated handler for one client event; each goes through `handle`. */
export type Registrar = <S extends z.ZodType>(event: string, schema: S, fn: Handler<S>) => void;

export interface ConnectionOptions {
  config: Pick<Config, "nodeId" | "eventRateLimit">;
  log: Logger;
  metrics: Metrics;
  inflight: InFlight;
  /** Registers every client event, once per node (chat/register.ts through node.ts). */
  register(on: Registrar): void;
  /** A socket finished its handshake. */
  connected(socket: Socket): void;
  /** A socket went; counted as in flight, so shutdown waits for what it returns. */
  disconnected(socket: Socket): Promise<void>;
}

export function buildEventTable(o: Pick<ConnectionOptions, "metrics" | "inflight" | "register">): Map<string, EventHandler> {
  const table = new Map<string, EventHandler>();
  o.register((event, schema, fn) => table.set(event, handle(o, o.inflight, event, schema, fn)));
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
    if (h) h(this, args);
    else metrics.unknownEvents.inc();
  }

  /** Over the connection's event rate: ack `rate_limited`; a flood at twice the rate closes it. */
  function refuseEvent(socket: Socket, event: string | undefined, args: unknown[], retryAfterMs: number, abusive: boolean): void {
    if (event) metrics.events.inc({ event, outcome: "rate_limited" });
    else metrics.unknownEvents.inc();
    const ack = args[args.length - 1];
    if (typeof ack === "function") {
      try {
        ack({ ok: false, error: { code: "rate_limited", message: "too many events on this connection", retryAfterMs } });
      } catch {
        // the client went away
      }
    }
    if (abusive && socket.connected) {
      state(socket).log.warn({ retryAfterMs }, "event flood: disconnecting");
      socket.disconnect(true);
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
