/**
 * A rolling restart under load: each of three nodes in turn gets SIGTERM (drain), comes
 * back on its port, and only then the next goes. No acked message is lost or doubled and
 * no client is left disconnected; presence ends exactly right.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cluster } from "../../scripts/cluster/index.js";
import { sleep } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { uniquePrefix } from "../helpers/node.js";
import { clusterTraffic, LONG, shape, startChaosCluster, stopChaos, type Traffic } from "./harness.js";

test(`rolling restart of three nodes with SIGTERM under load (${LONG ? "long" : "short"})`, async () => {
  const s = shape({ clients: 90, rooms: 6, rate: 20 }, { clients: 400, rooms: 20, rate: 50 });
  const pause = LONG ? 10_000 : 1500;
  let db: TestDatabase | undefined;
  let cluster: Cluster | undefined;
  let traffic: Traffic | undefined;
  try {
    db = await createTestDatabase("chaosroll");
    cluster = await startChaosCluster(3, db.url, uniquePrefix("chaosroll"), { PRESENCE_TTL_MS: "4000", SHUTDOWN_TIMEOUT_MS: "5000", LOG_LEVEL: "warn" });
    const c = cluster;
    traffic = clusterTraffic("o", "roll", s.rooms, c);
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
    await stopChaos(traffic, cluster);
    await db?.drop().catch(() => {});
  }
});
