/** One room as the controller keeps it: its log, who is online and typing, and its requests' state. */
import type { ClientError } from "./format.js";
import { RoomLog } from "./roomLog.js";
import { TypingEmitter, TypingTracker } from "./typing.js";

export interface RoomState {
  room: string;
  log: RoomLog;
  /** Online members, from `room:join` and presence events. */
  members: Set<string>;
  typing: TypingTracker;
  emitter: TypingEmitter;
  /** Joined on the current connection. */
  joined: boolean;
  joining: boolean;
  /** Another join was asked for while one was running (a gap, a resync). */
  rejoinWanted: boolean;
  loadingOlder: boolean;
  /** A `message:send` is in flight (sends go one at a time, in order). */
  sending: boolean;
  /** The newest send/join error, shown next to the composer. */
  error?: ClientError;
  /** `dm:invited`: who opened this DM with us. */
  invitedBy?: string;
  /** Position in the last `rooms:list` (newest activity first). */
  listRank: number;
  /** The newest edit/delete/react error per message seq, in plain words, shown on it. */
  messageErrors: Map<number, string>;
}

/** A room not joined yet; `sendTyping` carries this person's typing state to the server. */
export function newRoomState(room: string, me: string, sendTyping: (typing: boolean) => void): RoomState {
  return {
    room,
    log: new RoomLog(room, me),
    members: new Set(),
    typing: new TypingTracker(),
    emitter: new TypingEmitter(sendTyping),
    joined: false,
    joining: false,
    rejoinWanted: false,
    loadingOlder: false,
    sending: false,
    listRank: Number.POSITIVE_INFINITY,
    messageErrors: new Map(),
  };
}
