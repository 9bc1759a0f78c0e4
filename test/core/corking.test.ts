/**
 * Fewer writes per connection (src/realtime/corking.ts, src/cluster/adapter.ts): a burst of
 * packets to one socket leaves in a few writes rather than one per frame, a send's ack and
 * the sender's copy of the message in one (on one node and with the sharded Redis adapter),
 * and everything arrives complete and in order.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { freePorts } from "../../scripts/cluster/index.js";
import { call, closeAll, collect, connect, eventually, sleep, waitFor } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, startNode, startNodes, uniquePrefix, type RunningNode } from "../helpers/node.js";
import { startRedis } from "../helpers/redis.js";

let db: TestDatabase;
let node: RunningNode;
before(async () => {
  db = await createTestDatabase("cork");
  node = await startNode({ DATABASE_URL: db.url, EVENT_RATE_LIMIT: "0", RATE_LIMIT_SENDS: "1000" });
});
after(async () => {
  closeAll();
  await node.stop();
  await db.drop();
});

/** Sends five messages one at a time and counts the server's writes meanwhile. */
async function fiveSendsOneAtATime(s: Awaited<ReturnType<typeof connect>>, room: string, heard: unknown[], port?: number): Promise<number> {
  return countServerWrites(async () => {
    for (let i = 0; i < 5; i++) {
      // One at a time: each send's answers are the only frames in flight.
      assert.equal((await call(s, "message:send", { room, body: `m${i}`, clientId: `${room}${i}` })).ok, true);
      await eventually(() => heard.length === i + 1);
    }
  }, port);
}

/**
 * The server's writes to its TCP sockets (this process's accepted connections) while fn
 * runs; only those of the server on `port` when given.
 */
async function countServerWrites(fn: () => Promise<void>, port?: number): Promise<number> {
  const proto = net.Socket.prototype as unknown as Record<"_write" | "_writev", (...a: unknown[]) => unknown>;
  const original = { _write: proto._write, _writev: proto._writev };
  let writes = 0;
  for (const name of ["_write", "_writev"] as const) {
    proto[name] = function countingWrite(this: net.Socket & { server?: unknown }, ...args: unknown[]) {
      if (this.server && (port === undefined || this.localPort === port)) writes++;
      return original[name].apply(this, args);
    };
  }
  try {
    await fn();
  } finally {
    Object.assign(proto, original);
  }
  return writes;
}

test("a burst of acks and messages to one socket: few writes for many frames, nothing lost or reordered", async () => {
  const s = await connect(node.url, { username: "burst" });
  assert.equal((await call(s, "room:join", { room: "burst" })).ok, true);
  const heard = collect<{ seq: number }>(s, "message:new");

  // Sent together, stored in one or two group commits, answered in the same tick: one
  // write per frame (sixty frames: thirty acks and thirty messages) if flushes were not corked.
  const writes = await countServerWrites(async () => {
    const acks = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(s, "message:send", { room: "burst", body: `m${i}`, clientId: `b${i}` })),
    );
    assert.ok(acks.every((a) => a.ok));
    await sleep(200);
  });
  assert.deepEqual(heard.map((m) => m.seq), Array.from({ length: 30 }, (_, i) => i + 1));
  assert.ok(writes > 0 && writes <= 20, `${writes} server writes for 60 frames`);
});

test("a send's ack and the sender's own copy of the message leave in one write", async () => {
  const s = await connect(node.url, { username: "solo" });
  assert.equal((await call(s, "room:join", { room: "solo" })).ok, true);
  const heard = collect<{ seq: number }>(s, "message:new");
  const writes = await fiveSendsOneAtATime(s, "solo", heard);
  assert.deepEqual(heard.map((m) => m.seq), [1, 2, 3, 4, 5]);
  assert.equal(writes, 5, `${writes} server writes for 5 acks and 5 messages`);
});

test("a client that joins a busy room over long-polling and upgrades gets each message once, in order", async () => {
  // Packets go through Engine.IO while a socket is on polling or has packets queued, and
  // straight to the WebSocket once it is upgraded and idle: an upgraded transport must be
  // recognised, and nothing reordered at the handover. (socket.io-client usually finishes
  // the upgrade before the join's answer, so most deliveries come over the WebSocket.)
  const sender = await connect(node.url, { username: "pusher" });
  assert.equal((await call(sender, "room:join", { room: "handover" })).ok, true);
  let sending = true;
  const sent: Promise<unknown>[] = [];
  const pump = (async () => {
    for (let i = 0; sending && i < 400; i++) {
      sent.push(call(sender, "message:send", { room: "handover", body: `h${i}`, clientId: `h${i}` }));
      await sleep(4);
    }
  })();
  await sleep(30);
  const upgrading = await connect(node.url, { username: "upgrader", transports: ["polling", "websocket"] });
  const live: { seq: number }[] = [];
  upgrading.on("message:new", (m: { seq: number }) => live.push({ seq: m.seq }));
  const joined = await call(upgrading, "room:join", { room: "handover" });
  assert.equal(joined.ok, true);
  await eventually(() => upgrading.io.engine.transport.name === "websocket", 5000, "the upgrade");
  await sleep(150);
  sending = false;
  await pump;
  const acks = (await Promise.all(sent)) as { ok: boolean; message: { seq: number } }[];
  assert.ok(acks.every((a) => a.ok));
  const top = Math.max(...acks.map((a) => a.message.seq));
  await eventually(() => live.some((m) => m.seq === top), 5000, "the last message");
  const after = live.filter((m) => m.seq > joined.lastSeq).map((m) => m.seq);
  assert.deepEqual(after, Array.from({ length: top - joined.lastSeq }, (_, i) => joined.lastSeq + 1 + i));
});

