/**
 * What chat announces to a room, and how a room is named in Socket.IO.
 *
 * A chat room R is the Socket.IO room `r:R`: every event reaches every node through the
 * adapter. (A user's own connections are reached through chat/users.ts, without a room per
 * user.) Handlers announce through `RoomEvents`, so that node.ts can wrap it with another
 * dialect (chat/legacy/) without the handlers knowing.
 */
import type { Server } from "socket.io";
import type { Message } from "../shared/protocol.js";
import type { AppendResult } from "../store/writer.js";

export const v1Room = (room: string) => `r:${room}`;
/** The event that carries a new message to v1 sockets (metrics count its deliveries). */
export const MESSAGE_EVENT = "message:new";

/** The announcements a room's listeners hear; `except` is the socket that caused them. */
export interface RoomEvents {
  /** A newly stored message, with what the store said of it. */
  message(appended: AppendResult): void;
  presenceJoin(room: string, user: string, except: string): void;
  presenceLeave(room: string, user: string): void;
  typing(room: string, user: string, typing: boolean, except: string): void;
}

export function emitMessage(io: Server, m: Message): void {
  io.to(v1Room(m.room)).emit(MESSAGE_EVENT, m);
}

export function emitPresenceLeave(io: Server, room: string, user: string): void {
  io.to(v1Room(room)).emit("presence:leave", { room, user });
}

export function emitTyping(io: Server, room: string, user: string, typing: boolean, except: string): void {
  io.to(v1Room(room)).except(except).emit("typing", { room, user, typing });
}

export function v1RoomEvents(io: Server): RoomEvents {
  return {
    message: ({ message }) => emitMessage(io, message),
    presenceJoin: (room, user, except) => io.to(v1Room(room)).except(except).emit("presence:join", { room, user }),
    presenceLeave: (room, user) => emitPresenceLeave(io, room, user),
    typing: (room, user, typing, except) => emitTyping(io, room, user, typing, except),
  };
}
