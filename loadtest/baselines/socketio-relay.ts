/**
 * A second reference: a plain Socket.IO 4.8 cluster with the Redis adapter, storing
 * nothing, in the shape of the maintainers' cluster example. It is what the issue's
 * "the plain Socket.IO cluster reaches about 0.8× the bare relay" refers to, so the
 * benchmark can measure that claim on the machine it runs on (`npm run bench --
 * --socketio`) instead of taking it as given.
 *
 * Stock settings throughout: Socket.IO's own heartbeat, no corking, no patched internals,
 * the classic `@socket.io/redis-adapter` (`createAdapter(pub, sub)`). It speaks the subset
 * of chat-cluster's contract the load tester uses, so the same lean client drives both:
 *   - handshake auth `{ username }` (USERNAME_PATTERN);
 *   - `room:join { room }` → `{ ok, room, messages: [], members: [], readSeq: 0, lastSeq, hasMore: false }`;
 *   - `message:send { room, body, clientId }` → `{ ok, message }`, and `message:new <message>`
 *     to the room on every node through the adapter.
 * `seq` is one Redis INCR per message, which is what lets the tester count loss and
 * duplicates. It is not an order: two nodes' sends to one room may reach receivers in
 * the other order, as with any Socket.IO cluster that does not sequence its rooms.
 *
 * Run alone: PORT=4200 REDIS_URL=redis://127.0.0.1:6379 REDIS_KEY_PREFIX=sio npx tsx loadtest/baselines/socketio-relay.ts
 */
import http from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server, type Socket } from "socket.io";
import { USERNAME_PATTERN } from "../../src/shared/protocol.js";
import { isEntryPoint } from "../../scripts/entry-point.js";
import { listen, probes, roomOf, runStandalone, sendFields, type Relay, type RelayOptions } from "./standalone.js";

type Ack = (answer: object) => void;

interface SendPayload {
  room?: unknown;
  body?: unknown;
  clientId?: unknown;
}

export async function startSocketIoRelay(opts: RelayOptions = {}): Promise<Relay> {
  const redisUrl = opts.redisUrl ?? "redis://127.0.0.1:6379";
  const prefix = opts.keyPrefix ?? "sio";
  const pub = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const seqKey = (room: string) => `${prefix}:seq:${room}`;

  const server: http.Server = http.createServer(probes(() => io.engine.clientsCount));
  const io = new Server(server, { adapter: createAdapter(pub, sub, { key: `${prefix}#io` }) });
  io.of("/").adapter.on("error", () => {});

  io.use(function requireUsername(socket, next) {
    const user: unknown = socket.handshake.auth?.username;
    if (typeof user !== "string" || !USERNAME_PATTERN.test(user)) return next(new Error("invalid_username"));
    socket.data.user = user;
    next();
  });

  io.on("connection", function onConnection(socket: Socket) {
    socket.on("room:join", (payload: { room?: unknown }, ack: Ack) => void join(socket, payload, ack));
    socket.on("message:send", (payload: SendPayload, ack: Ack) => void send(socket, payload, ack));
  });

  async function join(socket: Socket, payload: { room?: unknown }, ack: Ack): Promise<void> {
    if (typeof ack !== "function") return;
    const room = roomOf(payload);
    if (!room) return ack(failure("invalid_payload", "bad room"));
    await socket.join(room);
    try {
      const lastSeq = Number((await pub.get(seqKey(room))) ?? 0);
      ack({ ok: true, room, messages: [], members: [], readSeq: 0, lastSeq, hasMore: false });
    } catch {
      ack(failure("unavailable", "redis"));
    }
  }

  async function send(socket: Socket, payload: SendPayload, ack: Ack): Promise<void> {
    if (typeof ack !== "function") return;
    const room = roomOf(payload);
    if (!room) return ack(failure("invalid_payload", "bad room"));
    if (!socket.rooms.has(room)) return ack(failure("not_joined", "join first"));
    const fields = sendFields(payload);
    if (!fields) return ack(failure("invalid_payload", "bad body or clientId"));
    const { body, clientId } = fields;
    try {
      const seq = await pub.incr(seqKey(room));
      const message = { room, seq, user: socket.data.user as string, body, clientId, createdAt: new Date().toISOString() };
      io.to(room).emit("message:new", message);
      ack({ ok: true, message });
    } catch {
      ack(failure("unavailable", "redis"));
    }
  }

  const { port, url } = await listen(server, opts);
  return {
    port,
    url,
    async close() {
      io.local.disconnectSockets(true);
      await io.close();
      pub.disconnect();
      sub.disconnect();
    },
  };
}

function failure(code: string, message: string): object {
  return { ok: false, error: { code, message } };
}

if (isEntryPoint(import.meta.url)) await runStandalone("socketio-relay", 4200, startSocketIoRelay);
