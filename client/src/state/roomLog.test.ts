import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { JoinResult, Message } from "../../../src/shared/wire.js";
import { RoomLog } from "./roomLog.js";

const ROOM = "general";
const T0 = Date.parse("2025-03-03T10:00:00Z");

function msg(seq: number, user = "bob", extra: Partial<Message> = {}): Message {
  return {
    room: ROOM,
    seq,
    user,
    body: `m${seq}`,
    clientId: `c${seq}`,
    createdAt: new Date(T0 + seq * 1000).toISOString(),
    ...extra,
  };
}

function join(seqs: number[], opts: Partial<JoinResult> = {}): JoinResult {
  const messages = seqs.map((s) => msg(s));
  return {
    room: ROOM,
    messages,
    members: ["alice", "bob"],
    readSeq: 0,
    lastSeq: seqs[seqs.length - 1] ?? 0,
    hasMore: false,
    ...opts,
  };
}

const seqs = (log: RoomLog) => log.messages().map((m) => m.seq);

describe("RoomLog ordering and de-duplication", () => {
  test("a fresh join loads the page and covers through lastSeq", () => {
    const log = new RoomLog(ROOM, "alice");
    const out = log.applyJoin(join([3, 4, 5], { hasMore: true }), undefined);
    assert.deepEqual(out, { complete: true });
    assert.deepEqual(seqs(log), [3, 4, 5]);
    assert.equal(log.highWater, 5);
    assert.equal(log.loadedFrom, 3);
    assert.equal(log.hasOlder, true);
    assert.equal(log.olderCursor(), 3);
  });

  test("live messages arriving out of order are shown in seq order, each once", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([1, 2]), undefined);
    log.applyNew(msg(4));
    log.applyNew(msg(3));
    log.applyNew(msg(4));
    log.applyNew(msg(3));
    assert.deepEqual(seqs(log), [1, 2, 3, 4]);
    assert.equal(log.highWater, 4);
    assert.equal(log.hasGap(), false);
  });

  test("a message seen both live and in a catch-up join is kept once", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([1, 2]), undefined);
    log.applyNew(msg(3));
    log.applyJoin(join([3, 4]), 2);
    assert.deepEqual(seqs(log), [1, 2, 3, 4]);
  });

  test("messages of another room are ignored", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([1]), undefined);
    log.applyNew({ ...msg(2), room: "other" });
    assert.deepEqual(seqs(log), [1]);
  });

  test("an update replaces the message only when it is newer", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([1, 2]), undefined);
    log.applyUpdated({ seq: 1, updateSeq: 4, message: msg(1, "bob", { body: "second edit" }) });
    log.applyUpdated({ seq: 1, updateSeq: 3, message: msg(1, "bob", { body: "first edit" }) });
    assert.equal(log.get(1)?.body, "second edit");
    assert.equal(log.highWater, 4);
    assert.deepEqual(seqs(log), [1, 2]);
  });
});

