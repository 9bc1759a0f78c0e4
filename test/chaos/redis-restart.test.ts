/**
 * Redis (a redis-server this test starts on a spare port) SIGKILLed and restarted under
 * load: nodes stay up, every acked message reaches every client exactly once, gap-free,
 * and presence is rebuilt in the empty Redis.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChildProcess } from "node:child_process";
import { freePorts, type Cluster } from "../../scripts/cluster/index.js";
import { eventually, sleep } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { uniquePrefix } from "../helpers/node.js";
import { clusterTraffic, killProcess, LONG, shape, startChaosCluster, startRedis, stopChaos, type Traffic } from "./harness.js";

async function redisState(url: string): Promise<string | undefined> {
  try {
    const r = (await (await fetch(`${url}/readyz`)).json()) as { checks: { redis: string } };
    return r.checks.redis;
  } catch {
    return undefined;
  }
}

test(`Redis killed and restarted under load (${LONG ? "long" : "short"})`, async () => {
  const s = shape({ clients: 90, rooms: 6, rate: 20 }, { clients: 400, rooms: 20, rate: 50 });
  const [before, down, afterUp] = LONG ? [15_000, 10_000, 30_000] : [3000, 2000, 4000];
  let db: TestDatabase | undefined;
  let cluster: Cluster | undefined;
  let traffic: Traffic | undefined;
  let redis: ChildProcess | undefined;
  try {
    const [port] = await freePorts(1);
    redis = await startRedis(port!);
    db = await createTestDatabase("chaosredis");
    cluster = await startChaosCluster(3, db.url, uniquePrefix("chaosredis"), { REDIS_URL: `redis://127.0.0.1:${port}`, PRESENCE_TTL_MS: "4000", LOG_LEVEL: "error" });
    const c = cluster;
    traffic = clusterTraffic("r", "redis", s.rooms, c);
    await traffic.connect(s.clients);
    traffic.start(s.rate);
    await sleep(before);
    const pids = c.nodes.map((n) => n.pid);
    await killProcess(redis);
    await eventually(async () => (await redisState(c.nodes[0]!.url)) === "down", 10_000, "readyz: redis down");
    await sleep(down);
    redis = await startRedis(port!);
    await eventually(async () => {
      const states = await Promise.all(c.nodes.map((n) => redisState(n.url)));
      return states.every((x) => x === "ok");
    }, 20_000, "readyz: redis ok on every node");
    await sleep(afterUp);
    await traffic.stop();

    assert.deepEqual(c.nodes.map((n) => n.pid), pids, "no node restarted");
    await traffic.assertAllConnected();
    await traffic.audit(db.url, `Redis restart (${LONG ? "long" : "short"})`);
    await traffic.assertPresence();
  } finally {
    await stopChaos(traffic, cluster);
    if (redis) await killProcess(redis);
    await db?.drop().catch(() => {});
  }
});
