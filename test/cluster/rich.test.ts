/** Rich messaging across two nodes: edit, delete, react, mentions, search, and recovery by since. */
import assert from "node:assert/strict";
import { after, afterEach, before, test } from "node:test";
import type { Message } from "../../src/shared/protocol.js";
import { call, closeAll, collect, connect, eventually, sleep, waitFor } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, startNodes, stopNodes, uniquePrefix, type RunningNode } from "../helpers/node.js";

let db: TestDatabase;
const nodes: RunningNode[] = [];
let n = 0;
const room = () => `rich-${++n}`;

before(async () => {
  db = await createTestDatabase("rich");
  await startNodes(nodes, clusterEnv(db.url, uniquePrefix("rich"), { RATE_LIMIT_SENDS: "10000" }), ["rich-a", "rich-b"]);
});
after(() => stopNodes(nodes, db));
afterEach(() => closeAll());

const on = (i: number, username: string) => connect(nodes[i]!.url, { username });

async function joined(r: string, ...clients: Awaited<ReturnType<typeof on>>[]) {
  for (const c of clients) assert.equal((await call(c, "room:join", { room: r })).ok, true);
}

test("edit, delete and react: author rules, positions in the log, updates on the other node", async () => {
  const r = room();
  const [ann, bob, eve] = [await on(0, "ann"), await on(1, "bob"), await on(1, "eve")];
  await joined(r, ann, bob, eve);
  const sent = await call(ann, "message:send", { room: r, body: "helo", clientId: "e1" });
  const seq = sent.message.seq;
  assert.equal(seq, 1);
  const updates = collect(bob, "message:updated");

  const edited = await call(ann, "message:edit", { room: r, seq, body: " hello " });
  assert.equal(edited.ok, true);
  assert.equal(edited.message.body, "hello");
  assert.ok(edited.message.editedAt);
  assert.equal(edited.message.updateSeq, 2);

  // A third user, through every event that changes a message.
  assert.equal((await call(eve, "message:edit", { room: r, seq, body: "pwned" })).error.code, "forbidden");
  assert.equal((await call(eve, "message:delete", { room: r, seq })).error.code, "forbidden");
  // Reacting is for everyone.
  const liked = await call(eve, "message:react", { room: r, seq, emoji: "👍", on: true });
  assert.deepEqual(liked.message.reactions, { "👍": ["eve"] });
  assert.equal(liked.message.updateSeq, 3);
  const again = await call(eve, "message:react", { room: r, seq, emoji: "👍", on: true });
  assert.equal(again.ok, true); // no change: acked, no position
  assert.equal(again.message.updateSeq, 3);
  const offAlready = await call(bob, "message:react", { room: r, seq, emoji: "🎉", on: false });
  assert.equal(offAlready.ok, true);

  // Error paths.
  assert.equal((await call(ann, "message:edit", { room: r, seq: 99, body: "x" })).error.code, "not_found");
  assert.equal((await call(ann, "message:edit", { room: r, seq, body: "   " })).error.code, "invalid_payload");
  assert.equal((await call(ann, "message:react", { room: r, seq, emoji: "ab", on: true })).error.code, "invalid_payload");
  assert.equal((await call(ann, "message:react", { room: r, seq, emoji: "👍👍", on: true })).error.code, "invalid_payload");
  assert.equal((await call(ann, "message:delete", { room: room(), seq: 1 })).error.code, "not_joined");

  assert.deepEqual(await call(ann, "message:delete", { room: r, seq }), { ok: true });
  assert.equal((await call(ann, "message:edit", { room: r, seq, body: "back" })).error.code, "not_found");
  assert.equal((await call(eve, "message:react", { room: r, seq, emoji: "👍", on: false })).error.code, "not_found");

  await eventually(() => updates.length >= 3, 5000, "three updates on node B");
  await sleep(100);
  assert.deepEqual(updates.map((u) => [u.seq, u.updateSeq]), [[1, 2], [1, 3], [1, 4]]);
  const tomb = updates[2]!.message as Message;
  assert.equal(tomb.deleted, true);
  assert.equal(tomb.body, "");
  assert.equal(tomb.reactions, undefined);

  // History shows the current state; the body is erased in storage.
  const h = await call(bob, "room:history", { room: r });
  assert.deepEqual(h.messages.map((m: Message) => [m.seq, m.deleted, m.body]), [[1, true, ""]]);
  // The next new message takes the position after the changes.
  assert.equal((await call(bob, "message:send", { room: r, body: "next", clientId: "n" })).message.seq, 5);
});

