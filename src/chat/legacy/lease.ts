/**
 * The mark that makes other nodes publish messages for the template's sockets: a legacy
 * join sets `rooms.legacy_until` (store/legacy-rooms.ts) and each write batch reads it after
 * its room locks (broadcast.ts, legacyDialect).
 */
import { markLegacyRoom } from "../../store/legacy-rooms.js";
import type { ChatContext } from "../context.js";
import { legacyRoom } from "./broadcast.js";

/** How long a legacy join's mark lasts; nodes holding legacy sockets renew it far sooner. */
export const LEGACY_LEASE_MS = 60 * 60 * 1000;
const RENEW_EVERY_MS = 10 * 60 * 1000;

type LeaseContext = Pick<ChatContext, "io" | "db" | "log">;

/**
 * Renews the mark of every room in which this node holds legacy sockets, so that a template
 * client connected for hours keeps receiving messages. A mark that outlives its sockets
 * costs only a publish nobody receives until it lapses. Returns the stop function.
 */
export function renewLegacyMarks(ctx: LeaseContext): () => void {
  const timer = setInterval(() => void renewNow(ctx), RENEW_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

export async function renewNow(ctx: LeaseContext): Promise<void> {
  const prefix = legacyRoom("");
  const rooms: string[] = [];
  for (const name of ctx.io.of("/").adapter.rooms.keys()) if (name.startsWith(prefix)) rooms.push(name.slice(prefix.length));
  try {
    for (const room of rooms) await markLegacyRoom(ctx.db, room, LEGACY_LEASE_MS);
  } catch (err) {
    ctx.log.warn({ err, rooms: rooms.length }, "could not renew the legacy rooms' marks; retrying at the next interval");
  }
}
