/**
 * A rolling restart under load: each of three nodes in turn gets SIGTERM (drain), comes
 * back on its port, and only then the next goes. No acked message is lost or doubled and
 * no client is left disconnected; presence ends exactly right.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startCluster, type Cluster } from "../../scripts/cluster.js";
import { closeAll, sleep } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { uniquePrefix } from "../helpers/node.js";
import { LONG, shape, Traffic } from "./harness.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

test(`rolling restart of three nodes with SIGTERM under load (${LONG ? "long" : "short"})`, async () => {
  const s = shape({ clients: 90, rooms: 6, rate: 20 }, { clients: 400, rooms: 20, rate: 50 });
  const pause = LONG ? 10_000 : 1500;
  let db: TestDatabase | undefined;
  let cluster: Cluster | undefined;
  let traffic: Traffic | undefined;
  try {
    db = await createTestDatabase("chaosroll");
    cluster = await startCluster({
      nodes: 3,
      haproxy: false,
      env: {
        DATABASE_URL: db.url,
        REDIS_URL,
        REDIS_KEY_PREFIX: uniquePrefix("chaosroll"),
        PRESENCE_TTL_MS: "4000",
        RATE_LIMIT_SENDS: "1000000",
        SHUTDOWN_TIMEOUT_MS: "5000",
        LOG_LEVEL: "warn",
      },
    });
    const c = cluster;
    const rooms = Array.from({ length: s.rooms }, (_, i) => `roll-${i}`);
    traffic = new Traffic("o", rooms, () => c.nodes.filter((n) => n.running).map((n) => n.url));
    await traffic.connect(s.clients);
    traffic.start(s.rate);
    await sleep(pause);
    const pids = c.nodes.map((n) => n.pid);
    for (const n of c.nodes) {
      const exit = await n.kill("SIGTERM");
      assert.equal(exit.code, 0, `${n.id} drained and exited 0`);
      await n.start();
      await sleep(pause);
    }
    await traffic.stop();

    assert.ok(c.nodes.every((n, i) => n.running && n.pid !== pids[i]), "every node was restarted");
    assert.ok(traffic.readers.filter((r) => r.reconnects > 0).length >= traffic.readers.length / 2, "clients moved");
    await traffic.assertAllConnected();
    await traffic.audit(db.url, `rolling restart (${LONG ? "long" : "short"})`);
    await traffic.assertPresence();
  } finally {
    traffic?.stopReaders();
    closeAll();
    await cluster?.stop();
    await db?.drop().catch(() => {});
  }
});
