/**
 * Growth and recovery through real nodes on real PostgreSQL: MESSAGE_RETENTION_DAYS as a
 * client sees it (firstSeq), and pg_dump / pg_restore of a running node's database into a
 * new one that a node then serves with every seq intact (docs/deploy.md).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { createPgDb } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrations.js";
import { maintainPartitions } from "../../src/store/retention.js";
import { call, closeAll, connect } from "../helpers/client.js";
import { createTestDatabase, queryDb, type TestDatabase } from "../helpers/db.js";
import { startNode, tempDir, type RunningNode } from "../helpers/node.js";

const run = promisify(execFile);
const nodes: RunningNode[] = [];
const dbs: TestDatabase[] = [];
after(async () => {
  closeAll();
  for (const n of nodes) await n.stop();
  for (const d of dbs) await d.drop();
});

async function newDatabase(label: string): Promise<TestDatabase> {
  const d = await createTestDatabase(label);
  dbs.push(d);
  return d;
}

async function node(env: Record<string, string>): Promise<RunningNode> {
  const n = await startNode(env);
  nodes.push(n);
  return n;
}

test("with MESSAGE_RETENTION_DAYS, join, since and history start at the first kept seq and say so", async () => {
  const tdb = await newDatabase("expire");
  const db = createPgDb(tdb.url, 2, () => {});
  try {
    await migrate(db);
    await db.query("INSERT INTO rooms (name, last_seq) VALUES ('attic', 8)");
    await db.query(
      `INSERT INTO messages (room, seq, user_name, body, client_id, created_at)
       SELECT 'attic', g, 'old', 'm' || g, 'c' || g, now() - (CASE WHEN g <= 5 THEN 40 ELSE 0 END) * interval '1 day'
         FROM generate_series(1, 8) g`,
    );
    // The 40-day-old rows landed in the default partition; the first run gives them a week.
    await maintainPartitions(db, undefined);
  } finally {
    await db.close();
  }
  const n = await node({ DATABASE_URL: tdb.url, MESSAGE_RETENTION_DAYS: "33" });
  // The node's upkeep runs at startup: wait for it (no timing assumed).
  for (;;) {
    const [room] = await queryDb<{ first_seq: number }>(tdb.url, "SELECT first_seq FROM rooms WHERE name = 'attic'");
    if (room!.first_seq > 1) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const ann = await connect(n.url, { username: "ann" });
  const joined = await call(ann, "room:join", { room: "attic" });
  assert.deepEqual(
    [joined.messages.map((m: { seq: number }) => m.seq), joined.firstSeq, joined.hasMore, joined.lastSeq],
    [[6, 7, 8], 6, false, 8],
  );
  const since = await call(ann, "room:join", { room: "attic", since: 2 });
  assert.deepEqual([since.messages.map((m: { seq: number }) => m.seq), since.firstSeq], [[6, 7, 8], 6]);
  const history = await call(ann, "room:history", { room: "attic", before: 7 });
  assert.deepEqual([history.messages, history.hasMore, history.firstSeq], [[joined.messages[0]], false, 6]);
  const sent = await call(ann, "message:send", { room: "attic", body: "still here", clientId: "k1" });
  assert.equal(sent.message.seq, 9);
});

test("pg_dump of a running node's database, restored into a new one: a node serves it with every seq intact", async () => {
  const source = await newDatabase("dump");
  // Sends as fast as acks come back, during the dump: no send limit in the way.
  const a = await node({ DATABASE_URL: source.url, RATE_LIMIT_SENDS: "1000000", EVENT_RATE_LIMIT: "0" });
  const ann = await connect(a.url, { username: "ann" });
  await call(ann, "room:join", { room: "lobby" });
  for (let i = 1; i <= 30; i++) await call(ann, "message:send", { room: "lobby", body: `before ${i}`, clientId: `b${i}` });

  // Sends go on while pg_dump runs: the dump is one snapshot, whatever it catches.
  const dumpFile = path.join(tempDir("dump"), "chat.dump");
  let sending = true;
  const writes = (async () => {
    for (let i = 1; sending; i++) {
      const ack = await call(ann, "message:send", { room: "lobby", body: `during ${i}`, clientId: `d${i}` });
      assert.equal(ack.ok, true, JSON.stringify(ack));
    }
  })();
  await run("pg_dump", ["--format=custom", "--file", dumpFile, source.url]);
  sending = false;
  await writes;

  const target = await newDatabase("restore");
  await run("pg_restore", ["--no-owner", "--exit-on-error", "--dbname", target.url, dumpFile]);
  fs.rmSync(path.dirname(dumpFile), { recursive: true, force: true });
  const [restored] = await queryDb<{ last_seq: number; n: number; top: number }>(
    target.url,
    "SELECT r.last_seq::int, count(m.*)::int AS n, max(m.seq)::int AS top FROM rooms r JOIN messages m ON m.room = r.name WHERE r.name = 'lobby' GROUP BY r.last_seq",
  );
  assert.ok(restored!.last_seq >= 30);
  assert.deepEqual([restored!.n, restored!.top], [restored!.last_seq, restored!.last_seq], "seqs 1..last_seq, no hole");

  const b = await node({ DATABASE_URL: target.url });
  const bob = await connect(b.url, { username: "bob" });
  const since = await call(bob, "room:join", { room: "lobby", since: 25 });
  const expected = Array.from({ length: restored!.last_seq - 25 }, (_, i) => 26 + i);
  assert.deepEqual(since.messages.map((m: { seq: number }) => m.seq), expected);
  assert.deepEqual([since.lastSeq, since.firstSeq], [restored!.last_seq, 1]);
  const page = await call(bob, "room:history", { room: "lobby", before: 11, limit: 10 });
  assert.deepEqual(page.messages.map((m: { body: string }) => m.body), Array.from({ length: 10 }, (_, i) => `before ${i + 1}`));
  // A retry of a send the dump holds is recognised; a new send follows the restored last seq.
  const annAgain = await connect(b.url, { username: "ann" });
  await call(annAgain, "room:join", { room: "lobby" });
  const retry = await call(annAgain, "message:send", { room: "lobby", body: "x", clientId: "b30" });
  assert.equal(retry.message.seq, 30);
  const next = await call(bob, "message:send", { room: "lobby", body: "after restore", clientId: "a1" });
  assert.equal(next.message.seq, restored!.last_seq + 1);
});
