/**
 * Entering and leaving a room on one socket: Socket.IO rooms, the presence registry and the
 * presence announcements, shared by the v1 and legacy events and by disconnects.
 */
import type { Socket } from "socket.io";
import { emitPresenceJoin, emitPresenceLeave, legacyRoom, v1Room } from "./broadcast.js";
import { legacyDialect, state, type ChatContext, type Dialect } from "./context.js";

/** Subscribes the socket to live events first, so nothing committed after the history read is missed. */
export async function subscribe(socket: Socket, room: string, dialect: Dialect): Promise<void> {
  await socket.join(dialect === "v1" ? v1Room(room) : legacyRoom(room));
}

/** Undoes `subscribe` when the join failed before the socket became a member. */
export async function unsubscribe(socket: Socket, room: string, dialect: Dialect): Promise<void> {
  if (state(socket).rooms.get(room) === dialect) return;
  await socket.leave(dialect === "v1" ? v1Room(room) : legacyRoom(room));
}

/** Marks the socket joined and announces the user when this is their first connection in the room. */
export async function enterRoom(ctx: ChatContext, socket: Socket, room: string, user: string, dialect: Dialect): Promise<void> {
  const s = state(socket);
  const already = s.rooms.has(room);
  s.rooms.set(room, dialect);
  if (already) return;
  const first = await ctx.presence.add(room, user, socket.id);
  if (!socket.connected) {
    // Disconnected while joining: the disconnect cleanup has already run without this room.
    await leaveRoom(ctx, socket, room, user);
    return;
  }
  ctx.metrics.joins.inc({ dialect });
  ctx.metrics.presenceUsers.set(ctx.presence.localSize());
  if (first) emitPresenceJoin(ctx.io, room, user, legacyDialect(ctx), ctx.config.legacy.escapeHtml, socket.id);
}

export async function leaveRoom(ctx: ChatContext, socket: Socket, room: string, user: string): Promise<void> {
  const s = state(socket);
  // Whoever removes the room from the socket releases its presence, exactly once, even when
  // room:leave and the disconnect cleanup race.
  if (!s.rooms.delete(room)) return;
  await socket.leave(v1Room(room));
  await socket.leave(legacyRoom(room));
  const last = await ctx.presence.remove(room, user, socket.id);
  ctx.metrics.presenceUsers.set(ctx.presence.localSize());
  if (last) {
    emitPresenceLeave(ctx.io, room, user);
    ctx.presence.announced(room, user);
  }
}

/** On disconnect: leave every room, announcing the user's last connection. Never throws. */
export async function leaveAll(ctx: ChatContext, socket: Socket): Promise<void> {
  const s = state(socket);
  const user = s.user;
  if (!user) return;
  for (const room of [...s.rooms.keys()]) {
    try {
      await leaveRoom(ctx, socket, room, user);
    } catch (err) {
      s.log.warn({ err, room }, "presence cleanup failed");
    }
  }
}
