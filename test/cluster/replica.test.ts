/**
 * A PostgreSQL primary and a streaming replica of its own (initdb + pg_basebackup on spare
 * ports), two nodes reading from the replica through DATABASE_REPLICA_URL and writing
 * through a proxy that stands for the primary's stable address (a Kubernetes Service, a
 * pooler). Reads go to the replica when it has replayed enough; a paused replica never
 * takes a read back in time; with the primary stopped, reads keep coming from the replica,
 * writes are refused `unavailable`, and once the replica is promoted behind the same
 * address writes resume with nothing acked lost and no `seq` used twice.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { freePorts } from "../../scripts/cluster/index.js";
import { call, connect, eventually, sleep } from "../helpers/client.js";
import { clusterEnv, startNodes, uniquePrefix, type RunningNode } from "../helpers/node.js";
import { PrivatePostgres } from "../helpers/postgres.js";
import { startProxy, type Proxy } from "../helpers/proxy.js";
import { closeAll } from "../helpers/client.js";

const skip = !PrivatePostgres.available() && "no PostgreSQL binaries";

let primary: PrivatePostgres;
let replica: PrivatePostgres;
let proxy: Proxy;
const nodes: RunningNode[] = [];

async function reads(node: RunningNode): Promise<{ primary: number; replica: number }> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const count = (target: string) => Number(new RegExp(`^chat_db_reads_total\\{[^}]*target="${target}"[^}]*\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
  return { primary: count("primary"), replica: count("replica") };
}

async function dbState(node: RunningNode): Promise<string> {
  try {
    return ((await (await fetch(`${node.url}/readyz`)).json()) as { checks: { db: string } }).checks.db;
  } catch {
    return "unreachable";
  }
}

/** Whether the replica has replayed everything the primary has written so far. */
async function replicaCaughtUp(): Promise<boolean> {
  const [p] = await primary.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
  const [r] = await replica.query<{ ok: boolean }>(`SELECT pg_last_wal_replay_lsn() >= '${p!.lsn}'::pg_lsn AS ok`);
  return r!.ok;
}

