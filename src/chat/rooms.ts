/** room:join, room:leave, room:history, rooms:list (rooms:browse is browse.ts). */
import type { Socket } from "socket.io";
import {
  dmParticipants,
  historySchema,
  joinSchema,
  leaveSchema,
  MAX_SINCE_BATCH,
  roomsListSchema,
  type JoinResult,
  type Message,
} from "../shared/protocol.js";
import { readPage, readSince } from "../store/history.js";
import { joinRoom, leaveMembership, listRooms } from "../store/rooms.js";
import { assertAccess } from "./access.js";
import { v1Room } from "./broadcast.js";
import { requireUser, state, type ChatContext } from "./context.js";
import { enterRoom, leaveRoom, subscribe, unsubscribe } from "./membership.js";
import { consumeNewRoom } from "./quota.js";
import type { On } from "./on.js";

export function registerRooms(ctx: ChatContext, on: On): void {
  on("room:join", joinSchema, async function onJoin({ room, since }, socket) {
    const user = requireUser(socket);
    assertAccess(user, room);
    return join(ctx, socket, user, room, since);
  });

  on("room:leave", leaveSchema, async function onLeave({ room }, socket) {
    const user = requireUser(socket);
    assertAccess(user, room);
    if (state(socket).rooms.has(room)) await leaveRoom(ctx, socket, room, user);
    // Leaving a public room ends the membership, also from a socket that never joined it (a
    // page reloaded on rooms:list). A DM stays: its other participant may write at any time.
    // The user's other tabs are told, so that none keeps the room (and, marking it read,
    // makes the user a member again).
    if (!dmParticipants(room) && (await leaveMembership(ctx.db, room, user))) ctx.users.emit(user, "room:left", { room });
    return {};
  });

  on("room:history", historySchema, async function onHistory({ room, before, limit }, socket) {
    const user = requireUser(socket);
    assertAccess(user, room);
    return readPage(ctx.reads, room, limit ?? ctx.config.historyLimit, before);
  });

  on("rooms:list", roomsListSchema, async function onList(_payload, socket) {
    const user = requireUser(socket);
    return { rooms: await listRooms(ctx.reads, user) };
  });
}

async function join(ctx: ChatContext, socket: Socket, user: string, room: string, since?: number): Promise<JoinResult> {
  await subscribe(ctx, socket, room, v1Room(room));
  let page: { messages: Message[]; hasMore: boolean; firstSeq: number };
  let marks: { readSeq: number; lastSeq: number };
  try {
    // Side by side: the page needs nothing of the membership write, so with a replica it
    // does not wait for the replica to replay that write (store/replica.ts).
    [marks, page] = await Promise.all([
      joinRoom(ctx.db, room, user, () => consumeNewRoom(ctx, user)),
      since === undefined
        ? readPage(ctx.reads, room, ctx.config.historyLimit)
        : readSince(ctx.reads, room, since, MAX_SINCE_BATCH, sinceReplyBytes(ctx.config.maxSocketBacklogBytes)),
    ]);
  } catch (err) {
    await unsubscribe(socket, room, v1Room(room));
    throw err;
  }
  await enterRoom(ctx, socket, room, user);
  const members = await ctx.presence.members(room);
  // A message committed between the two reads is newer than the marker; report the newest seen.
  const newest = page.messages.reduce((n, m) => Math.max(n, m.updateSeq ?? m.seq), 0);
  return {
    room,
    messages: page.messages,
    members: members.includes(user) ? members : [...members, user],
    readSeq: marks.readSeq,
    lastSeq: Math.max(marks.lastSeq, newest),
    hasMore: page.hasMore,
    firstSeq: page.firstSeq,
  };
}

/**
 * The most a `since` reply carries, so that catching up never closes a slow link for its
 * backlog: after a reply over MAX_SOCKET_BACKLOG_BYTES, the next write to the socket would
 * close it, and the client would reconnect and ask for the same reply again. An eighth of the cap
 * leaves room for the four catch-ups the browser client keeps in flight plus live traffic
 * (512 KiB at the default 4 MiB); never over 1 MiB, never under 16 KiB. The rest follows
 * with `hasMore`, as past 1,000 entries.
 */
export function sinceReplyBytes(backlogCap: number): number {
  const MiB = 1024 * 1024;
  if (backlogCap === 0) return MiB;
  return Math.min(MiB, Math.max(16 * 1024, Math.floor(backlogCap / 8)));
}
