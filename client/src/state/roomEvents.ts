/**
 * What the server tells a connected client about its rooms (new and changed messages,
 * presence, typing, read markers, mentions, DM invitations, resyncs), routed to the room
 * it concerns. The rooms apply it (room.ts); ChatClient wires these once and keeps the
 * connection's own events (connect, disconnect, refusals) in chat.ts.
 */
import type { Socket } from "socket.io-client";
import { isRoomName, type ClientToServerEvents, type Message, type ServerToClientEvents } from "../../../src/shared/wire.js";
import type { Room } from "./room.js";
import { TYPING_SHOW_MS } from "./typing.js";

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the handlers may read and do of the client that owns them. */
export interface RoomEventsHost {
  readonly me: string;
  readonly rooms: Map<string, Room>;
  now(): number;
  changed(): void;
  /** The room, created if it is new (a DM invitation). */
  ensureRoom(room: string): Room;
  later(ms: number, fn: () => void): void;
  /** The newest message from someone else (the screen reader's live region). */
  incoming(m: Message): void;
  mention(room: string, seq: number, from: string): void;
}

export function wireRoomEvents(s: ChatSocket, host: RoomEventsHost): void {
  s.on("message:new", (m) => {
    const r = host.rooms.get(m.room);
    if (!r) return;
    if (r.onNew(m)) host.incoming(m);
    host.changed();
  });
  s.on("message:updated", (u) => {
    const r = host.rooms.get(u.room);
    if (!r) return;
    r.onUpdated(u);
    host.changed();
  });
  s.on("mention", ({ room, seq, from }) => {
    if (!isRoomName(room) || from === host.me) return;
    host.mention(room, seq, from);
    host.changed();
  });
  s.on("presence:join", ({ room, user }) => {
    const r = host.rooms.get(room);
    if (!r) return;
    r.onPresence(user, true);
    host.changed();
  });
  s.on("presence:leave", ({ room, user }) => {
    const r = host.rooms.get(room);
    if (!r) return;
    r.onPresence(user, false);
    host.changed();
  });
  s.on("typing", ({ room, user, typing }) => {
    const r = host.rooms.get(room);
    if (!r || user === host.me) return;
    if (r.typing.apply(user, typing, host.now())) host.changed();
    if (typing) host.later(TYPING_SHOW_MS + 20, () => host.changed());
  });
  s.on("message:read", ({ room, user, seq }) => {
    const r = host.rooms.get(room);
    if (!r) return;
    r.log.applyRead(user, seq);
    host.changed();
  });
  s.on("dm:invited", ({ room, from }) => {
    if (!isRoomName(room)) return;
    const r = host.ensureRoom(room);
    r.invitedBy = from;
    void r.join();
    host.changed();
  });
  s.on("rooms:resync", ({ rooms }) => {
    for (const room of rooms) void host.rooms.get(room)?.join();
  });
}
