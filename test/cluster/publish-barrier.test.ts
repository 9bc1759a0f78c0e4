/**
 * The wait a presence leave makes for its announcement's publish (cluster/publish-barrier.ts),
 * against the shared Redis: it covers every publish issued before it and none after, tells a
 * failure, and costs the same whatever is in flight, so that a node draining thousands of
 * connections (a publish and a wait per leave) does not run out of heap.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import { trackPublishes } from "../../src/cluster/publish-barrier.js";
import { REDIS_URL } from "../helpers/node.js";

const channel = `test-barrier-${randomBytes(4).toString("hex")}`;
let pub: Redis;
before(async () => {
  pub = new Redis(REDIS_URL, { lazyConnect: true });
  await pub.connect();
});
after(() => pub?.disconnect());

test("a wait resolves after every publish issued before it, true when all succeeded", async () => {
  const failures: unknown[] = [];
  const published = trackPublishes(pub, (err) => failures.push(err));
  assert.equal(await published(), true, "nothing in flight: at once");
  const answered: boolean[] = [];
  for (let i = 0; i < 200; i++) {
    const k = answered.push(false) - 1;
    void pub.publish(channel, `m${i}`).then(() => (answered[k] = true));
  }
  assert.equal(await published(), true);
  assert.deepEqual(answered.filter((a) => !a), [], "every earlier publish was answered first");
  assert.deepEqual(failures, []);
});

test("a publish issued after a wait is not waited for", async () => {
  const published = trackPublishes(pub, () => {});
  void pub.publish(channel, "before");
  const waited = published();
  // Redis answers in order on one connection: "before" is answered before the BLPOP, which
  // holds the connection (and so "after") until its timeout, nobody pushing to its key.
  const slow = pub.blpop(`${channel}-nothing`, 0.3);
  let afterAnswered = false;
  void pub.publish(channel, "after").then(() => (afterAnswered = true));
  assert.equal(await waited, true);
  assert.equal(afterAnswered, false, "the wait resolved while a later publish was still in flight");
  await slow;
});

test("a publish that fails makes the waits covering it answer false; later waits answer true", async () => {
  // Not connected and no offline queue: each publish is refused at once.
  const offline = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false });
  const failures: unknown[] = [];
  const published = trackPublishes(offline, (err) => failures.push(err));
  const refused = offline.publish(channel, "x").catch(() => "refused");
  assert.equal(await published(), false);
  assert.equal(await refused, "refused");
  assert.equal(failures.length, 1);
  assert.equal(await published(), true, "nothing in flight any more");
  offline.disconnect();
});

test("a wait per publish over 50,000 publishes in flight: each wait costs the same, all resolve true", async () => {
  // The drain of a node with 50,000 connections, one leave each. Waits that each collected
  // the publishes in flight held about 1.25 billion entries here, and the process died.
  const published = trackPublishes(pub, () => {});
  const waits: Promise<boolean>[] = [];
  for (let i = 0; i < 50_000; i++) {
    void pub.publish(channel, "leave");
    waits.push(published());
  }
  const answers = await Promise.all(waits);
  assert.equal(answers.length, 50_000);
  assert.ok(answers.every((a) => a === true));
});