test("a client offline during edits and reactions recovers the current state with since", async () => {
  const r = room();
  const [ann, bob] = [await on(0, "ann"), await on(1, "bob")];
  await joined(r, ann, bob);
  for (let i = 1; i <= 3; i++) await call(ann, "message:send", { room: r, body: `m${i}`, clientId: `o${i}` });
  bob.close(); // saw positions 1..3
  await call(ann, "message:edit", { room: r, seq: 1, body: "m1 edited" }); // 4
  await call(ann, "message:edit", { room: r, seq: 1, body: "m1 edited twice" }); // 5
  await call(ann, "message:react", { room: r, seq: 2, emoji: "🎉", on: true }); // 6
  await call(ann, "message:send", { room: r, body: "m4", clientId: "o4" }); // 7
  await call(ann, "message:delete", { room: r, seq: 3 }); // 8
  const back = await on(1, "bob");
  const j = await call(back, "room:join", { room: r, since: 3 });
  assert.equal(j.lastSeq, 8);
  assert.equal(j.hasMore, false);
  assert.deepEqual(
    j.messages.map((m: Message) => [m.seq, m.updateSeq ?? null, m.body, m.reactions ?? null, m.deleted ?? false]),
    [
      [1, 5, "m1 edited twice", null, false],
      [2, 6, "m2", { "🎉": ["ann"] }, false],
      [7, null, "m4", null, false],
      [3, 8, "", null, true],
    ],
  );
  const none = await call(back, "room:join", { room: r, since: 8 });
  assert.deepEqual(none.messages, []);
});

test("concurrent reactions from many users end with the right counts", async () => {
  const r = room();
  const author = await on(0, "author");
  await joined(r, author);
  const { message } = await call(author, "message:send", { room: r, body: "react to me", clientId: "rx" });
  const users = [];
  for (let i = 0; i < 24; i++) {
    const c = await on(i % 2, `fan${i}`);
    await joined(r, c);
    users.push(c);
  }
  const emojis = ["👍", "❤️", "🎉"];
  await Promise.all(
    users.flatMap((c) => emojis.map((emoji) => call(c, "message:react", { room: r, seq: message.seq, emoji, on: true }))),
  );
  // Half of them take their 👍 back, concurrently with a second (no-op) 🎉.
  await Promise.all(
    users.flatMap((c, i) => [
      ...(i % 2 === 0 ? [call(c, "message:react", { room: r, seq: message.seq, emoji: "👍", on: false })] : []),
      call(c, "message:react", { room: r, seq: message.seq, emoji: "🎉", on: true }),
    ]),
  );
  const h = await call(author, "room:history", { room: r });
  const final = h.messages[0] as Message;
  assert.equal(final.reactions!["❤️"]!.length, 24);
  assert.equal(final.reactions!["🎉"]!.length, 24);
  assert.deepEqual([...final.reactions!["👍"]!].sort(), users.map((_, i) => `fan${i}`).filter((_, i) => i % 2 === 1).sort());
  // 72 + 12 real changes, each with its own position after the message.
  assert.equal(final.updateSeq, 1 + 72 + 12);
  const j = await call(author, "room:join", { room: r, since: 0 });
  assert.equal(j.lastSeq, 85);
});

