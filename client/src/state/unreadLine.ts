/**
 * The "New messages" line: where the person's read marker stood when they opened a room.
 * It stays put while the room is open (new messages arrive below it, older pages load above
 * it, a catch-up fills in around it) and goes when they open another room or send. The
 * marker moves on as soon as the newest message is on screen, so the line keeps its own
 * copy of where it was.
 */
import type { Message } from "../../../src/shared/wire.js";
import { timeline } from "./thread.js";

/** What the line reads of a room's log (RoomLog has all of it). */
export interface LineLog {
  readonly joinedOnce: boolean;
  readonly readSeq: number;
  readonly loadedFrom: number;
  messages(): readonly Message[];
}

/** Where the line goes: before a loaded message, or in history not loaded yet. */
export type LinePlace = { kind: "none" } | { kind: "at"; seq: number } | { kind: "older" };

const NONE: LinePlace = { kind: "none" };

/** The first message by someone else after `after` on the room's timeline (replies live in their threads). */
function firstUnread(log: LineLog, me: string, after: number): Message | undefined {
  return timeline(log.messages()).find((m) => m.seq > after && m.user !== me && !m.deleted);
}

export class UnreadLine {
  private room: string | undefined;
  /** The read marker the line follows; undefined: no line. */
  private after: number | undefined;
  /** The room's read marker has been taken (its first answer had come). */
  private settled = false;
  /** Set while away with no line, in case messages come meanwhile. */
  private tentative = false;

  constructor(private readonly me: string) {}

  /** The room on screen (undefined: none); another room starts afresh. */
  open(room: string | undefined): void {
    if (room === this.room) return;
    this.room = room;
    this.after = undefined;
    this.settled = false;
    this.tentative = false;
  }

  /**
   * Takes the room's read marker the first time it is known (the room's first join or the
   * rooms list has answered). Call it before anything can mark the room read. A room never
   * read (marker 0) shows no line: all of it is new, and it opens at the newest message.
   */
  observe(log: LineLog): void {
    if (this.settled || this.room === undefined || !log.joinedOnce) return;
    this.settled = true;
    const after = log.readSeq;
    if (after > 0 && (log.loadedFrom > after + 1 || firstUnread(log, this.me, after))) this.after = after;
  }

  /**
   * The person looked away (the tab hidden, the window left) with no line shown: messages
   * that come meanwhile will be below one at the read marker as it is now.
   */
  away(log: LineLog): void {
    if (!this.settled || this.after !== undefined) return;
    this.after = log.readSeq;
    this.tentative = true;
  }

  /** Back: a line set on leaving that nothing came below is dropped. */
  back(log: LineLog): void {
    if (!this.tentative) return;
    this.tentative = false;
    if (this.after !== undefined && log.loadedFrom <= this.after + 1 && !firstUnread(log, this.me, this.after)) this.after = undefined;
  }

  /** The person sent a message: they have seen what they answer. */
  sent(): void {
    this.after = undefined;
    this.tentative = false;
  }

  /** Where the line is now. */
  place(log: LineLog): LinePlace {
    const after = this.after;
    if (after === undefined || this.tentative) return NONE;
    if (log.loadedFrom > after + 1) return { kind: "older" };
    const m = firstUnread(log, this.me, after);
    return m ? { kind: "at", seq: m.seq } : NONE;
  }

  /** The seq to load history back to for the line to show (`place` is "older"). */
  loadTarget(): number | undefined {
    return this.after === undefined ? undefined : this.after + 1;
  }
}
