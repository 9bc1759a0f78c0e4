/**
 * Three real nodes in this process on one PostgreSQL and a real local Redis Cluster of 3
 * primaries and 3 replicas (scripts/redis-cluster.sh, ports 7101-7106): the wire contract's
 * cluster checks with rooms on every shard, a dead node reaped across shards, and a primary
 * SIGKILLed under sending, whose replica the cluster promotes.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { Cluster } from "ioredis";
import { RedisPresence } from "../../src/cluster/redis-presence.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { Traffic } from "../chaos/harness.js";
import { call, closeAll, collect, connect, eventually, sleep, waitFor } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, startNodes, uniquePrefix, type RunningNode } from "../helpers/node.js";
import { startRedisCluster, type LocalRedisCluster } from "../helpers/redis-cluster.js";

const TTL = 3000;
/** Twelve rooms: their keys and channels fall on all three primaries (checked below). */
const ROOMS = Array.from({ length: 12 }, (_, i) => `rc-${i}`);

/** Every key matching `pattern` on every primary: SCAN runs per primary on a cluster. */
async function scanAll(client: Cluster, pattern: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const node of client.nodes("master")) {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    out.set(`${node.options.host}:${node.options.port}`, keys);
  }
  return out;
}

test("REDIS_CLUSTER_NODES: host:port seeds, not with REDIS_URL, every problem named at once", () => {
  assert.deepEqual(loadConfig({ REDIS_CLUSTER_NODES: " 10.0.0.1:7000, redis-2.internal:7001" }).redisClusterNodes, [
    { host: "10.0.0.1", port: 7000 },
    { host: "redis-2.internal", port: 7001 },
  ]);
  assert.equal(loadConfig({}).redisClusterNodes, undefined);
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
    }
    return [];
  };
  assert.deepEqual(problems({ REDIS_URL: "redis://r:6379", REDIS_CLUSTER_NODES: "r:7000" }), [
    "REDIS_URL / REDIS_CLUSTER_NODES: set one of them (a single Redis or a Redis Cluster), not both",
  ]);
  assert.deepEqual(problems({ REDIS_CLUSTER_NODES: "redis://r:7000" }), ["REDIS_CLUSTER_NODES: must be comma-separated host:port seeds"]);
  assert.deepEqual(problems({ REDIS_CLUSTER_NODES: "r:7000,r" }), ["REDIS_CLUSTER_NODES: must be comma-separated host:port seeds"]);
  assert.deepEqual(problems({ PORT: "x", REDIS_CLUSTER_NODES: "bad" }), ["PORT: must be an integer", "REDIS_CLUSTER_NODES: must be comma-separated host:port seeds"]);
  assert.deepEqual(problems({ REDIS_CLUSTER_NODES: "r:70000" }), ["REDIS_CLUSTER_NODES: every port must be 1-65535"]);
});