describe("RoomLog gap detection", () => {
  test("a live seq beyond highWater + 1 is a gap until the missing entry arrives", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([1, 2]), undefined);
    assert.equal(log.applyNew(msg(5)), true);
    assert.equal(log.hasGap(), true);
    assert.equal(log.highWater, 2, "since for the catch-up is the highest contiguous seq");
    log.applyNew(msg(3));
    assert.equal(log.hasGap(), true);
    assert.equal(log.applyNew(msg(4)), false);
    assert.equal(log.highWater, 5);
  });

  test("a catch-up join fills the gap and covers through lastSeq", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([1, 2]), undefined);
    log.applyNew(msg(6));
    const out = log.applyJoin(join([3, 4, 5, 6], { lastSeq: 6 }), 2);
    assert.deepEqual(out, { complete: true });
    assert.equal(log.hasGap(), false);
    assert.equal(log.highWater, 6);
    assert.deepEqual(seqs(log), [1, 2, 3, 4, 5, 6]);
  });

  test("update positions count: a missed edit is a gap too", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([1, 2]), undefined);
    // seq 3 was an edit we missed; 4 is a new message.
    assert.equal(log.applyNew(msg(4)), true);
    log.applyJoin(
      { ...join([]), messages: [msg(1, "bob", { body: "edited", updateSeq: 3 }), msg(4)], lastSeq: 4 },
      2,
    );
    assert.equal(log.hasGap(), false);
    assert.equal(log.get(1)?.body, "edited");
  });

  test("a catch-up with hasMore continues from the last entry received", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([1]), undefined);
    const out = log.applyJoin(join([2, 3], { hasMore: true, lastSeq: 9 }), 1);
    assert.deepEqual(out, { complete: false, nextSince: 3 });
    assert.equal(log.highWater, 3);
    const out2 = log.applyJoin(join([4, 5, 6, 7, 8, 9], { lastSeq: 9 }), 3);
    assert.deepEqual(out2, { complete: true });
    assert.deepEqual(seqs(log), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("live messages before the first join ack do not count as gaps after it", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyNew(msg(6));
    log.applyJoin(join([4, 5], { hasMore: true }), undefined);
    assert.equal(log.hasGap(), false);
    assert.equal(log.highWater, 6);
    assert.deepEqual(seqs(log), [4, 5, 6]);
  });

  test("the ack of an own send does not raise a gap (the broadcast of an earlier entry may still be on its way)", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([1]), undefined);
    log.applyAck(msg(3, "alice"));
    assert.equal(log.hasGap(), false);
    assert.deepEqual(seqs(log), [1, 3]);
    assert.equal(log.applyNew(msg(3, "alice")), true, "the live copy of 3 with 2 unseen is a gap");
    log.applyNew(msg(2));
    assert.equal(log.hasGap(), false);
  });

  test("a change to a message older than the loaded window is left to history", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([10, 11], { hasMore: true }), undefined);
    log.applyJoin({ ...join([]), messages: [msg(2, "bob", { updateSeq: 12 })], lastSeq: 12 }, 11);
    assert.deepEqual(seqs(log), [10, 11]);
    assert.equal(log.highWater, 12);
  });
});

describe("RoomLog history paging", () => {
  test("older pages go in front; the cursor moves down; the end is reported", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([5, 6], { hasMore: true }), undefined);
    log.applyHistory({ messages: [msg(3), msg(4)], hasMore: true }, 5);
    assert.deepEqual(seqs(log), [3, 4, 5, 6]);
    assert.equal(log.olderCursor(), 3);
    log.applyHistory({ messages: [msg(1), msg(2)], hasMore: false }, 3);
    assert.deepEqual(seqs(log), [1, 2, 3, 4, 5, 6]);
    assert.equal(log.olderCursor(), undefined);
  });

  test("a page for a stale cursor is dropped", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([5, 6], { hasMore: true }), undefined);
    log.applyHistory({ messages: [msg(1)], hasMore: false }, 9);
    assert.deepEqual(seqs(log), [5, 6]);
    assert.equal(log.olderCursor(), 5);
  });
});

