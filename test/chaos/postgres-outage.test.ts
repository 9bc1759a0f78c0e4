/**
 * PostgreSQL (a private instance this test starts with initdb/pg_ctl on a spare port)
 * stopped for some seconds under load. Sends in that window are answered `unavailable`
 * (never a false ok: every ok ack is in the database at the end); the nodes stay up and
 * /readyz reports checks.db "down"; once PostgreSQL is back, sends succeed again without a
 * restart, and every client ends with every acked message exactly once.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { freePorts, type Cluster } from "../../scripts/cluster/index.js";
import { eventually, sleep } from "../helpers/client.js";
import { uniquePrefix } from "../helpers/node.js";
import { clusterTraffic, LONG, PrivatePostgres, shape, startChaosCluster, stopChaos, type Traffic } from "./harness.js";

async function readyz(url: string): Promise<{ status: number; db?: string }> {
  try {
    const res = await fetch(`${url}/readyz`);
    const body = (await res.json()) as { checks: { db: string } };
    return { status: res.status, db: body.checks.db };
  } catch {
    return { status: 0 };
  }
}

test(`PostgreSQL stopped for seconds under load (${LONG ? "long" : "short"})`, { skip: !PrivatePostgres.available() && "no PostgreSQL binaries" }, async () => {
  const s = shape({ clients: 60, rooms: 4, rate: 20 }, { clients: 300, rooms: 15, rate: 40 });
  const [before, down, afterUp] = LONG ? [15_000, 15_000, 20_000] : [2500, 4000, 3000];
  let cluster: Cluster | undefined;
  let traffic: Traffic | undefined;
  const [port] = await freePorts(1);
  const pgsrv = new PrivatePostgres(port!);
  try {
    pgsrv.init();
    pgsrv.start();
    cluster = await startChaosCluster(2, pgsrv.url, uniquePrefix("chaospg"), { LOG_LEVEL: "error" });
    const c = cluster;
    traffic = clusterTraffic("p", "pg", s.rooms, c);
    await traffic.connect(s.clients);

    let phase: "before" | "down" | "after" = "before";
    const acks = { down: { ok: 0, unavailable: 0, other: 0 }, after: { ok: 0 } };
    traffic.onAck = (a) => {
      if (phase === "down") {
        if (a.ok) acks.down.ok++;
        else if (a.code === "unavailable") acks.down.unavailable++;
        else acks.down.other++;
      } else if (phase === "after" && a.ok) acks.after.ok++;
    };
    traffic.start(s.rate);
    await sleep(before);
    const pids = c.nodes.map((n) => n.pid);
    pgsrv.stop("fast");
    phase = "down";
    await eventually(async () => (await readyz(c.nodes[0]!.url)).db === "down", 10_000, "readyz: db down");
    const r = await readyz(c.nodes[1]!.url);
    assert.equal(r.db, "down");
    assert.equal(r.status, 200, "an outage shared by every node keeps the node in rotation");
    await sleep(down);
    assert.equal((await fetch(`${c.nodes[0]!.url}/healthz`)).status, 200, "the process serves requests");
    phase = "after";
    pgsrv.start();
    await eventually(async () => (await Promise.all(c.nodes.map((n) => readyz(n.url)))).every((x) => x.db === "ok"), 20_000, "readyz: db ok again");
    await sleep(afterUp);
    await traffic.stop();

    console.log(`CHAOS postgres window: ok ${acks.down.ok}, unavailable ${acks.down.unavailable}, other ${acks.down.other}; ok after return ${acks.after.ok}`);
    assert.deepEqual(c.nodes.map((n) => n.pid), pids, "no node restarted");
    assert.ok(acks.down.unavailable > 0, "sends during the outage are answered unavailable");
    assert.equal(acks.down.other, 0, "nothing but unavailable (or ok for a commit that beat the stop)");
    assert.ok(acks.after.ok > 0, "sends succeed again without a restart");
    await traffic.assertAllConnected();
    // Every ok ack, including any during the window, is stored at its position: no false ok.
    await traffic.audit(pgsrv.url, `PostgreSQL outage (${LONG ? "long" : "short"})`);
  } finally {
    await stopChaos(traffic, cluster);
    pgsrv.destroy();
  }
});
