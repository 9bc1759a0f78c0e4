/**
 * The actions the views take on one room by name: each finds the room in the registry
 * (ChatClient's `rooms`) and hands the action to it; a room not there is a no-op.
 */
import type { UploadedFile } from "./attachments.js";
import { Changes } from "./changes.js";
import type { Room } from "./room.js";

export abstract class RoomActions extends Changes {
  abstract readonly rooms: Map<string, Room>;
  protected abstract readonly now: () => number;

  /** Sends a message (a reply with `threadOf`; with files already uploaded): shown at once as pending, sent when the room is joined. */
  send(room: string, body: string, threadOf?: number, files?: UploadedFile[]): string | undefined {
    return this.rooms.get(room)?.send(body, threadOf, files);
  }

  /** Sends a failed message again, with the same clientId (the server de-duplicates). */
  retry(room: string, clientId: string) {
    this.rooms.get(room)?.retry(clientId);
  }

  discard(room: string, clientId: string) {
    this.rooms.get(room)?.discard(clientId);
  }

  /** Loads the page of messages before the oldest loaded one. */
  async loadOlder(room: string) {
    await this.rooms.get(room)?.loadOlder();
  }

  /** Loads older pages until `seq` is loaded (a search result to jump to), at most `pages` of them. */
  async loadUntil(room: string, seq: number, pages = 10): Promise<boolean> {
    for (let i = 0; i < pages; i++) {
      const r = this.rooms.get(room);
      if (!r) return false;
      if (r.log.joinedOnce && r.log.loadedFrom <= seq) return true;
      if (!r.log.joinedOnce || r.loadingOlder) {
        await new Promise((res) => setTimeout(res, 100));
        continue;
      }
      if (r.log.olderCursor() === undefined) return false;
      await r.loadOlder();
    }
    return (this.rooms.get(room)?.log.loadedFrom ?? Infinity) <= seq;
  }

  /** The newest message of `room` is on screen and the window has focus. */
  markRead(room: string) {
    this.rooms.get(room)?.markRead();
  }

  /** A keystroke in the composer. */
  typingInput(room: string, hasText: boolean) {
    this.rooms.get(room)?.typingInput(hasText);
  }

  /** The composer lost focus or the room was switched away. */
  typingStop(room: string) {
    this.rooms.get(room)?.emitter.stop();
  }

  /** Edits this user's message. Resolves to true when the server took it. */
  async edit(room: string, seq: number, body: string): Promise<boolean> {
    return (await this.rooms.get(room)?.edit(seq, body)) ?? false;
  }

  /** Deletes this user's message (the others see a tombstone). */
  async remove(room: string, seq: number): Promise<boolean> {
    return (await this.rooms.get(room)?.remove(seq)) ?? false;
  }

  /** Toggles this user's `emoji` on a message: shown at once, settled by the server's answer. */
  async react(room: string, seq: number, emoji: string): Promise<void> {
    await this.rooms.get(room)?.react(seq, emoji);
  }

  clearMessageError(room: string, seq: number) {
    if (this.rooms.get(room)?.messageErrors.delete(seq)) this.changed();
  }

  clearError(room: string) {
    const r = this.rooms.get(room);
    if (r?.error) {
      r.error = undefined;
      this.changed();
    }
  }

  /** The people typing in `room` now. */
  typingUsers(room: string): string[] {
    return this.rooms.get(room)?.typing.users(this.now()) ?? [];
  }
}
