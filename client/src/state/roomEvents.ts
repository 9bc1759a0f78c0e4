/**
 * What the server tells a connected client about its rooms (new and changed messages,
 * presence, typing, read markers, mentions, DM invitations, resyncs), applied to the
 * client's room state. ChatClient wires these once; the connection's own events
 * (connect, disconnect, refusals) stay in chat.ts.
 */
import type { Socket } from "socket.io-client";
import { isRoomName, type ClientToServerEvents, type Message, type ServerToClientEvents } from "../../../src/shared/wire.js";
import type { RoomState } from "./roomState.js";
import { TYPING_SHOW_MS } from "./typing.js";

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the handlers may read and do of the client that owns them. */
export interface RoomEventsHost {
  readonly me: string;
  readonly rooms: Map<string, RoomState>;
  now(): number;
  changed(): void;
  /** Joins a room again: its log has a gap, or the server asked. */
  rejoin(room: string): void;
  /** The room's state, created if it is new (a DM invitation). */
  ensureRoom(room: string): RoomState;
  later(ms: number, fn: () => void): void;
  /** The newest message from someone else (the screen reader's live region). */
  incoming(m: Message): void;
  mention(room: string, seq: number, from: string): void;
  /** A message changed: wherever else it is shown (search results) shows it as it is now. */
  updated(m: Message): void;
}

export function wireRoomEvents(s: ChatSocket, host: RoomEventsHost): void {
  s.on("message:new", (m) => {
    const st = host.rooms.get(m.room);
    if (!st) return;
    const gap = st.log.applyNew(m);
    if (m.user !== host.me) {
      st.typing.clear(m.user);
      host.incoming(m);
    }
    if (gap && st.joined) host.rejoin(m.room);
    host.changed();
  });
  s.on("message:updated", (u) => {
    const st = host.rooms.get(u.room);
    if (!st) return;
    if (st.log.applyUpdated(u) && st.joined) host.rejoin(u.room);
    if (u.message.deleted) st.messageErrors.delete(u.seq);
    host.updated(u.message);
    host.changed();
  });
  s.on("mention", ({ room, seq, from }) => {
    if (!isRoomName(room) || from === host.me) return;
    host.mention(room, seq, from);
    host.changed();
  });
  s.on("presence:join", ({ room, user }) => {
    const st = host.rooms.get(room);
    if (!st) return;
    if (!st.members.has(user)) {
      st.members.add(user);
      if (user !== host.me) st.log.addNotice("online", user, new Date(host.now()));
    }
    host.changed();
  });
  s.on("presence:leave", ({ room, user }) => {
    const st = host.rooms.get(room);
    if (!st) return;
    st.typing.clear(user);
    if (st.members.delete(user) && user !== host.me) st.log.addNotice("offline", user, new Date(host.now()));
    host.changed();
  });
  s.on("typing", ({ room, user, typing }) => {
    const st = host.rooms.get(room);
    if (!st || user === host.me) return;
    if (st.typing.apply(user, typing, host.now())) host.changed();
    if (typing) host.later(TYPING_SHOW_MS + 20, () => host.changed());
  });
  s.on("message:read", ({ room, user, seq }) => {
    const st = host.rooms.get(room);
    if (!st) return;
    st.log.applyRead(user, seq);
    host.changed();
  });
  s.on("dm:invited", ({ room, from }) => {
    if (!isRoomName(room)) return;
    const st = host.ensureRoom(room);
    st.invitedBy = from;
    host.rejoin(room);
    host.changed();
  });
  s.on("rooms:resync", ({ rooms }) => {
    for (const room of rooms) if (host.rooms.has(room)) host.rejoin(room);
  });
}