test("mentions reach the user on any node and count in rooms:list; DMs mention only participants", async () => {
  const r = room();
  const [ann, bob] = [await on(0, "ann"), await on(1, "bob")];
  await joined(r, ann);
  const ping = waitFor(bob, "mention"); // bob has not even joined the room
  const { message } = await call(ann, "message:send", { room: r, body: "hey @bob, look (cc @ann)", clientId: "mm" });
  assert.deepEqual(await ping, { room: r, seq: message.seq, from: "ann" });
  await joined(r, bob);
  const list = await call(bob, "rooms:list", {});
  assert.deepEqual(list.rooms.find((x: { room: string }) => x.room === r), { room: r, lastSeq: 1, readSeq: 0, unread: 1, mentions: 1, unreadThreads: 0 });
  await call(bob, "message:read", { room: r, seq: 1 });
  const after1 = await call(bob, "rooms:list", {});
  assert.equal(after1.rooms.find((x: { room: string }) => x.room === r).mentions, 0);
  // In a DM, mentioning an outsider tells the outsider nothing.
  const carol = await on(1, "carol");
  const carolHears = collect(carol, "mention");
  const { room: dm } = await call(ann, "dm:open", { user: "bob" });
  await joined(dm, ann);
  await call(ann, "message:send", { room: dm, body: "@carol should not know", clientId: "dm1" });
  await sleep(200);
  assert.deepEqual(carolHears, []);
});

test("search: newest first, paginated, scoped, never others' DMs", async () => {
  const r1 = room();
  const r2 = room();
  const [ann, bob, eve] = [await on(0, "ann"), await on(1, "bob"), await on(0, "eve")];
  await joined(r1, ann);
  await joined(r2, ann);
  for (let i = 1; i <= 5; i++) await call(ann, "message:send", { room: r1, body: `the zebra number ${i}`, clientId: `z${i}` });
  await call(ann, "message:send", { room: r2, body: "another zebra elsewhere", clientId: "z6" });
  await call(ann, "message:send", { room: r1, body: "an unrelated line", clientId: "z7" });
  const { room: dm } = await call(ann, "dm:open", { user: "bob" });
  await joined(dm, ann);
  await call(ann, "message:send", { room: dm, body: "secret zebra plans", clientId: "z8" });

  const p1 = await call(ann, "messages:search", { room: r1, query: "zebra", limit: 3 });
  assert.deepEqual(p1.messages.map((m: Message) => m.seq), [5, 4, 3]);
  assert.equal(p1.hasMore, true);
  const p2 = await call(ann, "messages:search", { room: r1, query: "zebra", limit: 3, before: p1.nextBefore });
  assert.deepEqual(p2.messages.map((m: Message) => m.seq), [2, 1]);
  assert.equal(p2.hasMore, false);

  const all = await call(bob, "messages:search", { query: "zebra" });
  assert.deepEqual(all.messages.map((m: Message) => m.body)[0], "secret zebra plans"); // bob's own DM
  assert.equal(all.messages.length, 7);
  const eves = await call(eve, "messages:search", { query: "zebra plans" });
  assert.deepEqual(eves.messages, []);
  assert.equal((await call(eve, "messages:search", { room: dm, query: "zebra" })).error.code, "forbidden");
  assert.equal((await call(eve, "messages:search", { query: "   " })).error.code, "invalid_payload");
  assert.equal((await call(eve, "messages:search", { query: "x", limit: 51 })).error.code, "invalid_payload");
  // Websearch syntax is safe: quotes, minus, SQL.
  const odd = await call(eve, "messages:search", { query: `"zebra number" -3 '; DROP TABLE messages; --` });
  assert.equal(odd.ok, true);
  // A deleted message is no longer found.
  await call(ann, "message:delete", { room: r1, seq: 5 });
  const p3 = await call(ann, "messages:search", { room: r1, query: "zebra", limit: 1 });
  assert.deepEqual(p3.messages.map((m: Message) => m.seq), [4]);
});
