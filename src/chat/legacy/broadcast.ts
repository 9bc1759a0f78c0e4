/**
 * From v1 announcements to the template's events. A legacy socket listens on `l:R` instead
 * of `r:R`, so each socket hears every event once, in its own dialect, through the same
 * adapter on every node. Each dialect's room is a Redis publish in a cluster: the message
 * goes to `l:R` only where the store says a template socket may be (rooms.legacy_until, read
 * by the message's write batch after its room lock: store/legacy-rooms.ts).
 */
import type { Server } from "socket.io";
import { legacyRoomsRead } from "../../store/legacy-rooms.js";
import type { AfterLockRead, AppendResult } from "../../store/writer.js";
import type { RoomEvents } from "../broadcast.js";
import { legacyBody, legacyText } from "./text.js";

export const legacyRoom = (room: string) => `l:${room}`;
/** The event that carries a new message to template sockets (the template's spelling). */
export const LEGACY_MESSAGE_EVENT = "recieve_message";

/** The template shows this while someone types; always the server's words, never a client's. */
export function typingText(user: string, typing: boolean, text: (s: string) => string): string {
  return typing ? `${text(user)} is typing...` : "";
}

/** The dialect's two hooks on one node: node.ts gives `afterLock` to the writer and wraps v1's `RoomEvents` with `events`. */
export interface LegacyDialect {
  afterLock: AfterLockRead;
  events(v1: RoomEvents): RoomEvents;
}

export function legacyDialect(io: Server, escapeHtml: boolean): LegacyDialect {
  // The appends whose room was marked when their batch read the mark, after its room lock:
  // either a template client's join marked it before, or the append is in its history read.
  const marked = new WeakSet<AppendResult>();
  return {
    afterLock: legacyRoomsRead((result, returned) => {
      if (returned) marked.add(result);
    }),
    events: (v1) => withLegacyEvents(io, v1, escapeHtml, (appended) => marked.has(appended)),
  };
}

/** `v1` plus the same announcements in the template's dialect, escaped for its innerHTML when `escapeHtml`. */
function withLegacyEvents(io: Server, v1: RoomEvents, escapeHtml: boolean, marked: (a: AppendResult) => boolean): RoomEvents {
  const text = legacyText(escapeHtml);
  return {
    message(appended) {
      v1.message(appended);
      if (!marked(appended)) return;
      const m = appended.message;
      io.to(legacyRoom(m.room)).emit(LEGACY_MESSAGE_EVENT, { username: text(m.user), room: m.room, message: text(legacyBody(m)) });
    },
    presenceJoin(room, user, except) {
      v1.presenceJoin(room, user, except);
      io.to(legacyRoom(room)).except(except).emit("join_room_announcement", { username: text(user), room });
    },
    // The template had no leave event.
    presenceLeave: (room, user) => v1.presenceLeave(room, user),
    typing(room, user, typing, except) {
      v1.typing(room, user, typing, except);
      io.to(legacyRoom(room)).except(except).emit("typing_on", typingText(user, typing, text));
    },
  };
}