describe("three nodes on a Redis Cluster (3 primaries, 3 replicas)", () => {
  let rc: LocalRedisCluster;
  let redis: Cluster;
  let db: TestDatabase;
  const nodes: RunningNode[] = [];
  const prefix = uniquePrefix("rc");

  before(async () => {
    rc = startRedisCluster(7101);
    redis = rc.client();
    db = await createTestDatabase("rc");
    const env = clusterEnv(db.url, prefix, {
      REDIS_URL: "",
      REDIS_CLUSTER_NODES: rc.seeds,
      RATE_LIMIT_SENDS: "40",
      RATE_LIMIT_WINDOW_MS: "60000",
      PRESENCE_TTL_MS: String(TTL),
      PING_TIMEOUT_MS: "2000",
      PING_INTERVAL_MS: "2000",
    });
    await startNodes(nodes, env, ["rc-n1", "rc-n2", "rc-n3"]);
  });
  after(async () => {
    closeAll();
    for (const n of nodes) await n.stop();
    redis?.disconnect();
    await db?.drop();
    rc?.stop();
  });
  afterEach(() => closeAll());

  const on = (i: number, username: string) => connect(nodes[i]!.url, { username });

  test("messages in rooms on every shard reach clients on every node once", async () => {
    const [a, b, c] = [await on(0, "ann"), await on(1, "ben"), await on(2, "cat")];
    const got = [collect(a, "message:new"), collect(b, "message:new"), collect(c, "message:new")];
    for (const room of ROOMS) for (const s of [a, b, c]) await call(s, "room:join", { room });
    const want = [];
    for (const room of ROOMS) {
      for (let i = 0; i < 2; i++) want.push((await call(a, "message:send", { room, body: `hi ${i}`, clientId: `${room}-${i}` })).message);
    }
    await eventually(() => got.every((g) => g.length >= want.length), 10_000, "deliveries");
    await sleep(200);
    for (const g of got) assert.deepEqual(g, want);
    // The rooms' presence hashes are spread over all three primaries.
    const byPrimary = await scanAll(redis, `${prefix}:pr:{*}:u`);
    assert.equal(byPrimary.size, 3);
    for (const [primary, keys] of byPrimary) assert.ok(keys.length > 0, `presence keys on ${primary}`);
  });

  test("members span nodes; presence:join and leave fire once per user across tabs on several nodes", async () => {
    const r = ROOMS[3]!;
    const watcher = await on(0, "watcher");
    await call(watcher, "room:join", { room: r });
    const joins = collect(watcher, "presence:join");
    const leaves = collect(watcher, "presence:leave");
    const [tab1, tab2] = [await on(1, "multi"), await on(2, "multi")];
    assert.deepEqual([...(await call(tab1, "room:join", { room: r })).members].sort(), ["multi", "watcher"]);
    assert.deepEqual([...(await call(tab2, "room:join", { room: r })).members].sort(), ["multi", "watcher"]);
    await eventually(() => joins.length >= 1, 5000, "join");
    tab1.close();
    await sleep(300);
    assert.deepEqual(leaves, []); // still connected in tab2 on another node
    tab2.close();
    await eventually(() => leaves.length >= 1, 5000, "leave");
    await sleep(200);
    assert.deepEqual(joins, [{ room: r, user: "multi" }]);
    assert.deepEqual(leaves, [{ room: r, user: "multi" }]);
    assert.deepEqual((await call(watcher, "room:join", { room: r })).members, ["watcher"]);
    // The announcing node settled the leave it owed, on whichever primary holds it.
    await eventually(async () => [...(await scanAll(redis, `${prefix}:pr:{*}:o:*`)).values()].flat().length === 0, 5000, "owed leaves settled");
  });

  test("the send rate limit is shared across nodes", async () => {
    const tabs = [await on(0, "fast"), await on(1, "fast"), await on(2, "fast")];
    const r = ROOMS[5]!;
    for (const t of tabs) await call(t, "room:join", { room: r });
    const acks = [];
    for (let i = 0; i < 41; i++) acks.push(await call(tabs[i % 3]!, "message:send", { room: r, body: "x", clientId: `f${i}` }));
    assert.equal(acks.filter((x) => x.ok).length, 40);
    assert.equal(acks[40].error.code, "rate_limited");
  });

  test("a node that stops heartbeating has its users leave rooms on every shard within PRESENCE_TTL_MS", async () => {
    // A registry under its own client, as a fourth node would run it; cutting its client
    // off is its death: it stops heartbeating, and its pairs sit on all three primaries.
    const ghostClient = rc.client();
    const ghost = new RedisPresence({ redis: ghostClient, nodeId: "rc-ghost", keyPrefix: prefix, ttlMs: TTL, log: createLogger("silent", "t"), onReaped: () => {} });
    const watcher = await on(1, "keeper");
    try {
      await ghost.start();
      for (const room of ROOMS) {
        await call(watcher, "room:join", { room });
        assert.equal(await ghost.add(room, "ghost", "s"), true);
      }
      for (const room of ROOMS) assert.deepEqual([...(await call(watcher, "room:join", { room, since: 1e9 })).members].sort(), ["ghost", "keeper"]);
      const left = ROOMS.map((room) => waitFor(watcher, "presence:leave", (p) => p.room === room && p.user === "ghost", TTL));
      ghostClient.disconnect();
      await Promise.all(left);
      for (const room of ROOMS) assert.deepEqual((await call(watcher, "room:join", { room, since: 1e9 })).members, ["keeper"]);
      assert.equal(await redis.exists(`${prefix}:pr:idx:rc-ghost`), 0);
    } finally {
      void ghost.close(); // stops its timer; its commands go nowhere (a disconnected client queues them)
      ghostClient.disconnect();
    }
  });

  async function redisStates(): Promise<string[]> {
    return Promise.all(
      nodes.map(async (n) => ((await (await fetch(`${n.url}/readyz`)).json()) as { checks: { redis: string } }).checks.redis),
    );
  }

  /** The primary serving room rc-0's channel (the v1 dialect's Socket.IO room `r:rc-0`). */
  const rc0Owner = () => rc.ownerOf(`${prefix}#io#/#r:${ROOMS[0]}#`);

  /**
   * Kills a primary (`pick` chooses among those created first, 7101-7103, which still have
   * their replicas) while 18 readers in 6 rooms send; waits for the promotion, then audits:
   * every acked message in PostgreSQL and in every reader's log once, presence right within
   * the TTL.
   */
  async function killPrimaryUnderSending(label: string, pick: (ports: number[]) => Promise<number>, duringOutage: () => Promise<void>): Promise<void> {
    const traffic = new Traffic(label, ROOMS.slice(0, 6), () => nodes.map((n) => n.url));
    try {
      await traffic.connect(18);
      traffic.start(20);
      await sleep(1500);
      const victim = await pick((await rc.primaries()).filter((p) => p <= rc.ports[2]!));
      rc.kill(victim);
      await duringOutage();
      await eventually(async () => {
        const now = await rc.primaries();
        return now.length === 3 && !now.includes(victim);
      }, 30_000, "a replica promoted");
      await eventually(async () => (await redisStates()).every((s) => s === "ok"), 20_000, "readyz: redis ok on every node");
      await sleep(1500);
      await traffic.stop();
      await traffic.assertAllConnected();
      const audit = await traffic.audit(db.url, `Redis Cluster primary SIGKILL (${label})`);
      assert.ok(audit.acked > 0);
      await traffic.assertPresence(TTL);
    } finally {
      traffic.stopReaders();
    }
  }

  test("a primary SIGKILLed under sending, promoted within the client's retries: nothing acked is lost, presence right", async () => {
    // Not rc-0's primary: the next test needs it, with its replica.
    await killPrimaryUnderSending("fast", async (ports) => {
      const keep = await rc0Owner();
      return ports.find((p) => p !== keep)!;
    }, async () => {});
  });

  test("a primary SIGKILLed under sending, its slots down for seconds: nodes report it, then fill the gaps", async () => {
    // Failover after 5 s of silence: longer than ioredis retries a command (16 x 100 ms),
    // so publishes to the dead primary's slots fail and the nodes see an outage.
    await rc.setNodeTimeout(5000);
    // rc-0's primary: its broadcasts fail during the outage.
    await killPrimaryUnderSending("slow", () => rc0Owner(), async () => {
      await eventually(async () => (await redisStates()).includes("down"), 10_000, "readyz: redis down on a node");
    });
  });
});
