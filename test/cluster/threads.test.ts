/**
 * Threads across two nodes: replies are positions of the room's log, the root's summary a
 * `message:updated` position after each; catch-up with `since`, thread:history paging,
 * idempotent retries, unread counts that skip threads the reader does not follow, and the
 * template's dialect, which sees replies as ordinary lines.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, test } from "node:test";
import ioV2 from "socket.io-client-v2";
import { call, closeAll, collect, connect, eventually, waitFor } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, startNodes, stopNodes, uniquePrefix, type RunningNode } from "../helpers/node.js";

let db: TestDatabase;
const nodes: RunningNode[] = [];
let n = 0;
const room = () => `thr-${++n}`;

before(async () => {
  db = await createTestDatabase("threads");
  await startNodes(nodes, clusterEnv(db.url, uniquePrefix("threads"), { RATE_LIMIT_SENDS: "10000" }), ["thr-a", "thr-b"]);
});
after(() => stopNodes(nodes, db));
afterEach(() => closeAll());

const on = (i: number, username: string) => connect(nodes[i]!.url, { username });
type C = Awaited<ReturnType<typeof on>>;
async function joined(r: string, ...clients: C[]) {
  for (const c of clients) assert.equal((await call(c, "room:join", { room: r })).ok, true);
}
const send = (c: C, r: string, body: string, clientId: string, threadOf?: number) =>
  call(c, "message:send", { room: r, body, clientId, threadOf });

test("a reply across two nodes: its own position, then the root's summary at the next", async () => {
  const r = room();
  const [ann, bob] = [await on(0, "ann"), await on(1, "bob")];
  await joined(r, ann, bob);
  assert.equal((await send(ann, r, "root", "r1")).message.seq, 1);
  const annNew = waitFor(ann, "message:new", (m) => m.seq === 2);
  const annUpd = waitFor(ann, "message:updated", (u) => u.updateSeq === 3);

  const reply = await send(bob, r, "first reply", "b1", 1);
  assert.equal(reply.ok, true);
  assert.equal(reply.message.seq, 2);
  assert.equal(reply.message.threadOf, 1);
  assert.equal((await annNew).threadOf, 1);
  const upd = await annUpd;
  assert.equal(upd.seq, 1);
  assert.equal(upd.message.replyCount, 1);
  assert.deepEqual(upd.message.repliers, ["bob"]);
  assert.ok(upd.message.lastReplyAt);
  assert.equal(upd.message.updateSeq, 3);

  // A reply to a reply joins the same root; repliers are distinct, the latest last.
  const nested = await send(ann, r, "reply to the reply", "a2", 2);
  assert.equal(nested.message.threadOf, 1);
  assert.equal(nested.message.seq, 4);
  await send(bob, r, "again", "b3", 1);
  const hist = await call(ann, "room:history", { room: r });
  const root = hist.messages.find((m: { seq: number }) => m.seq === 1);
  assert.equal(root.replyCount, 3);
  assert.deepEqual(root.repliers, ["ann", "bob"]);
  assert.equal(root.updateSeq, 7);

  // Refused, nothing stored: a missing parent, a deleted root, a reply to a deleted reply.
  assert.equal((await send(ann, r, "to nothing", "x1", 99)).error.code, "not_found");
  assert.equal((await send(ann, r, "doomed", "d1")).message.seq, 8);
  assert.equal((await call(ann, "message:delete", { room: r, seq: 8 })).ok, true);
  assert.equal((await send(bob, r, "to a tombstone", "x2", 8)).error.code, "not_found");
  assert.equal((await send(ann, r, "invalid", "x3", 0)).error.code, "invalid_payload");
  const list = await call(ann, "rooms:list", {});
  assert.equal(list.rooms.find((x: { room: string }) => x.room === r).lastSeq, 9);
});

test("an idempotent retry of a reply takes no position and broadcasts nothing", async () => {
  const r = room();
  const [ann, bob] = [await on(0, "ann"), await on(1, "bob")];
  await joined(r, ann, bob);
  await send(ann, r, "root", "r1");
  const delivered = waitFor(ann, "message:updated", (u) => u.updateSeq === 3);
  const first = await send(bob, r, "reply", "same", 1);
  await delivered; // the first send's broadcasts reached the other node
  const seen = collect(ann, "message:new");
  const updates = collect(ann, "message:updated");
  const retry = await send(bob, r, "reply", "same", 1);
  assert.deepEqual(retry.message, first.message);
  // A later send proves the retry took no position and that nothing was broadcast for it.
  const next = await send(bob, r, "next", "n1");
  assert.equal(next.message.seq, 4);
  await eventually(() => seen.some((m) => m.seq === 4));
  assert.deepEqual(seen.map((m) => m.seq), [4]);
  assert.deepEqual(updates, []);
});

test("catch-up with since returns replies and the root's current summary", async () => {
  const r = room();
  const [ann, bob] = [await on(0, "ann"), await on(1, "bob")];
  await joined(r, ann, bob);
  await send(ann, r, "root", "r1");
  await send(ann, r, "plain", "p1");
  await send(bob, r, "reply one", "b1", 1);
  await send(bob, r, "reply two", "b2", 3);
  const carl = await on(1, "carl");
  const caught = await call(carl, "room:join", { room: r, since: 2 });
  assert.equal(caught.lastSeq, 6);
  assert.equal(caught.hasMore, false);
  // Reply one (3), reply two (5), then the root once, at its latest change (6).
  assert.deepEqual(caught.messages.map((m: { seq: number }) => m.seq), [3, 5, 1]);
  assert.deepEqual(caught.messages.map((m: { threadOf?: number }) => m.threadOf), [1, 1, undefined]);
  assert.equal(caught.messages[2].replyCount, 2);
  assert.equal(caught.messages[2].updateSeq, 6);
});

test("thread:history pages one thread, oldest first, with its root", async () => {
  const r = room();
  const [ann, bob] = [await on(0, "ann"), await on(1, "bob")];
  await joined(r, ann, bob);
  await send(ann, r, "root", "r1");
  await send(ann, r, "other root", "r2");
  const replies: number[] = [];
  for (let i = 0; i < 5; i++) replies.push((await send(i % 2 ? ann : bob, r, `reply ${i}`, `c${i}`, i === 2 ? 2 : 1)).message.seq);
  const mine = replies.filter((_, i) => i !== 2);
  const page1 = await call(bob, "thread:history", { room: r, root: 1, limit: 2 });
  assert.equal(page1.root.seq, 1);
  assert.equal(page1.root.replyCount, 4);
  assert.deepEqual(page1.messages.map((m: { seq: number }) => m.seq), mine.slice(2));
  assert.equal(page1.hasMore, true);
  const page2 = await call(bob, "thread:history", { room: r, root: 1, limit: 2, before: page1.messages[0].seq });
  assert.deepEqual(page2.messages.map((m: { seq: number }) => m.seq), mine.slice(0, 2));
  assert.equal(page2.hasMore, false);
  assert.equal((await call(bob, "thread:history", { room: r, root: 99 })).error.code, "not_found");
  // A reply is not a root.
  assert.equal((await call(bob, "thread:history", { room: r, root: replies[0] })).error.code, "not_found");
  assert.equal((await call(bob, "thread:history", { room: "dm:ann:carl", root: 1 })).error.code, "forbidden");
  assert.equal((await call(bob, "thread:history", { room: r, root: 1, limit: 101 })).error.code, "invalid_payload");
});

test("replies count as unread only in followed threads; rooms:list counts unread threads", async () => {
  const r = room();
  const [ann, bob, dan] = [await on(0, "ann"), await on(1, "bob"), await on(1, "dan")];
  await joined(r, ann, bob, dan);
  await send(ann, r, "root", "r1");
  for (const c of [bob, dan]) await call(c, "message:read", { room: r, seq: 1 });
  await call(ann, "message:read", { room: r, seq: 1 });
  await send(bob, r, "reply", "b1", 1); // ann follows her root, bob his reply
  const summary = async (c: C) => (await call(c, "rooms:list", {})).rooms.find((x: { room: string }) => x.room === r);
  assert.deepEqual([(await summary(ann)).unread, (await summary(ann)).unreadThreads], [1, 1]);
  assert.deepEqual([(await summary(dan)).unread, (await summary(dan)).unreadThreads], [0, 0]);
  assert.deepEqual([(await summary(bob)).unread, (await summary(bob)).unreadThreads], [0, 0]);
  // A mention in a reply makes dan follow the thread.
  await send(bob, r, "what do you think @dan", "b2", 1);
  assert.deepEqual([(await summary(dan)).unread, (await summary(dan)).unreadThreads], [2, 1]);
  assert.deepEqual([(await summary(ann)).unread, (await summary(ann)).unreadThreads], [2, 1]);
  // Following by hand, and unfollowing.
  assert.equal((await call(ann, "thread:follow", { room: r, root: 1, on: false })).ok, true);
  assert.deepEqual([(await summary(ann)).unread, (await summary(ann)).unreadThreads], [0, 0]);
  const eve = await on(0, "eve");
  await joined(r, eve);
  assert.equal((await summary(eve)).unread, 1); // the root only
  assert.equal((await call(eve, "thread:follow", { room: r, root: 1, on: true })).ok, true);
  assert.deepEqual([(await summary(eve)).unread, (await summary(eve)).unreadThreads], [3, 1]);
  assert.equal((await call(eve, "thread:follow", { room: r, root: 2, on: true })).error.code, "not_found"); // a reply
  assert.equal((await call(eve, "thread:follow", { room: r, root: 99, on: true })).error.code, "not_found");
  // A plain message counts for everyone as before.
  await send(ann, r, "not a reply", "a2");
  assert.equal((await summary(bob)).unread, 1);
  assert.equal((await summary(bob)).unreadThreads, 0);
});

test("the template's dialect gets replies as ordinary recieve_message lines", async () => {
  const r = "77";
  const ann = await on(0, "ann");
  await joined(r, ann);
  await send(ann, r, "root", "r1");
  const legacy = ioV2(nodes[1]!.url, { transports: ["websocket"], forceNew: true, reconnection: false });
  try {
    await new Promise<void>((resolve, reject) => {
      legacy.once("connect", () => resolve());
      legacy.once("connect_error", reject);
    });
    const rejoin = new Promise<unknown>((res) => legacy.once("rejoin_room", res));
    legacy.emit("joined_room", { username: "tina", room: r });
    await rejoin;
    const got = new Promise<unknown>((res) => legacy.once("recieve_message", res));
    await send(ann, r, "a <b>reply</b>", "a1", 1);
    assert.deepEqual(await got, { username: "ann", room: r, message: "a &lt;b&gt;reply&lt;/b&gt;" });
  } finally {
    legacy.close();
  }
});

test("replies committed in one batch keep every position accounted for", async () => {
  const r = room();
  const [ann, bob] = [await on(0, "ann"), await on(1, "bob")];
  await joined(r, ann, bob);
  await send(ann, r, "root", "r1");
  const news = collect(ann, "message:new");
  const updates = collect(ann, "message:updated");
  // Sent without waiting, so the node's writer groups them into few batches.
  const acks = await Promise.all(Array.from({ length: 8 }, (_, i) => send(bob, r, `r${i}`, `c${i}`, 1)));
  assert.ok(acks.every((a) => a.ok && a.message.threadOf === 1));
  await eventually(() => news.length === 8 && updates.length === 8);
  const positions = [...news.map((m) => m.seq), ...updates.map((u) => u.updateSeq)].sort((a, b) => a - b);
  assert.deepEqual(positions, Array.from({ length: 16 }, (_, i) => i + 2));
  const hist = await call(bob, "thread:history", { room: r, root: 1 });
  assert.equal(hist.root.replyCount, 8);
  assert.equal(hist.root.updateSeq, 17);
  assert.deepEqual(hist.root.repliers, ["bob"]);
});
