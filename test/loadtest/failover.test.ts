/**
 * The load tester's reconnect accounting on a real 2-node cluster behind HAProxy: a node
 * stopped mid-run sends its clients through the load balancer to the other node, they
 * join again with `since`, and the report still accounts for every entry: what they
 * missed live comes back through the join (recovered), nothing is lost or doubled.
 */
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { startCluster, type Cluster } from "../../scripts/cluster/index.js";
import { deleteKeysByPrefix } from "../../loadtest/redis-keys.js";
import { runLoad } from "../../loadtest/run.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const haveHaproxy = spawnSync("haproxy", ["-v"], { stdio: "ignore" }).status === 0;

let db: TestDatabase;
let cluster: Cluster | undefined;
const prefix = `lt-fo-${randomBytes(4).toString("hex")}`;

before(async () => {
  if (!haveHaproxy) return;
  db = await createTestDatabase("lt");
  cluster = await startCluster({
    nodes: 2,
    port: 0,
    env: {
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_SENDS: "100000",
      EVENT_RATE_LIMIT: "0",
      LOG_LEVEL: "warn",
      SHUTDOWN_TIMEOUT_MS: "3000",
    },
  });
  await cluster.waitBalanced();
});

after(async () => {
  await cluster?.stop();
  await db?.drop().catch(() => {});
  if (!haveHaproxy) return;
  // The nodes' keys: leave the shared Redis as it was.
  await deleteKeysByPrefix(REDIS_URL, [prefix]);
});

test("a node stopped mid-run: clients reconnect, recover by join since, nothing lost", { skip: !haveHaproxy && "haproxy not installed" }, async (t) => {
  const c = cluster!;
  let stopped: Promise<unknown> | undefined;
  const r = await runLoad({
    target: "chat",
    urls: [c.url],
    clients: 20,
    rooms: 2,
    senders: 4,
    rate: 20,
    duration: 5,
    ramp: 0.5,
    drain: 10,
    hooks: {
      connected: () => {
        // Once sending has started: stop node-2 (it drains and disconnects its sockets).
        setTimeout(() => {
          stopped = c.nodes[1]!.kill("SIGTERM");
        }, 1500);
      },
    },
  });
  await stopped;
  t.diagnostic(
    `reconnects ${r.connect.reconnects}, live ${r.delivery.received}, recovered ${r.delivery.recovered}, ` +
      `expected ${r.delivery.expected}, send failures ${JSON.stringify(r.send.failuresByCode)}`,
  );
  assert.equal(r.options.client, "lean", "the default client: the lean one's reconnects are under test");
  assert.equal(r.connect.connected, 20);
  assert.ok(r.connect.reconnects > 0, "some clients reconnected");
  assert.ok(r.send.acked > 0);
  assert.equal(r.delivery.lost, 0, JSON.stringify(r.delivery));
  assert.equal(r.delivery.duplicates, 0);
  assert.equal(r.delivery.received + r.delivery.recovered, r.delivery.expected, "live + recovered = expected");
  // Sends from clients whose node went away fail (not connected or rejoining / no ack); nothing else does.
  for (const code of Object.keys(r.send.failuresByCode)) {
    assert.ok(["disconnected", "rejoining", "timeout", "unavailable"].includes(code), `unexpected failure ${code}`);
  }
});
