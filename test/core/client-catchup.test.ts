/**
 * The browser client's controller (client/src/state/chat.ts), driven from Node against a
 * real server: it catches up a few rooms at a time (client/src/state/joinQueue.ts), so that
 * a reconnect in many busy rooms does not make the server hold every room's catch-up at
 * once for a slow link (and close the connection at MAX_SOCKET_BACKLOG_BYTES).
 * What is in flight is read off the wire: the Engine.IO packets the client writes and reads.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, test } from "node:test";
import type { Socket } from "socket.io-client";
import { ChatClient } from "../../client/src/state/chat.js";
import { call, closeAll, connect, eventually } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startNode, type RunningNode } from "../helpers/node.js";

let db: TestDatabase;
let node: RunningNode;
const clients: ChatClient[] = [];
before(async () => {
  db = await createTestDatabase("catchup");
  node = await startNode({ DATABASE_URL: db.url, EVENT_RATE_LIMIT: "0", RATE_LIMIT_SENDS: "10000" });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.stop();
  closeAll();
});
after(async () => {
  await node.stop();
  await db.drop();
});

interface Wire {
  /** Most `room:join` requests awaiting their ack at one time since the last reset. */
  maxInFlight: number;
  /** Rooms named by `room:join` requests, in the order they were written. */
  joined: string[];
  reset(): void;
}

/** Watches the client's Engine.IO connection (each one, across reconnects) for room:join and its acks. */
function watchJoins(client: ChatClient): Wire {
  const socket = (client as unknown as { socket: Socket }).socket;
  const pending = new Set<string>();
  const wire: Wire = {
    maxInFlight: 0,
    joined: [],
    reset() {
      wire.maxInFlight = pending.size;
      wire.joined = [];
    },
  };
  socket.io.on("open", () => {
    pending.clear();
    const engine = socket.io.engine;
    engine.on("packetCreate", (p: { type: string; data?: unknown }) => {
      // A Socket.IO EVENT with an ack id: 2<id>["room:join",{"room":...}]
      const m = p.type === "message" && typeof p.data === "string" ? /^2(\d+)\["room:join",(.*)\]$/.exec(p.data) : null;
      if (!m) return;
      pending.add(m[1]!);
      wire.joined.push((JSON.parse(m[2]!) as { room: string }).room);
      wire.maxInFlight = Math.max(wire.maxInFlight, pending.size);
    });
    engine.on("packet", (p: { type: string; data?: unknown }) => {
      const m = p.type === "message" && typeof p.data === "string" ? /^3(\d+)/.exec(p.data) : null;
      if (m) pending.delete(m[1]!);
    });
  });
  return wire;
}

/** `count` rooms, each with `messages` messages, that `reader` is a member of. */
async function seedRooms(tag: string, reader: string, count: number, messages: number): Promise<string[]> {
  const rooms = Array.from({ length: count }, (_, i) => `${tag}-${i}`);
  const writer = await connect(node.url, { username: `${tag}-writer` });
  const member = await connect(node.url, { username: reader });
  for (const room of rooms) {
    assert.equal((await call(writer, "room:join", { room })).ok, true);
    assert.equal((await call(member, "room:join", { room })).ok, true);
  }
  await sendEach(writer, rooms, messages, "a");
  writer.close();
  member.close();
  return rooms;
}

async function sendEach(writer: Socket, rooms: string[], messages: number, tag: string): Promise<void> {
  await Promise.all(
    rooms.map(async (room) => {
      for (let i = 0; i < messages; i++) {
        const ack = await call(writer, "message:send", { room, body: `${tag}${i} in ${room}`, clientId: `${tag}-${room}-${i}` });
        assert.equal(ack.ok, true);
      }
    }),
  );
}

function startClient(username: string, maxConcurrentJoins?: number, url = node.url): ChatClient {
  const client = new ChatClient({
    url,
    credentials: { username },
    socketOptions: { transports: ["websocket"], reconnectionDelay: 100, reconnectionDelayMax: 200 },
    maxConcurrentJoins,
  });
  clients.push(client);
  return client;
}

const caughtUp = (client: ChatClient, rooms: string[], seq: number) =>
  rooms.every((r) => {
    const st = client.rooms.get(r);
    return st?.joined === true && st.log.highWater === seq && !st.joining;
  });

