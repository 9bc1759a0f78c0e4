/**
 * Failures under traffic: a node SIGKILLed, Redis restarted. Afterwards every client holds
 * every acked message of its room exactly once, in a gap-free log.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { once } from "node:events";
import { after, afterEach, before, test } from "node:test";
import { startCluster, freePorts, type Cluster } from "../../scripts/cluster/index.js";
import { call, closeAll, eventually, sleep, waitFor } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, REDIS_URL, startNodes, uniquePrefix, type RunningNode } from "../helpers/node.js";
import { Reader } from "../helpers/reader.js";
import { RedisPresence } from "../../src/cluster/redis-presence.js";
import { createLogger } from "../../src/logger.js";
import { startRedis } from "../helpers/redis.js";

const ROOM = "failover";
const silentLog = createLogger("silent", "test");

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase("fail");
});
after(() => db.drop());
afterEach(() => closeAll());

/** Sends `count` messages as the reader's user, retrying each with its clientId until acked. */
async function sendAll(r: Reader, count: number, acked: Map<string, number>, gapMs: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const clientId = `${r.user}-${i}`;
    for (;;) {
      const s = r.socket;
      const a = s?.connected ? await call(s, "message:send", { room: ROOM, body: `${r.user} ${i}`, clientId }, 3000).catch(() => undefined) : undefined;
      if (a?.ok) {
        acked.set(clientId, a.message.seq);
        break;
      }
      await sleep(100);
    }
    await sleep(gapMs);
  }
}

/** Every reader ends with 1..max(acked seq) contiguous and every acked message once. */
async function assertConverged(readers: Reader[], acked: Map<string, number>): Promise<void> {
  const top = Math.max(...acked.values());
  for (const r of readers) {
    await eventually(() => r.contiguous(ROOM) >= top, 20_000, `${r.user} catches up to ${top} (has ${r.contiguous(ROOM)})`);
    const log = r.log.get(ROOM)!;
    assert.deepEqual(r.seqs(ROOM), Array.from({ length: r.seqs(ROOM).length }, (_, i) => i + 1), `${r.user}: gap-free`);
    for (const [clientId, seq] of acked) assert.equal(log.get(seq)?.clientId, clientId, `${r.user} has ${clientId} at ${seq}`);
  }
  // One message per clientId: retries never stored twice.
  const all = [...readers[0]!.log.get(ROOM)!.values()];
  assert.equal(new Set(all.map((m) => `${m.user}/${m.clientId}`)).size, all.length);
}

test("SIGKILL one of three nodes while everyone sends: presence cleaned up, nothing acked lost", async () => {
  const ttl = 4000;
  let cluster: Cluster | undefined;
  const readers: Reader[] = [];
  const prefix = uniquePrefix("kill");
  try {
    cluster = await startCluster({
      nodes: 3,
      haproxy: false,
      env: clusterEnv(db.url, prefix, { PRESENCE_TTL_MS: String(ttl), RATE_LIMIT_SENDS: "100000", LOG_LEVEL: "warn" }),
    });
    const c = cluster;
    const live = () => c.nodes.filter((x) => x.running).map((x) => x.url);
    // Two readers per node; reader i starts on node i % 3.
    for (let i = 0; i < 6; i++) {
      const r = new Reader(`user${i}`, live, [ROOM], i % 3);
      await r.start();
      readers.push(r);
    }
    const watcher = readers[1]!; // on node-2
    const victims = readers.filter((_, i) => i % 3 === 0).map((r) => r.user);
    assert.deepEqual(victims, ["user0", "user3"]);
    const acked = new Map<string, number>();
    const sending = Promise.all(readers.map((r) => sendAll(r, 25, acked, 40)));
    await sleep(400);
    await c.nodes[0]!.kill("SIGKILL");
    await sending;
    // The victims reconnected elsewhere at once, so they never left the room; what the
    // reaper must do is take back the dead node's share: every user then counts on exactly
    // one node, and node-1 owns nothing.
    const redis = new Redis(REDIS_URL);
    try {
      await eventually(async () => {
        const counts = await redis.hgetall(`${prefix}:pr:{${ROOM}}:u`);
        return Object.keys(counts).length === 6 && Object.values(counts).every((v) => v === "1");
      }, ttl, "the dead node's presence reaped within the TTL");
      assert.equal(await redis.exists(`${prefix}:pr:idx:node-1`, `${prefix}:pr:{${ROOM}}:n:node-1`), 0);
    } finally {
      redis.disconnect();
    }
    await assertConverged(readers, acked);
    const j = await call(watcher.socket!, "room:join", { room: ROOM, since: 1e9 });
    assert.deepEqual([...j.members].sort(), readers.map((r) => r.user).sort());
    assert.ok(readers.filter((r) => victims.includes(r.user)).every((r) => r.reconnects >= 1));
    const m = await (await fetch(`${c.nodes[1]!.url}/metrics`)).text();
    assert.match(m, /chat_redis_up\{node="node-2"\} 1/);
  } finally {
    for (const r of readers) r.stop();
    await cluster?.stop();
  }
});

/**
 * Two nodes; "stayer" on node 2 and "ghost" on node 1 in ROOM, both seen as members. The
 * ghost is then detached, not closed: a graceful disconnect would announce the leave
 * itself, and the client must not come back through the other node either.
 */
