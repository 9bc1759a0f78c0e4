import assert from "node:assert/strict";
import { test } from "node:test";
import { JoinQueue } from "./joinQueue.js";

const tick = () => new Promise((r) => setImmediate(r));

test("JoinQueue: at most `limit` hold a slot; the rest start in order as slots free", async () => {
  const q = new JoinQueue(2);
  const started: number[] = [];
  const jobs = [1, 2, 3, 4, 5].map((n) => q.acquire().then(() => started.push(n)));
  await tick();
  assert.deepEqual(started, [1, 2]);
  assert.equal(q.inFlight, 2);
  assert.equal(q.queued, 3);
  q.release();
  await tick();
  assert.deepEqual(started, [1, 2, 3]);
  q.release();
  q.release();
  await tick();
  assert.deepEqual(started, [1, 2, 3, 4, 5]);
  assert.equal(q.inFlight, 2);
  q.release();
  q.release();
  await Promise.all(jobs);
  assert.equal(q.inFlight, 0);
  assert.equal(q.queued, 0);
});

test("JoinQueue: an urgent request goes before the ones already waiting", async () => {
  const q = new JoinQueue(1);
  const started: string[] = [];
  await q.acquire();
  void q.acquire().then(() => started.push("background-1"));
  void q.acquire().then(() => started.push("background-2"));
  void q.acquire(true).then(() => started.push("opened"));
  q.release();
  await tick();
  assert.deepEqual(started, ["opened"]);
  q.release();
  await tick();
  q.release();
  await tick();
  assert.deepEqual(started, ["opened", "background-1", "background-2"]);
});

test("JoinQueue: a bad limit or an unmatched release is refused", () => {
  assert.throws(() => new JoinQueue(0), RangeError);
  assert.throws(() => new JoinQueue(1.5), RangeError);
  assert.throws(() => new JoinQueue(1).release(), /without acquire/);
});

test("JoinQueue: a hold starts nothing until it ends; a longer hold extends a shorter one, a shorter one does not cut it", async () => {
  const q = new JoinQueue(2);
  const started: number[] = [];
  await q.acquire();
  q.holdFor(60);
  q.holdFor(10); // shorter: the 60 ms hold stands
  assert.equal(q.held, true);
  const jobs = [1, 2, 3].map((n) => q.acquire().then(() => started.push(n)));
  q.release(); // a slot frees during the hold: still nothing starts
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(started, []);
  assert.equal(q.queued, 3);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(q.held, false);
  assert.deepEqual(started, [1, 2], "both free slots filled when the hold ended");
  q.release();
  await Promise.all(jobs.slice(0, 3));
  assert.deepEqual(started, [1, 2, 3]);
});

test("JoinQueue: resume() ends a hold at once", async () => {
  const q = new JoinQueue(1);
  q.holdFor(10_000);
  const job = q.acquire();
  q.resume();
  await job;
  assert.equal(q.inFlight, 1);
  assert.equal(q.held, false);
});
