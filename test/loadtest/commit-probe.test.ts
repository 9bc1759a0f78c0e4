/**
 * The bench's commit probe against a real PostgreSQL: it commits, measures, and leaves
 * nothing behind. Nothing here depends on how fast the machine is: the test waits for
 * commits to happen and stops the probe before it counts.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CommitProbe, describeCommits, type CommitStats } from "../../loadtest/bench/commit-probe.js";
import { eventually } from "../helpers/client.js";
import { createTestDatabase, queryDb, type TestDatabase } from "../helpers/db.js";

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase("probe");
});
after(() => db.drop());

const table = `commit_probe_${process.pid}`;
const storedRows = async () => (await queryDb<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM ${table}`))[0]!.n;

test("each take() reports only the commits since the last; every commit is stored; destroy drops the table", async () => {
  const probe = await CommitProbe.start(db.url, 5);
  const takes: CommitStats[] = [];
  await eventually(() => {
    takes.push(probe.take());
    return takes.filter((t) => t.commits > 0).length >= 2;
  }, 60_000, "two takes with commits");
  await probe.stop();
  takes.push(probe.take()); // what came after the last take, up to the stop
  const total = takes.reduce((n, t) => n + t.commits, 0);
  // Takes do not overlap and miss nothing: together they are exactly the rows written.
  assert.equal(total, await storedRows());
  for (const t of takes.filter((x) => x.commits > 0)) {
    assert.ok(t.p50Ms > 0 && t.p50Ms <= t.p99Ms && t.p99Ms <= t.maxMs, JSON.stringify(t));
    assert.ok(t.over50Ms >= 0 && t.over50Ms <= t.commits, JSON.stringify(t));
    assert.match(describeCommits(t), /^p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms, \d+ of [\d,]+ over 50 ms$/);
  }
  // Stopped: nothing more is committed or counted.
  assert.equal(describeCommits(probe.take()), "no commits");
  assert.equal(await storedRows(), total);
  await probe.destroy();
  await probe.destroy();
  const left = await queryDb(db.url, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'commit_probe_%'");
  assert.deepEqual(left, []);
});

test("the probe waits its interval between commits, and stop() does not wait it out", async () => {
  // An hour between commits: within this test the probe makes its first commit and waits.
  const probe = await CommitProbe.start(db.url, 3_600_000);
  try {
    await eventually(async () => (await storedRows()) === 1, 60_000, "the first commit");
    await probe.stop();
    assert.equal(probe.take().commits, 1);
    assert.equal(await storedRows(), 1);
  } finally {
    await probe.destroy();
  }
});
