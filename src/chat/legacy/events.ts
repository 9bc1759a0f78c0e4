/**
 * The template's client events, as v1 calls: `joined_room` is a room join, `send_message`
 * the v1 write path, `typing_status` typing in every room of the socket.
 */
import { z } from "zod";
import { bodySchema, MAX_SEQ, PUBLIC_ROOM_PATTERN, usernameSchema, type Message } from "../../shared/protocol.js";
import { readPage } from "../../store/history.js";
import { markLegacyRoom } from "../../store/legacy-rooms.js";
import { joinRoom } from "../../store/rooms.js";
import { emitTyping } from "../broadcast.js";
import { requireJoined, requireUser, state, type ChatContext } from "../context.js";
import { ChatError } from "../errors.js";
import { enterRoom, subscribe, unsubscribe } from "../membership.js";
import { storeAndBroadcast } from "../messages.js";
import type { On } from "../on.js";
import { consumeNewRoom } from "../quota.js";
import { LEGACY_MESSAGE_EVENT, legacyRoom, typingText } from "./broadcast.js";
import { LEGACY_LEASE_MS } from "./lease.js";
import { legacyBody, legacyText } from "./text.js";

/** The template's rooms were numbers; the contract takes them as decimal strings. */
const roomSchema = z
  .union([z.string(), z.number().int().min(0).max(MAX_SEQ)])
  .transform((r) => String(r))
  .refine((r) => PUBLIC_ROOM_PATTERN.test(r), { message: "room must match ^[a-z0-9][a-z0-9_-]{0,63}$" });
/** The username is checked in the handler, so that a refused one can be explained on the page. */
const joinSchema = z.object({ username: z.unknown(), room: roomSchema });
const typingSchema = z.string().max(200);
function sendSchema(maxChars: number) {
  return z.object({ username: z.string().optional(), room: roomSchema, message: bodySchema(maxChars) });
}

/** The name on the server's own notices: outside the username pattern, so nobody can take it. */
export const SERVER_NAME = "(server)";

/** `rejoin_room` rows: `[seq, username, body]`, oldest first, without deleted messages. */
function rejoinRows(messages: Message[], text: (s: string) => string): [number, string, string][] {
  return messages.filter((m) => !m.deleted).map((m) => [m.seq, text(m.user), text(legacyBody(m))]);
}

export function registerLegacyEvents(ctx: ChatContext, on: On): void {
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
      socket.emit(LEGACY_MESSAGE_EVENT, { username: SERVER_NAME, room, message: text(message) });
      throw new ChatError("invalid_payload", "username must match ^[A-Za-z0-9_.-]{1,32}$");
    }
    // The handshake's user, or the first name this socket gave, stays its user. Taking one
    // counts and registers the connection as a handshake would (mentions, dm:invited).
    if (state(socket).user === undefined && !ctx.takeUser(socket, named.data)) {
      const message = `${named.data} has too many connections open: close another tab and try again.`;
      socket.emit(LEGACY_MESSAGE_EVENT, { username: SERVER_NAME, room, message: text(message) });
      throw new ChatError("limit_exceeded", message);
    }
    const user = state(socket).user ?? named.data;
    const channel = legacyRoom(room);
    await subscribe(ctx, socket, room, channel);
    let rows: [number, string, string][];
    try {
      await joinRoom(ctx.db, room, user, () => consumeNewRoom(ctx, user));
      // Before the history read: a message committed after this mark is published for the
      // template's dialect, and one committed before it is in the history.
      await markLegacyRoom(ctx.db, room, LEGACY_LEASE_MS);
      rows = rejoinRows((await readPage(ctx.reads, room, ctx.config.historyLimit)).messages, text);
    } catch (err) {
      await unsubscribe(socket, room, channel);
      throw err;
    }
    socket.emit("rejoin_room", rows);
    await enterRoom(ctx, socket, room, user, channel, "legacy");
    return {};
  });

  on("send_message", sendSchema(ctx.config.maxMessageChars), async function onSendMessage({ room, message }, socket) {
    // The connection's user is the author, whatever `username` says.
    const user = requireUser(socket);
    requireJoined(socket, room);
    return { message: await storeAndBroadcast(ctx, room, user, message) };
  });

  on("typing_status", typingSchema, async function onTypingStatus(status, socket) {
    const user = requireUser(socket);
    const rooms = [...state(socket).rooms.keys()];
    if (rooms.length === 0) return {};
    const typing = status.length > 0;
    // One emit to all the legacy rooms at once: a socket sharing two rooms hears it once.
    // The text is the server's own, as for v1 users: the client's string only says whether.
    ctx.io.to(rooms.map(legacyRoom)).except(socket.id).emit("typing_on", typingText(user, typing, text));
    for (const room of rooms) emitTyping(ctx.io, room, user, typing, socket.id);
    return {};
  });
}
