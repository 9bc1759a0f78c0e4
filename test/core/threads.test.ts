/** Threads on the embedded database (PGlite): chat_append's reply path and the thread reads there too. */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { call, closeAll, connect } from "../helpers/client.js";
import { startNode, tempDir, type RunningNode } from "../helpers/node.js";

let srv: RunningNode | undefined;
after(async () => {
  closeAll();
  await srv?.stop();
});

test("on PGlite: replies, the root's summary, refusals, thread:history, follows", async () => {
  srv = await startNode({ DATA_DIR: tempDir("pglite-threads"), RATE_LIMIT_SENDS: "1000" });
  const [ann, bob] = [await connect(srv.url, { username: "ann" }), await connect(srv.url, { username: "bob" })];
  for (const c of [ann, bob]) assert.equal((await call(c, "room:join", { room: "t" })).ok, true);
  await call(ann, "message:send", { room: "t", body: "root", clientId: "r" });
  const acks = await Promise.all([1, 2, 3].map((i) => call(bob, "message:send", { room: "t", body: `re ${i}`, clientId: `b${i}`, threadOf: 1 })));
  assert.deepEqual(acks.map((a) => a.message.threadOf), [1, 1, 1]);
  const nested = await call(ann, "message:send", { room: "t", body: "re re", clientId: "a", threadOf: acks[0].message.seq });
  assert.equal(nested.message.threadOf, 1);
  assert.equal((await call(ann, "message:send", { room: "t", body: "x", clientId: "x", threadOf: 42 })).error.code, "not_found");
  const page = await call(bob, "thread:history", { room: "t", root: 1, limit: 3 });
  assert.equal(page.root.replyCount, 4);
  assert.deepEqual(page.root.repliers, ["bob", "ann"]);
  assert.equal(page.root.updateSeq, 9);
  assert.equal(page.messages.length, 3);
  assert.equal(page.hasMore, true);
  assert.equal(page.following, true, "a replier follows");
  assert.equal((await call(bob, "thread:follow", { room: "t", root: 1, on: false })).ok, true);
  assert.equal((await call(bob, "thread:history", { room: "t", root: 1 })).following, false, "unfollowed by hand");
  const list = await call(bob, "rooms:list", {});
  assert.deepEqual([list.rooms[0].unread, list.rooms[0].unreadThreads], [1, 0]); // the root only
  // The root's author follows from the first reply on, and an unfollow by hand sticks.
  assert.equal((await call(ann, "thread:follow", { room: "t", root: 1, on: false })).ok, true);
  assert.equal((await call(bob, "message:send", { room: "t", body: "re 4", clientId: "b4", threadOf: 1 })).ok, true);
  assert.equal((await call(ann, "thread:history", { room: "t", root: 1 })).following, false, "the author's unfollow holds");
  const root2 = (await call(bob, "message:send", { room: "t", body: "root 2", clientId: "r2" })).message.seq;
  assert.equal((await call(ann, "message:send", { room: "t", body: "re", clientId: "a2", threadOf: root2 })).ok, true);
  assert.equal((await call(bob, "thread:history", { room: "t", root: root2 })).following, true, "the author follows at the first reply");
});