describe("PostgreSQL read replica and failover", { skip }, () => {
  before(async () => {
    const [pPort, rPort] = await freePorts(2);
    primary = new PrivatePostgres(pPort!);
    replica = new PrivatePostgres(rPort!);
    primary.init();
    primary.start();
    replica.initReplicaOf(primary);
    replica.start();
    proxy = await startProxy(pPort!);
    const env = clusterEnv(proxy.url(primary.url), uniquePrefix("replica"), {
      DATABASE_REPLICA_URL: replica.url,
      RATE_LIMIT_SENDS: "100000",
      EVENT_RATE_LIMIT: "0",
    });
    await startNodes(nodes, env, ["rep-a", "rep-b"]);
  });

  after(async () => {
    closeAll();
    for (const n of nodes) await n.stop();
    await proxy?.close();
    replica?.destroy();
    primary?.destroy();
  });

  test("reads come from the replica once it has replayed what they need", async () => {
    const alice = await connect(nodes[0]!.url, { username: "alice" });
    assert.equal((await call(alice, "room:join", { room: "lobby" })).ok, true);
    for (let i = 1; i <= 3; i++) {
      assert.equal((await call(alice, "message:send", { room: "lobby", body: `hello ${i}`, clientId: `h${i}` })).ok, true);
    }
    await eventually(replicaCaughtUp, 10_000, "replica caught up");
    const before = await reads(nodes[1]!);
    const bob = await connect(nodes[1]!.url, { username: "bob" });
    const join = await call(bob, "room:join", { room: "lobby" });
    assert.deepEqual(join.messages.map((m: { body: string }) => m.body), ["hello 1", "hello 2", "hello 3"]);
    const history = await call(bob, "room:history", { room: "lobby" });
    assert.equal(history.messages.length, 3);
    const after = await reads(nodes[1]!);
    assert.ok(after.replica > before.replica, `the replica served reads (${JSON.stringify({ before, after })})`);
  });

  test("a paused replica never takes a read back in time: reads go to the primary until it catches up", async () => {
    const alice = await connect(nodes[0]!.url, { username: "alice" });
    assert.equal((await call(alice, "room:join", { room: "lobby" })).ok, true);
    await replica.query("SELECT pg_wal_replay_pause()");
    try {
      const sent = await call(alice, "message:send", { room: "lobby", body: "while the replica sleeps", clientId: "p1" });
      assert.equal(sent.ok, true);
      const n = sent.message.seq as number;
      const before = await reads(nodes[1]!);

      const carol = await connect(nodes[1]!.url, { username: "carol" });
      const join = await call(carol, "room:join", { room: "lobby" });
      assert.ok(join.messages.some((m: { seq: number }) => m.seq === n), "the join's page holds the message seen");
      const since = await call(carol, "room:join", { room: "lobby", since: n - 1 });
      assert.deepEqual(since.messages.map((m: { seq: number }) => m.seq), [n]);
      const history = await call(carol, "room:history", { room: "lobby", before: n + 1 });
      assert.equal(history.messages.at(-1).seq, n);
      const list = await call(carol, "rooms:list", {});
      assert.ok(list.rooms.find((r: { room: string }) => r.room === "lobby").lastSeq >= n);
      const rest = (await (await fetch(`${nodes[1]!.url}/api/rooms/lobby/messages?username=carol`)).json()) as { messages: { seq: number }[] };
      assert.equal(rest.messages.at(-1)!.seq, n, "REST too");

      const after = await reads(nodes[1]!);
      assert.equal(after.replica, before.replica, "nothing was read from the paused replica");
      assert.ok(after.primary >= before.primary + 5, "the primary answered them");
    } finally {
      await replica.query("SELECT pg_wal_replay_resume()");
    }
    // Caught up again, reads go back to the replica.
    const dave = await connect(nodes[1]!.url, { username: "dave" });
    const before = await reads(nodes[1]!);
    await eventually(async () => {
      await call(dave, "room:history", { room: "lobby" });
      return (await reads(nodes[1]!)).replica > before.replica;
    }, 10_000, "reads back on the replica");
  });

  test("primary stopped under sending, replica promoted behind the same address: nothing acked lost, no seq reused", async () => {
    const sender = await connect(nodes[0]!.url, { username: "sender", reconnection: true });
    assert.equal((await call(sender, "room:join", { room: "failover" })).ok, true);
    const reader = await connect(nodes[1]!.url, { username: "reader" });
    assert.equal((await call(reader, "room:join", { room: "failover" })).ok, true);

    const acked = new Map<string, number>();
    const refused = new Map<string, number>();
    let stop = false;
    let n = 0;
    const loop = (async () => {
      while (!stop) {
        const clientId = `f${++n}`;
        // The contract's retry: the same clientId until acked (or the test ends).
        for (;;) {
          const a = await call(sender, "message:send", { room: "failover", body: `m ${n}`, clientId }).catch(() => ({ ok: false, error: { code: "timeout" } }));
          if (a.ok) {
            acked.set(clientId, a.message.seq);
            break;
          }
          refused.set(a.error.code, (refused.get(a.error.code) ?? 0) + 1);
          if (stop) break;
          await sleep(50);
        }
        await sleep(10);
      }
    })();

    await eventually(() => acked.size >= 30, 20_000, "30 acks before the failover");
    primary.stop("fast");
    await eventually(async () => (await dbState(nodes[0]!)) === "down", 10_000, "readyz: db down");
    const ackedBeforePromotion = acked.size;

    // Reads still answer, from the replica.
    const history = await call(reader, "room:history", { room: "failover" });
    assert.equal(history.ok, true, `history while the primary is down: ${JSON.stringify(history.error)}`);
    assert.ok(history.messages.length > 0);
    await eventually(() => (refused.get("unavailable") ?? 0) > 0, 10_000, "a send refused unavailable");

    replica.promote();
    proxy.retarget(replica.port);
    await eventually(async () => (await Promise.all(nodes.map(dbState))).every((s) => s === "ok"), 30_000, "readyz: db ok again");
    await eventually(() => acked.size >= ackedBeforePromotion + 20, 30_000, "sends acked again after the promotion");
    stop = true;
    await loop;

    // The audit, on the promoted server: every ack at its position, positions 1..top once each.
    const rows = await replica.query<{ seq: number; client_id: string }>(
      "SELECT seq::int AS seq, client_id FROM messages WHERE room = 'failover' ORDER BY seq",
    );
    const stored = new Map(rows.map((r) => [r.client_id, r.seq]));
    for (const [clientId, seq] of acked) assert.equal(stored.get(clientId), seq, `acked ${clientId} at ${seq}`);
    assert.deepEqual(rows.map((r) => r.seq), rows.map((_, i) => i + 1), "no seq skipped or used twice");
    assert.equal(new Set(rows.map((r) => r.client_id)).size, rows.length, "no message stored twice");
    const other = [...refused.keys()].filter((k) => k !== "unavailable" && k !== "timeout");
    assert.deepEqual(other, [], "sends were refused only as unavailable");
  });
});

