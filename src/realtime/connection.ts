/**
 * What happens on each new socket. The event table is built once per node and shared by
 * every socket: a connection costs one `onAny` listener, not a closure per event.
 */
import type { Server, Socket } from "socket.io";
import { state, type ChatContext } from "../chat/context.js";
import type { UserSockets } from "../chat/users.js";
import { registerDms } from "../chat/dms.js";
import { registerLegacy } from "../chat/legacy.js";
import { leaveAll } from "../chat/membership.js";
import { registerMessages } from "../chat/messages.js";
import type { On } from "../chat/on.js";
import { registerReads } from "../chat/reads.js";
import { registerRich } from "../chat/rich.js";
import { registerRooms } from "../chat/rooms.js";
import { registerTyping } from "../chat/typing.js";
import { handle, type EventHandler, type InFlight } from "./handle.js";
import { EventRateLimiter } from "./limits.js";
import { PROTOCOL_VERSION } from "./io.js";

export function buildEventTable(ctx: ChatContext, inflight: InFlight): Map<string, EventHandler> {
  const table = new Map<string, EventHandler>();
  const on: On = (event, schema, fn) => table.set(event, handle(ctx, inflight, event, schema, fn));
  registerRooms(ctx, on);
  registerMessages(ctx, on);
  registerTyping(ctx, on);
  registerReads(ctx, on);
  registerDms(ctx, on);
  registerRich(ctx, on);
  // The template's events exist only in open mode: in jwt mode they are unknown events.
  if (ctx.config.auth.mode === "open") registerLegacy(ctx, on);
  return table;
}

export function wireConnections(io: Server, ctx: ChatContext, inflight: InFlight, users: UserSockets): void {
  const table = buildEventTable(ctx, inflight);
  const debug = ctx.log.isLevelEnabled("debug");

  const limiter = new EventRateLimiter(ctx.config.eventRateLimit.events, ctx.config.eventRateLimit.windowMs);

  function dispatch(this: Socket, event: string, ...args: unknown[]): void {
    const h = table.get(event);
    const verdict = limiter.take(state(this));
    if (!verdict.ok) {
      refuseEvent(this, h ? event : undefined, args, verdict.retryAfterMs, verdict.abusive);
      return;
    }
    if (h) h(this, args);
    else ctx.metrics.unknownEvents.inc();
  }

  /** Over the connection's event rate: ack `rate_limited`; a flood at twice the rate closes it. */
  function refuseEvent(socket: Socket, event: string | undefined, args: unknown[], retryAfterMs: number, abusive: boolean): void {
    if (event) ctx.metrics.events.inc({ event, outcome: "rate_limited" });
    else ctx.metrics.unknownEvents.inc();
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
    ctx.metrics.connectedSockets.dec();
    const user = state(this).user;
    if (user) users.remove(user, this);
    if (debug) state(this).log.debug({ reason }, "disconnected");
    // Counted as in flight: shutdown waits for the presence:leave announcements.
    inflight.enter();
    void leaveAll(ctx, this).finally(() => inflight.leave());
  }

  io.on("connection", function onConnection(socket: Socket) {
    const s = state(socket);
    socket.onAny(dispatch);
    socket.on("disconnect", onDisconnect);
    ctx.metrics.connectedSockets.inc();
    if (s.user) users.add(s.user, socket);
    socket.emit("server:hello", { node: ctx.config.nodeId, version: PROTOCOL_VERSION });
    if (debug) s.log.debug("connected");
  });
}
