/** The bench's commit probe against a real PostgreSQL: it commits, measures, and leaves nothing behind. */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import { CommitProbe, describeCommits } from "../../loadtest/bench/commit-probe.js";
import { createTestDatabase, queryDb, type TestDatabase } from "../helpers/db.js";

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase("probe");
});
after(() => db.drop());

test("the commit probe commits at its pace, reports each interval afresh, and drops its table", async () => {
  // At most one commit starts per 20 ms however slow the machine (18: timers may fire a
  // little early), and at least one is made.
  const paced = (n: number, fromMs: number, toMs: number) => n >= 1 && n <= Math.floor((toMs - fromMs) / 18) + 2;
  const t0 = performance.now();
  const probe = await CommitProbe.start(db.url, 20);
  await sleep(600);
  const t1 = performance.now();
  const first = probe.take();
  assert.ok(paced(first.commits, t0, t1), `${first.commits} commits in ${Math.round(t1 - t0)} ms at one per 20 ms`);
  assert.ok(first.p50Ms > 0 && first.p50Ms <= first.p99Ms && first.p99Ms <= first.maxMs, JSON.stringify(first));
  assert.ok(first.over50Ms >= 0 && first.over50Ms <= first.commits);
  assert.match(describeCommits(first), /^p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms, \d+ of [\d,]+ over 50 ms$/);
  await sleep(300);
  const t2 = performance.now();
  const second = probe.take();
  assert.ok(paced(second.commits, t1, t2), `${second.commits} commits in the next ${Math.round(t2 - t1)} ms`);
  const stored = await queryDb<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM commit_probe_${process.pid}`);
  assert.ok(stored[0]!.n >= first.commits + second.commits, "every timed commit is stored");
  await probe.destroy();
  await probe.destroy();
  const left = await queryDb(db.url, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'commit_probe_%'");
  assert.deepEqual(left, []);
  assert.equal(describeCommits(probe.take()), "no commits");
});
