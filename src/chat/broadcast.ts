/**
 * Socket.IO room naming and dialect-aware emits.
 *
 * A chat room R maps to two Socket.IO rooms: `r:R` holds v1 sockets and `l:R` legacy
 * (Flask template) sockets, so every event reaches each socket in its own dialect through
 * the same adapter, on every node. (A user's own connections are reached through
 * chat/users.ts, without a room per user.)
 */
import type { Server } from "socket.io";
import type { Message } from "../shared/protocol.js";
import type { Dialect } from "./context.js";
import { legacyText } from "./legacy-text.js";

export const v1Room = (room: string) => `r:${room}`;
export const legacyRoom = (room: string) => `l:${room}`;

/**
 * Both dialect rooms, optionally without one socket (the sender of a "to the others" event).
 * `legacy` false (jwt mode, where the template's events do not exist and no socket is in a
 * legacy room on any node) skips the legacy room: each broadcast is a Redis publish.
 */
function targets(io: Server, room: string, legacy: boolean, except?: string) {
  const v1 = except ? io.to(v1Room(room)).except(except) : io.to(v1Room(room));
  if (!legacy) return { v1 };
  return { v1, legacy: except ? io.to(legacyRoom(room)).except(except) : io.to(legacyRoom(room)) };
}

/** The dialect a new-message event is written in (what a delivery counts); undefined for other events. */
export function messageEventDialect(event: string): Dialect | undefined {
  if (event === "message:new") return "v1";
  if (event === "recieve_message") return "legacy";
  return undefined;
}

export function emitMessage(io: Server, m: Message, legacy: boolean, escapeHtml: boolean): void {
  const t = targets(io, m.room, legacy);
  t.v1.emit("message:new", m);
  if (!t.legacy) return;
  const text = legacyText(escapeHtml);
  t.legacy.emit("recieve_message", { username: text(m.user), room: m.room, message: text(m.body) });
}

export function emitPresenceJoin(io: Server, room: string, user: string, legacy: boolean, escapeHtml: boolean, except?: string): void {
  const t = targets(io, room, legacy, except);
  t.v1.emit("presence:join", { room, user });
  t.legacy?.emit("join_room_announcement", { username: legacyText(escapeHtml)(user), room });
}

/** The template had no leave event: only v1 sockets hear of it. */
export function emitPresenceLeave(io: Server, room: string, user: string): void {
  io.to(v1Room(room)).emit("presence:leave", { room, user });
}

/** Template clients get the text they show (`typing_on`); v1 clients get the boolean. */
export function emitTyping(io: Server, room: string, user: string, typing: boolean, legacy: boolean, escapeHtml: boolean, except: string): void {
  const t = targets(io, room, legacy, except);
  t.v1.emit("typing", { room, user, typing });
  t.legacy?.emit("typing_on", typingText(user, typing, escapeHtml));
}

/** What the template shows while someone types: always written here, never a client's text. */
export function typingText(user: string, typing: boolean, escapeHtml: boolean): string {
  return typing ? `${legacyText(escapeHtml)(user)} is typing...` : "";
}
