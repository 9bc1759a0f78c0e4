import { dmParticipants } from "../shared/protocol.js";
import { ChatError } from "./errors.js";

/** Public rooms are open to everyone; a DM room only to its two participants. */
export function mayAccess(user: string, room: string): boolean {
  const dm = dmParticipants(room);
  return !dm || dm[0] === user || dm[1] === user;
}

export function assertAccess(user: string, room: string): void {
  // Same answer whether or not the DM exists: others learn nothing about it.
  if (!mayAccess(user, room)) throw new ChatError("forbidden", "this direct-message room belongs to other users");
}
