/**
 * The baseline chat-cluster is measured against: a plain `ws` server that relays room
 * messages between nodes through Redis pub/sub and stores nothing.
 *
 * It does the least any horizontally scaled relay must do, so that a ratio to it says
 * what chat-cluster's extra work (Socket.IO framing, validation, PostgreSQL commit,
 * presence) costs:
 *   - one Redis round trip per message: a Lua script takes the room's next `seq`
 *     (INCR) and PUBLISHes the message in the same atomic step, so `seq` order is
 *     publish order on every node (the load tester checks loss and order by `seq`);
 *   - one channel per room, subscribed while this node has a member in the room;
 *   - each published message is serialised once by the sender's node and written to
 *     every local member as the same frame.
 *
 * Minimal JSON protocol (one JSON object per WebSocket text frame):
 *   connect   ws://host:port/?user=<username>
 *   -> {"t":"join","id":1,"room":"r"}                      <- {"t":"ack","id":1,"ok":true,"lastSeq":N}
 *   -> {"t":"send","id":2,"room":"r","body":"..","clientId":".."}
 *                                                          <- {"t":"ack","id":2,"ok":true,"seq":N}
 *   <- {"t":"msg","room":"r","user":"u","body":"..","clientId":"..","createdAt":"..","seq":N}
 *   errors: {"t":"ack","id":n,"ok":false,"error":{"code":"invalid_payload"|"not_joined","message":".."}}
 *
 * Run alone: PORT=4100 REDIS_URL=redis://127.0.0.1:6379 REDIS_KEY_PREFIX=bl npx tsx loadtest/baselines/ws-relay.ts
 */
import http from "node:http";
import { Redis } from "ioredis";
import { WebSocketServer, WebSocket } from "ws";
import { USERNAME_PATTERN } from "../../src/shared/protocol.js";
import { isEntryPoint } from "../../scripts/entry-point.js";
import { listen, probes, roomOf, runStandalone, sendFields, type Relay, type RelayOptions } from "./standalone.js";

export type { Relay, RelayOptions } from "./standalone.js";

// KEYS[1] = seq counter, KEYS[2] = channel; ARGV[1] = message JSON without its closing
// `"seq":N}`. Returns the seq. Atomic: publish order equals seq order.
const SEND_SCRIPT = `
local s = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', KEYS[2], ARGV[1] .. '"seq":' .. s .. '}')
return s`;

interface Client {
  ws: WebSocket;
  user: string;
  rooms: Set<string>;
}

export async function startRelay(opts: RelayOptions = {}): Promise<Relay> {
  const redisUrl = opts.redisUrl ?? "redis://127.0.0.1:6379";
  const prefix = opts.keyPrefix ?? "bl";
  const pub = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const sub = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await Promise.all([pub.connect(), sub.connect()]);
  const sha = (await pub.script("LOAD", SEND_SCRIPT)) as string;

  const members = new Map<string, Set<Client>>(); // room -> local members
  const subscribing = new Map<string, Promise<unknown>>();
  const channel = (room: string) => `${prefix}:ch:${room}`;
  const seqKey = (room: string) => `${prefix}:seq:${room}`;

  sub.on("messageBuffer", (chan: Buffer, payload: Buffer) => {
    const room = chan.toString().slice(prefix.length + 4);
    const local = members.get(room);
    if (!local) return;
    for (const c of local) {
      if (c.ws.readyState === WebSocket.OPEN) c.ws.send(payload, { binary: false });
    }
  });

  async function join(c: Client, room: string): Promise<number> {
    let local = members.get(room);
    if (!local) {
      local = new Set();
      members.set(room, local);
    }
    local.add(c);
    c.rooms.add(room);
    // The first local member subscribes; everyone waits for the subscription so that
    // nothing published after the ack can be missed.
    let pending = subscribing.get(room);
    if (!pending) {
      pending = sub.subscribe(channel(room));
      subscribing.set(room, pending);
    }
    await pending;
    return Number((await pub.get(seqKey(room))) ?? 0);
  }

  function leave(c: Client, room: string) {
    c.rooms.delete(room);
    const local = members.get(room);
    if (!local) return;
    local.delete(c);
    if (local.size === 0) {
      members.delete(room);
      subscribing.delete(room);
      void sub.unsubscribe(channel(room)).catch(() => {});
    }
  }

  const server: http.Server = http.createServer(probes(() => wss.clients.size));
  const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 });

  wss.on("connection", (ws, req) => {
    const user = new URL(req.url ?? "/", "http://x").searchParams.get("user") ?? "";
    if (!USERNAME_PATTERN.test(user)) {
      ws.close(4001, "invalid_username");
      return;
    }
    const c: Client = { ws, user, rooms: new Set() };
    const reply = (id: unknown, body: object) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ t: "ack", id, ...body }));
    };
    const fail = (id: unknown, code: string, message: string) => reply(id, { ok: false, error: { code, message } });

    ws.on("message", (data) => {
      let m: { t?: unknown; id?: unknown; room?: unknown; body?: unknown; clientId?: unknown };
      try {
        m = JSON.parse(data.toString());
      } catch {
        return;
      }
      const room = roomOf(m);
      if (m.t === "join") {
        if (!room) return fail(m.id, "invalid_payload", "bad room");
        join(c, room).then(
          (lastSeq) => reply(m.id, { ok: true, lastSeq }),
          () => fail(m.id, "unavailable", "redis"),
        );
      } else if (m.t === "leave") {
        if (room) leave(c, room);
        reply(m.id, { ok: true });
      } else if (m.t === "send") {
        if (!room) return fail(m.id, "invalid_payload", "bad room");
        if (!c.rooms.has(room)) return fail(m.id, "not_joined", "join first");
        const fields = sendFields(m);
        if (!fields) return fail(m.id, "invalid_payload", "bad body or clientId");
        const { body, clientId } = fields;
        const head = JSON.stringify({ t: "msg", room, user, body, clientId, createdAt: new Date().toISOString() });
        const prefixJson = `${head.slice(0, -1)},`;
        (pub.evalsha(sha, 2, seqKey(room), channel(room), prefixJson) as Promise<number>).then(
          (seq) => reply(m.id, { ok: true, seq }),
          () => fail(m.id, "unavailable", "redis"),
        );
      }
    });
    ws.on("close", () => {
      for (const room of [...c.rooms]) leave(c, room);
    });
    ws.on("error", () => {});
  });

  const { port, url } = await listen(server, opts);
  return {
    port,
    url,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      pub.disconnect();
      sub.disconnect();
    },
  };
}

if (isEntryPoint(import.meta.url)) await runStandalone("ws-relay", 4100, startRelay);
