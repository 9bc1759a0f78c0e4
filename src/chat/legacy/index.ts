/**
 * The Flask template's dialect, in one place: an adapter from its events to v1 calls
 * (events.ts) and from v1 announcements to its events (broadcast.ts), told by each write
 * batch which rooms may hold its sockets (store/legacy-rooms.ts). node.ts wires it only
 * when it is on; otherwise none of it runs, and the v1 path never refers to it.
 *
 * On in open mode unless LEGACY_EVENTS=false; the template has no tokens, so never in jwt mode.
 */
import type { Config } from "../../config.js";

export { LEGACY_MESSAGE_EVENT, legacyDialect } from "./broadcast.js";
export { registerLegacyEvents } from "./events.js";
export { renewLegacyMarks } from "./lease.js";

export function legacyEnabled(config: Config): boolean {
  return config.auth.mode === "open" && config.legacy.events;
}
