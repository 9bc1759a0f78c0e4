/**
 * The browser client's threads (client/src/state/thread.ts, threadPanel.ts) driven from
 * Node against a real server, with a history page small enough that a thread reaches back
 * past the room's loaded window: the panel pages older replies, reacts to one the room's
 * log does not hold, sends replies through the room's outbox, follows and unfollows, and
 * raises an alert only for a followed thread that is not open.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ChatClient } from "../../client/src/state/chat.js";
import { timeline } from "../../client/src/state/thread.js";
import { call, closeAll, connect, eventually } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startNode, type RunningNode } from "../helpers/node.js";

let db: TestDatabase;
let node: RunningNode;
let bob: ChatClient | undefined;
before(async () => {
  db = await createTestDatabase("clthreads");
  node = await startNode({ DATABASE_URL: db.url, HISTORY_LIMIT: "4", RATE_LIMIT_SENDS: "10000" });
});
after(async () => {
  bob?.stop();
  closeAll();
  await node.stop();
  await db.drop();
});

test("the thread panel's state against a server: paging, reactions, replies, follows, alerts", async () => {
  const ann = await connect(node.url, { username: "ann" });
  assert.equal((await call(ann, "room:join", { room: "t" })).ok, true);
  await call(ann, "message:send", { room: "t", body: "root", clientId: "r" });
  for (let i = 1; i <= 6; i++) await call(ann, "message:send", { room: "t", body: `re ${i}`, clientId: `a${i}`, threadOf: 1 });
  for (let i = 1; i <= 4; i++) await call(ann, "message:send", { room: "t", body: `chat ${i}`, clientId: `c${i}` });

  bob = new ChatClient({ url: node.url, credentials: { username: "bob" }, socketOptions: { transports: ["websocket"] } });
  const b = bob;
  b.start();
  await eventually(() => b.conn === "connected", 5000, "bob connected");
  assert.equal(await b.openRoom("t"), undefined);
  const room = b.rooms.get("t")!;
  assert.ok(timeline(room.log.messages()).every((m) => m.threadOf === undefined));
  assert.equal(room.log.get(2), undefined, "the first reply is older than the room's window");

  const thread = b.threads.open("t", 1);
  await eventually(() => thread.loaded, 5000, "the first page");
  assert.deepEqual(
    thread.replies().map((m) => m.body),
    ["re 3", "re 4", "re 5", "re 6"],
  );
  assert.equal(thread.hasMore, true);
  assert.equal(thread.rootMessage()?.replyCount, 6);
  assert.equal(thread.isFollowing(), false, "bob has not taken part");
  await thread.load(true);
  assert.deepEqual(
    thread.replies().map((m) => m.body),
    ["re 1", "re 2", "re 3", "re 4", "re 5", "re 6"],
  );
  assert.equal(thread.hasMore, false);

  // A reaction to a reply the room's log does not hold, settled by the server.
  const first = thread.replies()[0]!;
  await thread.reactFetched(first.seq, "👍");
  assert.deepEqual(thread.replies()[0]!.reactions, { "👍": ["bob"] });

  // A reply goes through the room's outbox, stays off the timeline, and makes bob follow.
  b.send("t", "bob here", 1);
  assert.equal(thread.outgoing().length, 1);
  assert.equal(room.log.outgoing().filter((o) => o.threadOf === undefined).length, 0);
  await eventually(() => thread.replies().some((m) => m.body === "bob here"), 5000, "bob's reply stored");
  assert.equal(thread.outgoing().length, 0);
  assert.ok(timeline(room.log.messages()).every((m) => m.body !== "bob here"));
  assert.equal(thread.isFollowing(), true);
  await eventually(() => thread.rootMessage()?.replyCount === 7, 5000, "the root's summary");

  // ann's next reply reaches the open thread without an alert; with it closed, an alert.
  await call(ann, "message:send", { room: "t", body: "seen in the panel", clientId: "a7", threadOf: 1 });
  await eventually(() => thread.replies().some((m) => m.body === "seen in the panel"), 5000, "the live reply");
  b.threads.close();
  await call(ann, "message:send", { room: "t", body: "while closed", clientId: "a8", threadOf: 1 });
  await eventually(() => b.mentionAlerts.some((a) => a.reply && a.root === 1 && a.from === "ann"), 5000, "a reply alert");

  // Unfollowed: the server says so on the next open, and no alert comes.
  const again = b.threads.open("t", 1);
  await eventually(() => again.loaded, 5000, "the thread again");
  assert.equal(await again.setFollowing(false), undefined);
  assert.equal(again.isFollowing(), false);
  b.threads.close();
  const alerts = b.mentionAlerts.length;
  const unread = room.log.unread();
  await call(ann, "message:send", { room: "t", body: "unfollowed", clientId: "a9", threadOf: 1 });
  await call(ann, "message:send", { room: "t", body: "in the room", clientId: "c9" });
  await eventually(() => room.log.messages().some((m) => m.body === "in the room"), 5000, "the room message");
  assert.equal(b.mentionAlerts.length, alerts);
  assert.equal(room.log.unread(), unread + 1, "the reply in an unfollowed thread does not count");
  const reopened = b.threads.open("t", 1);
  await eventually(() => reopened.loaded, 5000, "the thread once more");
  assert.equal(reopened.isFollowing(), false);
});
