/**
 * Which rooms this person is in, as the server sees it: the room list after a connect, opening
 * a room or a DM, closing and leaving. The rooms themselves sit in ChatClient's registry.
 */
import { isRoomName, type RoomSummary } from "../../../src/shared/wire.js";
import type { ClientError } from "./format.js";
import type { Room, RoomHost } from "./room.js";

export interface MembershipHost {
  rooms: Map<string, Room>;
  call: RoomHost["call"];
  /** The registry's room by that name, made if it is not there. */
  ensureRoom(room: string): Room;
  changed(): void;
  /** This person left `room` for good (the room browser counts one member less). */
  leftRoom(room: string): void;
}

export class Membership {
  /** Rooms left in this session: the page does not join them again from its address. */
  private readonly left = new Set<string>();

  constructor(private readonly h: MembershipHost) {}

  /** The server's list of this person's rooms, merged into the registry (after each connect). */
  async listRooms() {
    const ack = await this.h.call<{ rooms: RoomSummary[] }>("rooms:list", {});
    if (!ack.ok) return;
    ack.rooms.forEach((s, i) => {
      if (!isRoomName(s.room)) return;
      const known = this.h.rooms.has(s.room);
      const r = this.h.ensureRoom(s.room);
      r.listRank = i;
      // A room already loaded counts its own unread; the list's count is for the rest.
      if (!known || !r.log.joinedOnce) {
        r.log.setListUnread(s.unread, s.lastSeq, s.readSeq, s.mentions ?? 0);
        r.threads.setListUnread(s.unreadThreads ?? 0, s.lastSeq);
      }
      if (!r.joined && !r.joining) void r.join();
    });
    this.h.changed();
  }

  /** Joins a public room (creating it) or an existing DM by name. */
  async openRoom(room: string): Promise<ClientError | undefined> {
    if (!isRoomName(room)) return { code: "invalid_payload", message: "bad room name" };
    this.left.delete(room);
    const existed = this.h.rooms.has(room);
    const err = await this.h.ensureRoom(room).join(true);
    if (err && err.code !== "disconnected" && !existed) {
      this.h.rooms.delete(room);
      this.h.changed();
    }
    return err;
  }

  /** Opens the DM with `user` (`dm:open`, then `room:join`); resolves to its room or an error. */
  async openDm(user: string): Promise<{ room: string } | { error: ClientError }> {
    const ack = await this.h.call<{ room: string }>("dm:open", { user });
    if (!ack.ok) return { error: ack.error };
    const err = await this.openRoom(ack.room);
    return err && err.code !== "disconnected" ? { error: err } : { room: ack.room };
  }

  /** Stops showing a room for this session and leaves it on the server. */
  closeRoom(room: string) {
    const r = this.h.rooms.get(room);
    if (!r) return;
    r.close();
    this.h.rooms.delete(room);
    void this.h.call("room:leave", { room });
    this.h.changed();
  }

  /**
   * Leaves a room for good (`room:leave` ends a public room's membership, so it stays out of
   * the list after a reload). The room stays until the server took the leave; on an error it
   * stays, and the error is returned.
   */
  async leaveRoom(room: string): Promise<ClientError | undefined> {
    const ack = await this.h.call("room:leave", { room });
    if (!ack.ok) return ack.error;
    this.left.add(room);
    const r = this.h.rooms.get(room);
    if (r) {
      r.close();
      this.h.rooms.delete(room);
    }
    this.h.leftRoom(room);
    this.h.changed();
    return undefined;
  }

  /** The room was left elsewhere (`room:left`): gone from here too, and not joined again from the address. */
  forget(room: string) {
    if (!this.h.rooms.has(room)) return;
    this.left.add(room);
    this.closeRoom(room);
  }

  /** Whether this person left `room` in this session (and has not opened it since). */
  hasLeft(room: string): boolean {
    return this.left.has(room);
  }
}