describe("RoomLog outgoing messages", () => {
  test("pending until the ack, which replaces it by the stored message", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([1]), undefined);
    log.addOutgoing("x1", "hello", new Date(T0));
    log.attempt("x1");
    assert.deepEqual(
      log.outgoing().map((o) => [o.clientId, o.status, o.attempts]),
      [["x1", "pending", 1]],
    );
    log.applyAck(msg(2, "alice", { clientId: "x1", body: "hello" }));
    assert.deepEqual(log.outgoing(), []);
    assert.deepEqual(seqs(log), [1, 2]);
  });

  test("the live broadcast of an own message settles it too, and the later ack adds no copy", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([1]), undefined);
    log.addOutgoing("x1", "hello", new Date(T0));
    log.applyNew(msg(2, "alice", { clientId: "x1" }));
    assert.deepEqual(log.outgoing(), []);
    log.applyAck(msg(2, "alice", { clientId: "x1" }));
    assert.deepEqual(seqs(log), [1, 2]);
  });

  test("someone else's message with the same clientId does not settle ours", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([1]), undefined);
    log.addOutgoing("x1", "hello", new Date(T0));
    log.applyNew(msg(2, "bob", { clientId: "x1" }));
    assert.equal(log.outgoing().length, 1);
  });

  test("a rate-limited message stays pending with its retry time, until the next attempt", () => {
    const log = new RoomLog(ROOM, "alice");
    log.addOutgoing("x1", "hello", new Date(T0));
    log.attempt("x1");
    log.waitOutgoing("x1", T0 + 1500);
    assert.deepEqual(
      log.outgoing().map((o) => [o.status, o.retryAt]),
      [["pending", T0 + 1500]],
    );
    log.attempt("x1");
    assert.deepEqual(
      log.outgoing().map((o) => [o.clientId, o.status, o.retryAt, o.attempts]),
      [["x1", "pending", undefined, 2]],
    );
  });

  test("a failure keeps the text and the clientId for a retry", () => {
    const log = new RoomLog(ROOM, "alice");
    log.addOutgoing("x1", "hello", new Date(T0));
    log.attempt("x1");
    log.failOutgoing("x1", { code: "rate_limited", message: "slow down", retryAfterMs: 1500 });
    const [o] = log.outgoing();
    assert.equal(o?.status, "failed");
    assert.equal(o?.error?.retryAfterMs, 1500);
    log.attempt("x1");
    assert.equal(log.outgoing()[0]?.status, "pending");
    assert.equal(log.outgoing()[0]?.attempts, 2);
    assert.equal(log.outgoing()[0]?.clientId, "x1");
    log.discardOutgoing("x1");
    assert.deepEqual(log.outgoing(), []);
  });
});

describe("RoomLog read state", () => {
  test("unread counts others' messages after the read marker and falls when read", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin({ ...join([1, 2, 3]), messages: [msg(1), msg(2, "alice"), msg(3)], readSeq: 1 }, undefined);
    assert.equal(log.unread(), 1);
    log.applyNew(msg(4));
    log.applyNew(msg(5, "alice"));
    assert.equal(log.unread(), 2);
    assert.equal(log.readTarget(), 5);
    log.markRead(5);
    assert.equal(log.unread(), 0);
    assert.equal(log.readTarget(), undefined);
  });

  test("the rooms:list count stands for entries not loaded until the marker passes them", () => {
    const log = new RoomLog(ROOM, "alice");
    log.setListUnread(120, 300, 180);
    assert.equal(log.unread(), 120);
    log.applyJoin(join([299, 300, 301], { hasMore: true, readSeq: 180 }), undefined);
    assert.equal(log.unread(), 121);
    log.markRead(301);
    assert.equal(log.unread(), 0);
  });

  test("seen by: others whose marker reached my newest message", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin({ ...join([]), messages: [msg(1), msg(2, "alice"), msg(3, "alice"), msg(4)], lastSeq: 4 }, undefined);
    log.applyRead("bob", 2);
    log.applyRead("carol", 3);
    log.applyRead("dave", 4);
    log.applyRead("bob", 1); // never moves backwards
    assert.deepEqual(log.seenBy(), { seq: 3, users: ["carol", "dave"] });
    log.applyRead("bob", 3);
    assert.deepEqual(log.seenBy(), { seq: 3, users: ["bob", "carol", "dave"] });
  });

  test("presence notices are anchored after the newest message", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(join([1, 2]), undefined);
    log.addNotice("online", "carol", new Date(T0));
    assert.equal(log.notices[0]?.afterSeq, 2);
    assert.equal(log.notices[0]?.user, "carol");
  });
});
