/**
 * Chat's answers to what the cluster link reports (cluster/link.ts knows no chat: node.ts
 * wires these to its callbacks).
 */
import type { Server } from "socket.io";
import { emitPresenceLeave, v1Room } from "./broadcast.js";
import { state } from "./context.js";

/** Users the presence registry found gone (a dead node's, or owed since an outage). */
export function announceGone(io: Server, gone: { room: string; user: string }[]): void {
  for (const { room, user } of gone) emitPresenceLeave(io, room, user);
}

/**
 * Redis is back: this node's sockets re-check every room they joined (`rooms:resync`), and
 * everyone re-checks the rooms written to here while cut off.
 */
export function resyncAfterOutage(io: Server, localOnlyRooms: Iterable<string>): void {
  for (const socket of io.of("/").sockets.values()) {
    const rooms = [...state(socket).rooms.keys()];
    if (rooms.length > 0) socket.emit("rooms:resync", { rooms });
  }
  for (const room of localOnlyRooms) io.to(v1Room(room)).emit("rooms:resync", { rooms: [room] });
}
