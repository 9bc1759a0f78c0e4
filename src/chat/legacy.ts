/**
 * The Flask template's events (open mode only): `joined_room`, `send_message`,
 * `typing_status`. They share the v1 write path and presence; only the dialect differs.
 */
import { z } from "zod";
import { legacyRoomSchema, legacySendSchema, legacyTypingSchema, usernameSchema } from "../shared/protocol.js";
import { legacyRows, readPage } from "../store/history.js";
import { joinRoom, markLegacyRoom } from "../store/rooms.js";
import { legacyRoom, typingText, v1Room } from "./broadcast.js";
import { requireJoined, requireUser, state, type ChatContext } from "./context.js";
import { ChatError } from "./errors.js";
import { legacyText } from "./legacy-text.js";
import { enterRoom, subscribe, unsubscribe } from "./membership.js";
import { storeAndBroadcast } from "./messages.js";
import type { On } from "./on.js";

/** How long a legacy join's mark lasts; nodes holding legacy sockets renew it far sooner. */
const LEGACY_LEASE_MS = 60 * 60 * 1000;
const RENEW_EVERY_MS = 10 * 60 * 1000;

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

type LeaseContext = Pick<ChatContext, "io" | "db" | "log">;

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

/** The name on the server's own notices: outside the username pattern, so nobody can take it. */
export const SERVER_NAME = "(server)";

/** The username is checked in the handler, so that a refused one can be explained on the page. */
const joinSchema = z.object({ username: z.unknown(), room: legacyRoomSchema });

export function registerLegacy(ctx: ChatContext, on: On): void {
  const text = legacyText(ctx.config.legacy.escapeHtml);

  on("joined_room", joinSchema, async function onJoinedRoom(payload, socket) {
    const { room } = payload;
    const named = usernameSchema.safeParse(payload.username);
    if (!named.success) {
      // The template listens to no error event and shows only messages: the refusal is one,
      // to this socket alone.
      const given = typeof payload.username === "string" ? payload.username.slice(0, 64) : typeof payload.username;
      state(socket).log.info({ username: given, room }, "legacy join refused: username outside the pattern");
      const message = `You cannot join ${room} as "${given}": a username is 1 to 32 letters, digits, dots, dashes or underscores, with no spaces.`;
      socket.emit("recieve_message", { username: SERVER_NAME, room, message: text(message) });
      throw new ChatError("invalid_payload", "username must match ^[A-Za-z0-9_.-]{1,32}$");
    }
    const username = named.data;
    const s = state(socket);
    // The handshake's user, or the first name this socket gave, stays its user.
    s.user ??= username;
    const user = s.user;
    await subscribe(socket, room, "legacy");
    let rows: [number, string, string][];
    try {
      await joinRoom(ctx.db, room, user);
      // Before the history read: a message committed after this mark is published for the
      // template's dialect, and one committed before it is in the history.
      await markLegacyRoom(ctx.db, room, LEGACY_LEASE_MS);
      rows = legacyRows((await readPage(ctx.reads, room, ctx.config.historyLimit)).messages).map(([seq, u, body]) => [seq, text(u), text(body)]);
    } catch (err) {
      await unsubscribe(socket, room, "legacy");
      throw err;
    }
    socket.emit("rejoin_room", rows);
    await enterRoom(ctx, socket, room, user, "legacy");
    return {};
  });

  on("send_message", legacySendSchema(ctx.config.maxMessageChars), async function onSendMessage({ room, message }, socket) {
    // The connection's user is the author, whatever `username` says.
    const user = requireUser(socket);
    requireJoined(socket, room);
    return { message: await storeAndBroadcast(ctx, room, user, message) };
  });

  on("typing_status", legacyTypingSchema, async function onTypingStatus(status, socket) {
    const user = requireUser(socket);
    const rooms = [...state(socket).rooms.keys()];
    if (rooms.length === 0) return {};
    const typing = status.length > 0;
    // One emit to all the legacy rooms at once: a socket sharing two rooms hears it once.
    // The text is the server's own, as for v1 users: the client's string only says whether.
    ctx.io.to(rooms.map(legacyRoom)).except(socket.id).emit("typing_on", typingText(user, typing, ctx.config.legacy.escapeHtml));
    for (const room of rooms) {
      ctx.io.to(v1Room(room)).except(socket.id).emit("typing", { room, user, typing });
    }
    return {};
  });
}
