import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Message } from "../../../src/shared/wire.js";
import { RoomLog } from "./roomLog.js";
import { newer, replyCountText, RoomThreads, timeline } from "./thread.js";

const ROOM = "general";

function msg(seq: number, user = "bob", extra: Partial<Message> = {}): Message {
  return { room: ROOM, seq, user, body: `m${seq}`, clientId: `c${seq}`, createdAt: new Date(1e12 + seq * 1000).toISOString(), ...extra };
}

/** A log for alice holding `messages`, read up to `readSeq`, with its unread counts tied to `threads`. */
function logOf(messages: Message[], readSeq = 0): { log: RoomLog; threads: RoomThreads } {
  const log = new RoomLog(ROOM, "alice");
  const threads = new RoomThreads();
  log.counts = (m) => threads.counts(log, m);
  const lastSeq = Math.max(0, ...messages.map((m) => Math.max(m.seq, m.updateSeq ?? 0)));
  log.applyJoin({ room: ROOM, messages, members: [], readSeq, lastSeq, hasMore: false }, undefined);
  return { log, threads };
}

describe("timeline", () => {
  test("leaves replies out, keeps the same array when there are none, and caches per array", () => {
    const plain = [msg(1), msg(2)];
    assert.equal(timeline(plain), plain);
    const mixed = [msg(1), msg(2, "bob", { threadOf: 1 }), msg(3)];
    assert.deepEqual(
      timeline(mixed).map((m) => m.seq),
      [1, 3],
    );
    assert.equal(timeline(mixed), timeline(mixed));
  });

  test("texts and newest states", () => {
    assert.equal(replyCountText(1), "1 reply");
    assert.equal(replyCountText(4), "4 replies");
    const a = msg(1, "bob", { updateSeq: 5 });
    const b = msg(1, "bob", { updateSeq: 7, body: "edited" });
    assert.equal(newer(a, b), b);
    assert.equal(newer(b, a), b);
    assert.equal(newer(undefined, a), a);
  });
});

describe("following", () => {
  test("the root's author, a replier and a mentioned user follow; others do not", () => {
    const { log, threads } = logOf([
      msg(1, "alice", { replyCount: 1 }),
      msg(2, "bob", { threadOf: 1 }),
      msg(3, "carol"),
      msg(4, "dan", { threadOf: 3 }),
      msg(5, "erin"),
      msg(6, "dan", { threadOf: 5, body: "hey @alice" }),
      msg(7, "frank"),
      msg(8, "alice", { threadOf: 7 }),
    ]);
    assert.deepEqual([...threads.followed(log)].sort(), [1, 5, 7]);
    assert.equal(threads.follows(log, 3), false);
  });

  test("a root's author who unfollowed stays unfollowed through others' replies, not through their own", () => {
    const { log, threads } = logOf([msg(1, "alice", { replyCount: 1 }), msg(2, "bob", { threadOf: 1 })]);
    threads.setFollowing(1, false, 2);
    log.applyNew(msg(3, "bob", { threadOf: 1 }));
    assert.equal(threads.follows(log, 1), false);
    log.applyNew(msg(4, "alice", { threadOf: 1 }));
    assert.equal(threads.follows(log, 1), true);
  });

  test("the server's word holds until a later reply makes this user follow again", () => {
    const { log, threads } = logOf([msg(1, "carol"), msg(2, "alice", { threadOf: 1 })]);
    assert.equal(threads.follows(log, 1), true);
    threads.setFollowing(1, false, 2);
    assert.equal(threads.follows(log, 1), false, "unfollowed by hand");
    log.applyNew(msg(3, "bob", { threadOf: 1 }));
    assert.equal(threads.follows(log, 1), false, "someone else's reply does not change it");
    log.applyNew(msg(4, "alice", { threadOf: 1 }));
    assert.equal(threads.follows(log, 1), true, "replying follows again");
    threads.setFollowing(9, true, 4);
    assert.equal(threads.follows(log, 9), true, "followed by hand without replies loaded");
  });
});

describe("unread", () => {
  test("replies count in the room's unread only in followed threads", () => {
    const { log, threads } = logOf([msg(1, "carol"), msg(2, "bob", { threadOf: 1 }), msg(3, "bob")]);
    assert.equal(log.unread(), 2, "the root and bob's message, not the reply");
    assert.equal(threads.unreadThreads(log), 0);
    threads.setFollowing(1, true, 3);
    assert.equal(log.unread(), 3);
    assert.equal(threads.unreadThreads(log), 1);
    log.applyNew(msg(4, "dan", { threadOf: 1 }));
    assert.equal(threads.unreadThreads(log), 1, "one thread, however many replies");
    log.markRead(4);
    assert.equal(threads.unreadThreads(log), 0, "the room's read marker covers its threads");
  });

  test("the rooms:list count stands until the read marker passes it", () => {
    const { log, threads } = logOf([msg(1, "carol")]);
    threads.setListUnread(2, 10);
    assert.equal(threads.unreadThreads(log), 2);
    log.markRead(10);
    assert.equal(threads.unreadThreads(log), 0);
  });

  test("this user's own replies and deleted ones do not make a thread unread", () => {
    const { log, threads } = logOf([msg(1, "alice", { replyCount: 2 }), msg(2, "alice", { threadOf: 1 }), msg(3, "bob", { threadOf: 1, deleted: true })]);
    assert.equal(threads.follows(log, 1), true);
    assert.equal(threads.unreadThreads(log), 0);
  });
});
