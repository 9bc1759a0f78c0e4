/**
 * SIGKILL one of three nodes under steady load. Every acked message is stored once at its
 * acked position and every client (those of the dead node reconnect elsewhere) ends with
 * every message of its room exactly once, gap-free; the dead node's presence is reaped.
 * Short by default; CHAOS_LONG=1 for hundreds of clients over a minute.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Redis } from "ioredis";
import type { Cluster } from "../../scripts/cluster/index.js";
import { eventually, sleep } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { REDIS_URL, uniquePrefix } from "../helpers/node.js";
import { clusterTraffic, LONG, shape, startChaosCluster, stopChaos, type Traffic } from "./harness.js";

test(`SIGKILL one of three nodes under load (${LONG ? "long" : "short"})`, async () => {
  const s = shape({ clients: 90, rooms: 6, rate: 20 }, { clients: 400, rooms: 20, rate: 50 });
  const [before, afterKill] = LONG ? [20_000, 40_000] : [3000, 5000];
  const ttl = 4000;
  const prefix = uniquePrefix("chaoskill");
  let db: TestDatabase | undefined;
  let cluster: Cluster | undefined;
  let traffic: Traffic | undefined;
  try {
    db = await createTestDatabase("chaoskill");
    cluster = await startChaosCluster(3, db.url, prefix, { PRESENCE_TTL_MS: String(ttl), LOG_LEVEL: "warn" });
    const c = cluster;
    traffic = clusterTraffic("k", "kill", s.rooms, c);
    await traffic.connect(s.clients);
    traffic.start(s.rate);
    await sleep(before);
    const victim = c.nodes[0]!;
    await victim.kill("SIGKILL");
    await sleep(afterKill);
    await traffic.stop();

    assert.ok(traffic.readers.some((r) => r.reconnects > 0), "the dead node's clients reconnected");
    await traffic.assertAllConnected();
    await traffic.audit(db.url, `node SIGKILL (${LONG ? "long" : "short"})`);
    // Presence: the dead node's share is reaped; every user counts on exactly one node.
    const redis = new Redis(REDIS_URL);
    try {
      await eventually(async () => (await redis.exists(`${prefix}:pr:idx:${victim.id}`)) === 0, 3 * ttl, "dead node's pairs reaped");
      for (const room of traffic.rooms) {
        const counts = await redis.hgetall(`${prefix}:pr:{${room}}:u`);
        const want = traffic.readers.filter((r) => r.rooms[0] === room).map((r) => r.user).sort();
        assert.deepEqual(Object.keys(counts).sort(), want, `presence hash of ${room}`);
        assert.ok(Object.values(counts).every((v) => v === "1"), `${room}: each user on one node`);
      }
    } finally {
      redis.disconnect();
    }
    await traffic.assertPresence();
  } finally {
    await stopChaos(traffic, cluster);
    await db?.drop().catch(() => {});
  }
});
