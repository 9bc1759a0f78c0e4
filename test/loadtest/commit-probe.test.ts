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
  const probe = await CommitProbe.start(db.url, 20);
  await sleep(600);
  const first = probe.take();
  assert.ok(first.commits >= 5 && first.commits <= 31, `${first.commits} commits in 0.6 s at one per 20 ms`);
  assert.ok(first.p50Ms > 0 && first.p50Ms <= first.p99Ms && first.p99Ms <= first.maxMs, JSON.stringify(first));
  assert.ok(first.over50Ms >= 0 && first.over50Ms <= first.commits);
  assert.match(describeCommits(first), /^p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms, \d+ of [\d,]+ over 50 ms$/);
  await sleep(300);
  const second = probe.take();
  assert.ok(second.commits >= 2 && second.commits <= 16, `${second.commits} commits in the next 0.3 s`);
  const stored = await queryDb<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM commit_probe_${process.pid}`);
  assert.ok(stored[0]!.n >= first.commits + second.commits, "every timed commit is stored");
  await probe.destroy();
  await probe.destroy();
  const left = await queryDb(db.url, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'commit_probe_%'");
  assert.deepEqual(left, []);
  assert.equal(describeCommits(probe.take()), "no commits");
});