async function withGhostOnNode1(
  label: string,
  ttlMs: number,
  fn: (c: { cluster: Cluster; stayer: Reader; prefix: string }) => Promise<void>,
): Promise<void> {
  const prefix = uniquePrefix(label);
  const cluster = await startCluster({
    nodes: 2,
    haproxy: false,
    env: clusterEnv(db.url, prefix, { PRESENCE_TTL_MS: String(ttlMs), LOG_LEVEL: "warn" }),
  });
  const stayer = new Reader("stayer", () => [cluster.nodes[1]!.url], [ROOM]);
  const ghost = new Reader("ghost", () => [cluster.nodes[0]!.url], [ROOM]);
  try {
    await stayer.start();
    await ghost.start();
    const j = await call(stayer.socket!, "room:join", { room: ROOM, since: 1e9 });
    assert.deepEqual([...j.members].sort(), ["ghost", "stayer"]);
    ghost.detach();
    await fn({ cluster, stayer, prefix });
  } finally {
    stayer.stop();
    ghost.stop();
    await cluster.stop();
  }
}

test("SIGKILL: a dead node's users leave everyone's presence within PRESENCE_TTL_MS", async () => {
  const ttl = 3000;
  await withGhostOnNode1("ttl", ttl, async ({ cluster, stayer }) => {
    const leave = waitFor(stayer.socket!, "presence:leave", (p) => p.user === "ghost", ttl);
    await cluster.nodes[0]!.kill("SIGKILL");
    assert.deepEqual(await leave, { room: ROOM, user: "ghost" });
    const j2 = await call(stayer.socket!, "room:join", { room: ROOM, since: 1e9 });
    assert.deepEqual(j2.members, ["stayer"]);
  });
});

test("SIGKILL between a last connection's removal and its announcement: the reaper announces the leave", async () => {
  const ttl = 3000;
  const redis = new Redis(REDIS_URL);
  try {
    await withGhostOnNode1("owed", ttl, async ({ cluster, stayer, prefix }) => {
      // Node 1 takes the ghost's last connection out of Redis (its own script, its own keys)
      // and dies before announcing it: the moment a SIGKILL could fall into.
      const asNode1 = new RedisPresence({ redis, nodeId: cluster.nodes[0]!.id, keyPrefix: prefix, ttlMs: ttl, log: silentLog, onReaped: () => {} });
      asNode1.local.addLocal(ROOM, "ghost");
      assert.equal(await asNode1.remove(ROOM, "ghost", "s"), true);
      const leave = waitFor(stayer.socket!, "presence:leave", (p) => p.user === "ghost", ttl);
      await cluster.nodes[0]!.kill("SIGKILL");
      assert.deepEqual(await leave, { room: ROOM, user: "ghost" });
      // The reaper settled what it announced: nothing stays owed.
      await eventually(async () => (await redis.keys(`${prefix}:pr:{*}:o:*`)).length === 0, 5000, "owed leaves settled");
    });
  } finally {
    redis.disconnect();
  }
});

test("a node SIGKILLed and restarted under the same NODE_ID before anyone reaps it announces its old users' leaves", async () => {
  // A container restarted in its pod (Kubernetes keeps the pod name, NODE_ID here) comes
  // back well inside PRESENCE_TTL_MS: no reaper runs, so the new process must do it.
  await withGhostOnNode1("same", 60_000, async ({ cluster, stayer }) => {
    const leave = waitFor(stayer.socket!, "presence:leave", (p) => p.user === "ghost", 20_000);
    await cluster.nodes[0]!.kill("SIGKILL");
    await cluster.nodes[0]!.start();
    assert.deepEqual(await leave, { room: ROOM, user: "ghost" });
    const j2 = await call(stayer.socket!, "room:join", { room: ROOM, since: 1e9 });
    assert.deepEqual(j2.members, ["stayer"]);
  });
});

test("Redis restarted during traffic: nodes stay up, then every client has every acked message", async () => {
  const [port] = await freePorts(1);
  let redis = await startRedis(port!);
  const nodes: RunningNode[] = [];
  const readers: Reader[] = [];
  try {
    const env = clusterEnv(db.url, uniquePrefix("rr"), {
      REDIS_URL: `redis://127.0.0.1:${port}`,
      RATE_LIMIT_SENDS: "100000",
      PRESENCE_TTL_MS: "3000",
    });
    await startNodes(nodes, env, ["rr0", "rr1", "rr2"]);
    for (let i = 0; i < 6; i++) {
      const r = new Reader(`rr${i}`, () => [nodes[i % 3]!.url], [ROOM]);
      await r.start();
      readers.push(r);
    }
    const acked = new Map<string, number>();
    const sending = Promise.all(readers.map((r) => sendAll(r, 30, acked, 50)));
    await sleep(300);
    redis.kill("SIGKILL");
    await once(redis, "exit");
    await eventually(async () => ((await (await fetch(`${nodes[0]!.url}/readyz`)).json()) as { checks: { redis: string } }).checks.redis === "down", 5000, "readyz redis down");
    await sleep(1000);
    const m = await (await fetch(`${nodes[0]!.url}/metrics`)).text();
    assert.match(m, /chat_redis_up\{node="rr0"\} 0/);
    redis = await startRedis(port!);
    await sending;
    await eventually(async () => ((await (await fetch(`${nodes[0]!.url}/readyz`)).json()) as { checks: { redis: string } }).checks.redis === "ok", 10_000, "readyz redis ok");
    await assertConverged(readers, acked);
    // Cross-node delivery works again by itself.
    const got = waitFor(readers[1]!.socket!, "message:new", (x) => x.body === "after the storm");
    await call(readers[0]!.socket!, "message:send", { room: ROOM, body: "after the storm", clientId: "final" });
    await got;
    // Presence was rebuilt in the new Redis.
    await eventually(async () => {
      const j = await call(readers[2]!.socket!, "room:join", { room: ROOM, since: 1e9 });
      return j.members.length === 6;
    }, 10_000, "presence rebuilt");
  } finally {
    for (const r of readers) r.stop();
    for (const n of nodes) await n.stop();
    redis.kill("SIGKILL");
  }
});
