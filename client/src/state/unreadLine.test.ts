import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Message } from "../../../src/shared/wire.js";
import { RoomLog } from "./roomLog.js";
import { UnreadLine } from "./unreadLine.js";

const msg = (seq: number, user = "bob"): Message => ({
  room: "lobby",
  seq,
  user,
  body: `m${seq}`,
  clientId: `c${seq}`,
  createdAt: new Date(seq * 1000).toISOString(),
});

/** A log joined fresh: `seqs` loaded, `readSeq` the marker, `hasMore` older history. */
function joined(seqs: number[], readSeq: number, hasMore = false, users: Record<number, string> = {}): RoomLog {
  const log = new RoomLog("lobby", "amy");
  const last = seqs[seqs.length - 1] ?? 0;
  log.applyJoin(
    { room: "lobby", messages: seqs.map((s) => msg(s, users[s])), members: [], readSeq, lastSeq: last, hasMore, firstSeq: 1 },
    undefined,
  );
  return log;
}

describe("UnreadLine", () => {
  test("sits before the first message by someone else after the marker, and stays when the marker moves", () => {
    const log = joined([1, 2, 3, 4, 5], 2, false, { 3: "amy" });
    const line = new UnreadLine("amy");
    line.open("lobby");
    line.observe(log);
    assert.deepEqual(line.place(log), { kind: "at", seq: 4 }, "amy's own message 3 is not new to her");
    log.markRead(5);
    line.observe(log);
    assert.deepEqual(line.place(log), { kind: "at", seq: 4 });
    log.applyNew(msg(6));
    assert.deepEqual(line.place(log), { kind: "at", seq: 4 }, "live messages go below it");
  });

  test("a reply is not on the room's timeline: the line goes at the first message that is", () => {
    const log = new RoomLog("lobby", "amy");
    const reply = { ...msg(3), threadOf: 1 };
    log.applyJoin({ room: "lobby", messages: [msg(1), msg(2, "amy"), reply, msg(4)], members: [], readSeq: 2, lastSeq: 4, hasMore: false, firstSeq: 1 }, undefined);
    const line = new UnreadLine("amy");
    line.open("lobby");
    line.observe(log);
    assert.deepEqual(line.place(log), { kind: "at", seq: 4 });
  });

  test("waits for the room's first answer before taking the marker", () => {
    const log = new RoomLog("lobby", "amy");
    const line = new UnreadLine("amy");
    line.open("lobby");
    line.observe(log);
    assert.deepEqual(line.place(log), { kind: "none" });
    log.applyJoin({ room: "lobby", messages: [msg(1), msg(2)], members: [], readSeq: 1, lastSeq: 2, hasMore: false, firstSeq: 1 }, undefined);
    line.observe(log);
    assert.deepEqual(line.place(log), { kind: "at", seq: 2 });
  });

  test("no line when nothing is unread, nor in a room never read; new messages then bring none", () => {
    const read = joined([1, 2], 2);
    const line = new UnreadLine("amy");
    line.open("lobby");
    line.observe(read);
    read.applyNew(msg(3));
    assert.deepEqual(line.place(read), { kind: "none" }, "a message that comes while the room is open is not behind a line");

    const never = joined([1, 2], 0);
    const other = new UnreadLine("amy");
    other.open("lobby");
    other.observe(never);
    assert.deepEqual(other.place(never), { kind: "none" });
  });

  test("the first unread in history not loaded yet is 'older' until paging brings it", () => {
    const log = joined([61, 62, 63], 10, true);
    const line = new UnreadLine("amy");
    line.open("lobby");
    line.observe(log);
    assert.deepEqual(line.place(log), { kind: "older" });
    assert.equal(line.loadTarget(), 11);
    log.applyHistory({ messages: [msg(31), msg(32)], hasMore: true, firstSeq: 1 }, 61);
    assert.deepEqual(line.place(log), { kind: "older" }, "a page that does not reach it");
    log.applyHistory({ messages: [msg(9), msg(10), msg(11), msg(12)], hasMore: true, firstSeq: 1 }, 31);
    assert.deepEqual(line.place(log), { kind: "at", seq: 11 });
  });

  test("a catch-up (since) fills in below the line without moving it", () => {
    const log = joined([1, 2, 3], 2);
    const line = new UnreadLine("amy");
    line.open("lobby");
    line.observe(log);
    log.applyJoin({ room: "lobby", messages: [msg(4), msg(5)], members: [], readSeq: 2, lastSeq: 5, hasMore: false, firstSeq: 1 }, 3);
    assert.deepEqual(line.place(log), { kind: "at", seq: 3 });
  });

  test("sending removes it; another room starts afresh, and coming back takes the marker anew", () => {
    const log = joined([1, 2, 3], 1);
    const line = new UnreadLine("amy");
    line.open("lobby");
    line.observe(log);
    assert.deepEqual(line.place(log), { kind: "at", seq: 2 });
    line.sent();
    assert.deepEqual(line.place(log), { kind: "none" });
    log.markRead(3);
    line.open("elsewhere");
    log.applyNew(msg(4));
    line.open("lobby");
    line.observe(log);
    assert.deepEqual(line.place(log), { kind: "at", seq: 4 });
  });

  test("away with the room open: what comes meanwhile is below a line once back; nothing, no line", () => {
    const log = joined([1, 2], 2);
    const line = new UnreadLine("amy");
    line.open("lobby");
    line.observe(log);
    line.away(log);
    line.back(log);
    log.applyNew(msg(3));
    assert.deepEqual(line.place(log), { kind: "none" }, "back before anything came");

    log.markRead(3);
    line.away(log);
    log.applyNew(msg(4));
    line.back(log);
    assert.deepEqual(line.place(log), { kind: "at", seq: 4 });
    line.away(log);
    log.applyNew(msg(5));
    line.back(log);
    assert.deepEqual(line.place(log), { kind: "at", seq: 4 }, "a line already there stays where it is");
  });
});
