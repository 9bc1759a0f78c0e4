/**
 * Changes to a room's messages: edits, deletes and reactions (shown at once, settled by the
 * server's answer); a refused change leaves its error on the message. The Room holds one.
 */
import type { Message } from "../../../src/shared/wire.js";
import type { ClientError } from "./format.js";
import { actionErrorText, reactionToggle, withReaction, type MessageAction } from "./rich.js";
import type { Room, RoomHost } from "./room.js";

export class MessageChanges {
  constructor(
    private readonly r: Room,
    private readonly host: RoomHost,
  ) {}

  private actionFailed(seq: number, action: MessageAction, error: ClientError) {
    this.r.messageErrors.set(seq, actionErrorText(action, error));
    if (error.code === "not_joined") this.r.lostTrack();
    this.host.changed();
  }

  /** Edits this user's message. Resolves to true when the server took it. */
  async edit(seq: number, body: string): Promise<boolean> {
    const text = body.trim();
    if (text === "") return false;
    this.r.messageErrors.delete(seq);
    const current = this.r.log.get(seq);
    if (current && current.body === text) return true;
    const ack = await this.host.call<{ message: Message }>("message:edit", { room: this.r.room, seq, body: text });
    if (!ack.ok) {
      this.actionFailed(seq, "edit", ack.error);
      return false;
    }
    this.r.log.applyChange(ack.message);
    this.host.updated(ack.message);
    this.host.changed();
    return true;
  }

  /** Deletes this user's message (the others see a tombstone). */
  async remove(seq: number): Promise<boolean> {
    this.r.messageErrors.delete(seq);
    const ack = await this.host.call("message:delete", { room: this.r.room, seq });
    if (!ack.ok) {
      this.actionFailed(seq, "delete", ack.error);
      return false;
    }
    this.host.changed();
    return true;
  }

  /** Toggles this user's `emoji` on a message: shown at once, settled by the server's answer. */
  async react(seq: number, emoji: string): Promise<void> {
    const m = this.r.log.get(seq);
    if (!m || m.deleted) return;
    this.r.messageErrors.delete(seq);
    const me = this.host.me;
    const on = reactionToggle(m, emoji, me);
    const old = this.r.log.applyOptimistic(withReaction(m, emoji, me, on));
    this.host.changed();
    const ack = await this.host.call<{ message: Message }>("message:react", { room: this.r.room, seq, emoji, on });
    if (!ack.ok) {
      if (old) this.r.log.revert(old);
      this.actionFailed(seq, "react", ack.error);
      return;
    }
    this.r.log.applyChange(ack.message);
    this.host.changed();
  }
}