test("a client that stays on long-polling in a busy room gets each message once, in order", async () => {
  // Every packet then goes through Engine.IO's queue (and the backlog accounting of
  // queued bytes), in batches of whatever arrived between two polls.
  const sender = await connect(node.url, { username: "pusher2" });
  assert.equal((await call(sender, "room:join", { room: "polled" })).ok, true);
  const poller = await connect(node.url, { username: "poller", transports: ["polling"] });
  const live: number[] = [];
  poller.on("message:new", (m: { seq: number }) => live.push(m.seq));
  const joined = await call(poller, "room:join", { room: "polled" });
  assert.equal(joined.ok, true);
  const sent: Promise<{ ok: boolean; message: { seq: number } }>[] = [];
  for (let i = 0; i < 200; i++) {
    sent.push(call(sender, "message:send", { room: "polled", body: `p${i}`, clientId: `p${i}` }));
    if (i % 10 === 9) await sleep(5);
  }
  const acks = await Promise.all(sent);
  assert.ok(acks.every((a) => a.ok));
  const top = Math.max(...acks.map((a) => a.message.seq));
  await eventually(() => live.includes(top), 10_000, "the last message");
  assert.equal(poller.io.engine.transport.name, "polling");
  assert.deepEqual(live, Array.from({ length: top - joined.lastSeq }, (_, i) => joined.lastSeq + 1 + i));
});

describe("two nodes, sharded Redis adapter, on a Redis of their own", () => {
  let cdb: TestDatabase;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const nodes: RunningNode[] = [];
  before(async () => {
    const [port] = await freePorts(1);
    redis = await startRedis(port!);
    cdb = await createTestDatabase("corkc");
    const env = clusterEnv(cdb.url, uniquePrefix("cork"), {
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REDIS_ADAPTER: "sharded",
      EVENT_RATE_LIMIT: "0",
      RATE_LIMIT_SENDS: "1000",
    });
    await startNodes(nodes, env, ["cork-a", "cork-b"]);
  });
  after(async () => {
    closeAll();
    for (const n of nodes) await n.stop();
    redis.kill("SIGKILL");
    await cdb.drop();
  });

  test("local members do not wait for Redis: ack and own copy in one write, the other node hears every message", async () => {
    const s = await connect(nodes[0]!.url, { username: "near" });
    const far = await connect(nodes[1]!.url, { username: "far" });
    for (const c of [s, far]) assert.equal((await call(c, "room:join", { room: "pair" })).ok, true);
    const heard = collect<{ seq: number }>(s, "message:new");
    const farHeard = collect<{ seq: number }>(far, "message:new");
    // Before, the sender's copy waited for the SPUBLISH reply and left in a write of its own.
    const writes = await fiveSendsOneAtATime(s, "pair", heard, nodes[0]!.port);
    await eventually(() => farHeard.length === 5, 5000, "the other node's deliveries");
    await sleep(200); // a node's own broadcast comes back from Redis: it must not be delivered again
    assert.deepEqual(heard.map((m) => m.seq), [1, 2, 3, 4, 5]);
    assert.deepEqual(farHeard.map((m) => m.seq), [1, 2, 3, 4, 5]);
    assert.equal(writes, 5, `${writes} writes by the sender's node for 5 acks and 5 messages`);
  });

  test("with Redis gone, members on the sender's node still get the message live", async () => {
    const a = await connect(nodes[0]!.url, { username: "alone1" });
    const b = await connect(nodes[0]!.url, { username: "alone2" });
    for (const c of [a, b]) assert.equal((await call(c, "room:join", { room: "island" })).ok, true);
    redis.kill("SIGKILL");
    await once(redis, "exit");
    const readyz = async () => (await (await fetch(`${nodes[0]!.url}/readyz`)).json()) as { checks: { redis: string } };
    await eventually(async () => (await readyz()).checks.redis === "down", 5000, "the node sees Redis down");
    const got = waitFor<{ body: string }>(b, "message:new", (m) => m.body === "still here");
    const ack = await call(a, "message:send", { room: "island", body: "still here", clientId: "i1" });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    await got;
  });
});