test("the client catches up at most four rooms at a time, on connect and after a reconnect", async () => {
  const rooms = await seedRooms("cu", "cu-reader", 12, 5);
  const client = startClient("cu-reader");
  const wire = watchJoins(client);
  client.start();
  await eventually(() => caughtUp(client, rooms, 5), 15_000, "every room joined with its history");
  assert.equal(new Set(wire.joined).size, 12);
  assert.ok(wire.maxInFlight <= 4, `at most 4 joins in flight, saw ${wire.maxInFlight}`);
  assert.ok(wire.maxInFlight >= 2, `joins overlap, saw ${wire.maxInFlight}`);

  // Cut the transport; while the client is away, every room moves on.
  const socket = (client as unknown as { socket: Socket }).socket;
  wire.reset();
  socket.io.engine.close();
  const writer = await connect(node.url, { username: "cu-writer" });
  for (const room of rooms) assert.equal((await call(writer, "room:join", { room })).ok, true);
  await sendEach(writer, rooms, 3, "b");
  await eventually(() => caughtUp(client, rooms, 8), 15_000, "every room caught up after the reconnect");
  assert.ok(client.connects >= 2, "the client reconnected");
  assert.ok(wire.joined.length >= 12, `every room asked again, saw ${wire.joined.length}`);
  assert.ok(wire.maxInFlight <= 4, `at most 4 catch-ups in flight, saw ${wire.maxInFlight}`);
  for (const room of rooms) {
    const bodies = client.rooms.get(room)!.log.messages().map((m) => m.body);
    assert.deepEqual(bodies, [0, 1, 2, 3, 4].map((i) => `a${i} in ${room}`).concat([0, 1, 2].map((i) => `b${i} in ${room}`)));
  }
});

test("a room opened by the person goes before queued catch-ups; a room closed while queued is not joined", async () => {
  const rooms = await seedRooms("cq", "cq-reader", 8, 1);
  const client = startClient("cq-reader", 1);
  const wire = watchJoins(client);
  let closed = false;
  let opened: Promise<unknown> | undefined;
  client.subscribe(() => {
    // The first moment rooms:list has filled the room list: one join runs, seven wait.
    if (closed || client.rooms.size < rooms.length) return;
    closed = true;
    client.closeRoom(rooms[7]!);
    opened = client.openRoom("cq-new");
  });
  client.start();
  await eventually(() => caughtUp(client, rooms.slice(0, 7), 1), 15_000, "the other rooms joined");
  await opened;
  assert.equal(client.rooms.get("cq-new")?.joined, true);
  assert.equal(client.rooms.has(rooms[7]!), false);
  assert.equal(wire.joined.includes(rooms[7]!), false, `the closed room was not joined: ${wire.joined.join(", ")}`);
  // One slot: at most the room that held it when the person opened one, then theirs, then
  // the six still waiting.
  assert.ok(wire.joined.indexOf("cq-new") <= 1, `joins in order: ${wire.joined.join(", ")}`);
  assert.equal(wire.joined.length, 8);
  assert.equal(wire.maxInFlight, 1);
});

test("over the server's event rate, joins wait as told and every room is caught up, without being disconnected", async () => {
  // 30 rooms on a node that allows 8 events a second per connection: joining them all at
  // once would be refused, and at twice the rate the connection is closed as a flood.
  const rooms = await seedRooms("rl", "rl-reader", 30, 2);
  const limited = await startNode({ DATABASE_URL: db.url, EVENT_RATE_LIMIT: "8", EVENT_RATE_WINDOW_MS: "1000" });
  try {
    const client = startClient("rl-reader", undefined, limited.url);
    const wire = watchJoins(client);
    client.start();
    await eventually(() => caughtUp(client, rooms, 2), 20_000, "every room joined with its history");
    assert.equal(client.connects, 1, "never disconnected for flooding");
    for (const room of rooms) assert.equal(client.rooms.get(room)!.error, undefined, `${room} shows no error`);
    assert.ok(wire.joined.length > 30, `some joins were refused and asked again (${wire.joined.length} sent)`);
  } finally {
    await limited.stop();
  }
});
