/**
 * Entering and leaving a room on one socket: Socket.IO rooms, the presence registry and the
 * presence announcements, shared by every join and by disconnects. A socket hears a chat
 * room on one Socket.IO room, its `channel` (`r:R` unless a dialect says otherwise).
 */
import type { Socket } from "socket.io";
import { v1Room } from "./broadcast.js";
import type { Dialect } from "../metrics.js";
import { state, type ChatContext } from "./context.js";
import { ChatError } from "./errors.js";

/**
 * Subscribes the socket to live events first, so nothing committed after the history read is
 * missed. A room the socket is not in yet is refused over MAX_ROOMS_PER_CONNECTION: each one
 * costs adapter state (and a Redis subscription with the sharded adapter) for the socket's life.
 */
export async function subscribe(ctx: ChatContext, socket: Socket, room: string, channel: string): Promise<void> {
  const max = ctx.config.maxRoomsPerConnection;
  // socket.rooms holds the socket's own id and the joins still in progress: concurrent joins
  // are counted at once and cannot pass the cap together.
  if (max > 0 && !socket.rooms.has(channel) && !state(socket).rooms.has(room) && socket.rooms.size - 1 >= max) {
    throw new ChatError("limit_exceeded", `this connection is in ${max} rooms, the most it may be in: leave one first`);
  }
  await socket.join(channel);
}

/** Undoes `subscribe` when the join failed before the socket became a member. */
export async function unsubscribe(socket: Socket, room: string, channel: string): Promise<void> {
  if (state(socket).rooms.get(room) === channel) return;
  await socket.leave(channel);
}

/**
 * Marks the socket joined and announces the user when this is their first connection in the
 * room. `dialect` only labels the join in metrics.
 */
export async function enterRoom(
  ctx: ChatContext,
  socket: Socket,
  room: string,
  user: string,
  channel = v1Room(room),
  dialect: Dialect = "v1",
): Promise<void> {
  const s = state(socket);
  const before = s.rooms.get(room);
  s.rooms.set(room, channel);
  // Joined again on another channel (another dialect): hear the room once, on the new one.
  if (before !== undefined && before !== channel) await socket.leave(before);
  if (before !== undefined) return;
  const first = await ctx.presence.add(room, user, socket.id);
  if (!socket.connected) {
    // Disconnected while joining: the disconnect cleanup has already run without this room.
    await leaveRoom(ctx, socket, room, user);
    return;
  }
  ctx.metrics.joins.inc({ dialect });
  ctx.metrics.presenceUsers.set(ctx.presence.localSize());
  if (first) ctx.broadcast.presenceJoin(room, user, socket.id);
}

export async function leaveRoom(ctx: ChatContext, socket: Socket, room: string, user: string): Promise<void> {
  const s = state(socket);
  const channel = s.rooms.get(room);
  // Whoever removes the room from the socket releases its presence, exactly once, even when
  // room:leave and the disconnect cleanup race.
  if (channel === undefined || !s.rooms.delete(room)) return;
  await socket.leave(channel);
  const last = await ctx.presence.remove(room, user, socket.id);
  ctx.metrics.presenceUsers.set(ctx.presence.localSize());
  if (last) {
    ctx.broadcast.presenceLeave(room, user);
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
