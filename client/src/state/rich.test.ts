import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { JoinResult, Message } from "../../../src/shared/wire.js";
import { richText } from "./format.js";
import {
  actionErrorText,
  completeMention,
  lastEditable,
  mentionCandidates,
  mentionQuery,
  mentionsMe,
  reactionToggle,
  reactionViews,
  withReaction,
} from "./rich.js";
import { RoomLog } from "./roomLog.js";
import {
  applySearchError,
  applySearchPage,
  applySearchUpdate,
  firstPageRequest,
  loadingMore,
  nextPageRequest,
  startSearch,
} from "./searchState.js";

const ROOM = "general";
const T0 = Date.parse("2025-03-03T10:00:00Z");

function msg(seq: number, user = "bob", extra: Partial<Message> = {}): Message {
  return { room: ROOM, seq, user, body: `m${seq}`, clientId: `c${seq}`, createdAt: new Date(T0 + seq * 1000).toISOString(), ...extra };
}

function joinOf(messages: Message[], opts: Partial<JoinResult> = {}): JoinResult {
  return { room: ROOM, messages, members: ["alice", "bob"], readSeq: 0, lastSeq: 0, hasMore: false, ...opts };
}

function loaded(n: number, me = "alice"): RoomLog {
  const log = new RoomLog(ROOM, me);
  log.applyJoin(joinOf(Array.from({ length: n }, (_, i) => msg(i + 1)), { lastSeq: n }), undefined);
  return log;
}

describe("message:updated and positions", () => {
  test("a live update replaces the message and moves the watermark like a new message", () => {
    const log = loaded(3);
    const gap = log.applyUpdated({ seq: 2, updateSeq: 4, message: msg(2, "bob", { body: "fixed", editedAt: "x", updateSeq: 4 }) });
    assert.equal(gap, false);
    assert.equal(log.get(2)!.body, "fixed");
    assert.equal(log.get(2)!.editedAt, "x");
    assert.equal(log.highWater, 4);
    // The next new message comes after the change's position.
    assert.equal(log.applyNew(msg(5)), false);
    assert.equal(log.highWater, 5);
  });

  test("an older update arriving after a newer one does not undo it", () => {
    const log = loaded(1);
    log.applyUpdated({ seq: 1, updateSeq: 3, message: msg(1, "bob", { body: "v2", updateSeq: 3 }) });
    log.applyUpdated({ seq: 1, updateSeq: 2, message: msg(1, "bob", { body: "v1", updateSeq: 2 }) });
    assert.equal(log.get(1)!.body, "v2");
    assert.equal(log.highWater, 3);
    assert.equal(log.hasGap(), false);
  });

  test("an update above watermark + 1 is a gap", () => {
    const log = loaded(3);
    assert.equal(log.applyUpdated({ seq: 1, updateSeq: 6, message: msg(1, "bob", { updateSeq: 6 }) }), true);
    assert.equal(log.highWater, 3);
  });

  test("two edits of one message while offline, then since-recovery: no permanent gap", () => {
    const log = loaded(3);
    // Offline: 4 and 5 edit seq 1 (4 is superseded and never comes back), 6 reacts to 2,
    // 7 is a new message, 8 deletes 3. Back online, the first live entry is 9.
    assert.equal(log.applyNew(msg(9)), true, "a gap is seen");
    const since = log.highWater;
    assert.equal(since, 3);
    const out = log.applyJoin(
      joinOf(
        [
          msg(1, "bob", { body: "m1 edited twice", editedAt: "t", updateSeq: 5 }),
          msg(2, "bob", { reactions: { "🎉": ["bob"] }, updateSeq: 6 }),
          msg(7),
          msg(3, "bob", { body: "", deleted: true, updateSeq: 8 }),
          msg(9),
        ],
        { lastSeq: 9 },
      ),
      since,
    );
    assert.deepEqual(out, { complete: true });
    assert.equal(log.highWater, 9);
    assert.equal(log.hasGap(), false);
    assert.deepEqual(
      log.messages().map((m) => [m.seq, m.body, m.deleted ?? false]),
      [
        [1, "m1 edited twice", false],
        [2, "m2", false],
        [3, "", true],
        [7, "m7", false],
        [9, "m9", false],
      ],
    );
    assert.deepEqual(log.get(2)!.reactions, { "🎉": ["bob"] });
    // Later live traffic continues from there without another fetch.
    assert.equal(log.applyUpdated({ seq: 7, updateSeq: 10, message: msg(7, "bob", { body: "m7!", updateSeq: 10 }) }), false);
    assert.equal(log.highWater, 10);
  });

  test("the same recovery in batches (hasMore) continues from the last entry's position", () => {
    const log = loaded(3);
    const first = log.applyJoin(joinOf([msg(1, "bob", { body: "e", updateSeq: 5 })], { lastSeq: 8, hasMore: true }), 3);
    assert.deepEqual(first, { complete: false, nextSince: 5 });
    const second = log.applyJoin(joinOf([msg(3, "bob", { body: "", deleted: true, updateSeq: 8 })], { lastSeq: 8 }), 5);
    assert.deepEqual(second, { complete: true });
    assert.equal(log.highWater, 8);
    assert.equal(log.hasGap(), false);
  });

  test("a change to a message below the loaded window still counts as a position", () => {
    const log = new RoomLog(ROOM, "alice");
    log.applyJoin(joinOf([msg(51), msg(52)], { lastSeq: 52, hasMore: true }), undefined);
    assert.equal(log.applyUpdated({ seq: 3, updateSeq: 53, message: msg(3, "bob", { updateSeq: 53 }) }), false);
    assert.equal(log.get(3), undefined);
    assert.equal(log.highWater, 53);
  });

  test("an edit's ack shows the new text without counting as a live position", () => {
    const log = loaded(2, "bob");
    log.applyChange(msg(1, "bob", { body: "edited", editedAt: "t", updateSeq: 4 }));
    assert.equal(log.get(1)!.body, "edited");
    assert.equal(log.highWater, 2);
    assert.equal(log.hasGap(), false);
    // The broadcast of position 3 (someone else's) and of the edit (4) arrive afterwards.
    log.applyNew(msg(3));
    log.applyUpdated({ seq: 1, updateSeq: 4, message: msg(1, "bob", { body: "edited", editedAt: "t", updateSeq: 4 }) });
    assert.equal(log.highWater, 4);
    assert.equal(log.hasGap(), false);
  });
});

describe("reactions", () => {
  const m = msg(1, "bob", { reactions: { "🎉": ["carol"], "👍": ["bob", "alice"], "🦄": ["dan"] } });

  test("chips in the picker's order, with who reacted, mine marked", () => {
    const v = reactionViews(m, "alice");
    assert.deepEqual(
      v.map((r) => [r.emoji, r.count, r.mine, r.users]),
      [
        ["👍", 2, true, ["you", "bob"]],
        ["🎉", 1, false, ["carol"]],
        ["🦄", 1, false, ["dan"]],
      ],
    );
    assert.equal(v[0]!.label, "👍 2 reactions from you and bob");
    assert.equal(v[1]!.label, "🎉 1 reaction from carol");
  });

  test("clicking toggles my own reaction", () => {
    assert.equal(reactionToggle(m, "👍", "alice"), false);
    assert.equal(reactionToggle(m, "🎉", "alice"), true);
    assert.equal(reactionToggle(msg(2), "👍", "alice"), true);
    const off = withReaction(m, "👍", "alice", false);
    assert.deepEqual(off.reactions!["👍"], ["bob"]);
    const on = withReaction(off, "🎉", "alice", true);
    assert.deepEqual(on.reactions!["🎉"], ["carol", "alice"]);
    // Twice on is still one.
    assert.deepEqual(withReaction(on, "🎉", "alice", true).reactions!["🎉"], ["carol", "alice"]);
    const bare = withReaction(withReaction(msg(3), "👀", "alice", true), "👀", "alice", false);
    assert.equal(bare.reactions, undefined);
  });

  test("shown at once, replaced by the server's answer, put back on failure", () => {
    const log = loaded(2);
    const before = log.get(1)!;
    const old = log.applyOptimistic(withReaction(before, "👍", "alice", true));
    assert.deepEqual(log.get(1)!.reactions, { "👍": ["alice"] });
    log.revert(old!);
    assert.equal(log.get(1)!.reactions, undefined);
    // Success: the ack (newer updateSeq) wins over the optimistic state.
    log.applyOptimistic(withReaction(before, "👍", "alice", true));
    log.applyChange(msg(1, "bob", { reactions: { "👍": ["carol", "alice"] }, updateSeq: 4 }));
    assert.deepEqual(log.get(1)!.reactions, { "👍": ["carol", "alice"] });
    // A late revert never undoes a stored newer state.
    log.revert(old!);
    assert.deepEqual(log.get(1)!.reactions, { "👍": ["carol", "alice"] });
  });
});

describe("mentions", () => {
  test("detection: someone else's live message naming me", () => {
    assert.equal(mentionsMe(msg(1, "bob", { body: "hey @alice." }), "alice"), true);
    assert.equal(mentionsMe(msg(1, "bob", { body: "mail alice@example.com" }), "alice"), false);
    assert.equal(mentionsMe(msg(1, "bob", { body: "@alicea" }), "alice"), false);
    assert.equal(mentionsMe(msg(1, "alice", { body: "note to @alice" }), "alice"), false);
    assert.equal(mentionsMe(msg(1, "bob", { body: "", deleted: true }), "alice"), false);
  });

  test("rendered as text segments; the joined text is the body", () => {
    const body = "@alice see https://x.org/@bob and mail a@b.c, cc @bob. <b>@carol</b>";
    const segs = richText(body, "alice");
    assert.equal(segs.map((s) => s.text).join(""), body);
    assert.deepEqual(
      segs.filter((s) => s.kind === "mention").map((s) => [s.text, s.kind === "mention" && s.me]),
      [
        ["@alice", true],
        ["@bob", false],
        ["@carol", false],
      ],
    );
    assert.deepEqual(segs.filter((s) => s.kind === "link").map((s) => s.text), ["https://x.org/@bob"]);
  });

  test("unread mentions: the list's count, then live messages; reading clears them", () => {
    const log = new RoomLog(ROOM, "alice");
    log.setListUnread(5, 10, 5, 2);
    assert.equal(log.mentions(), 2);
    log.applyJoin(joinOf([msg(10)], { lastSeq: 10, readSeq: 5, hasMore: true }), undefined);
    log.applyNew(msg(11, "bob", { body: "@alice ping" }));
    log.applyNew(msg(12, "bob", { body: "no ping" }));
    assert.equal(log.mentions(), 3);
    log.applyUpdated({ seq: 11, updateSeq: 13, message: msg(11, "bob", { body: "", deleted: true, updateSeq: 13 }) });
    assert.equal(log.mentions(), 2);
    log.markRead(12);
    assert.equal(log.mentions(), 0);
  });

  test("the composer's @ query, candidates and completion", () => {
    assert.deepEqual(mentionQuery("hi @bo", 6), { start: 3, prefix: "bo" });
    assert.deepEqual(mentionQuery("@", 1), { start: 0, prefix: "" });
    assert.equal(mentionQuery("mail a@bo", 9), undefined);
    assert.equal(mentionQuery("hi @bo x", 8), undefined);
    const online = new Set(["bob", "alice"]);
    assert.deepEqual(mentionCandidates("b", ["Bea", "bob", "alice", "bill"], online, "alice"), ["bob", "Bea", "bill"]);
    assert.deepEqual(mentionCandidates("", ["bob", "alice"], online, "alice"), ["bob"]);
    const q = mentionQuery("hi @bo, ok", 6)!;
    assert.deepEqual(completeMention("hi @bo, ok", 6, q, "bob"), { text: "hi @bob , ok", caret: 8 });
    const q2 = mentionQuery("hi @bo", 6)!;
    assert.deepEqual(completeMention("hi @bo", 6, q2, "bob"), { text: "hi @bob ", caret: 8 });
  });
});

describe("editing", () => {
  test("Up arrow edits my newest live message", () => {
    const list = [msg(1, "alice"), msg(2, "alice", { deleted: true, body: "" }), msg(3, "bob")];
    assert.equal(lastEditable(list, "alice")!.seq, 1);
    assert.equal(lastEditable(list, "carol"), undefined);
  });

  test("errors in plain words", () => {
    assert.equal(actionErrorText("edit", { code: "forbidden", message: "x" }), "You can only edit your own messages.");
    assert.equal(actionErrorText("delete", { code: "forbidden", message: "x" }), "You can only delete your own messages.");
    assert.match(actionErrorText("react", { code: "not_found", message: "x" }), /no longer exists/);
    assert.match(
      actionErrorText("edit", { code: "invalid_payload", message: "body is longer than 4000 characters" }),
      /too long \(the limit is 4000/,
    );
  });
});

describe("search paging", () => {
  const hit = (room: string, seq: number, extra: Partial<Message> = {}) => ({ ...msg(seq), room, ...extra });

  test("first page, next pages with nextBefore, de-duplicated, until hasMore is false", () => {
    let s = startSearch("  zebra ", "general");
    assert.deepEqual(firstPageRequest(s), { room: "general", query: "zebra", limit: 20 });
    assert.equal(nextPageRequest(s), undefined, "nothing to page while the first page runs");
    s = applySearchPage(s, s.ticket, { messages: [hit("general", 5), hit("general", 4)], hasMore: true, nextBefore: 44 });
    assert.deepEqual(nextPageRequest(s), { room: "general", query: "zebra", before: 44, limit: 20 });
    s = loadingMore(s);
    s = applySearchPage(s, s.ticket, { messages: [hit("general", 4), hit("general", 3)], hasMore: false });
    assert.deepEqual(s.results.map((m) => m.seq), [5, 4, 3]);
    assert.equal(s.hasMore, false);
    assert.equal(nextPageRequest(s), undefined);
  });

  test("an answer to an older request is ignored", () => {
    const old = startSearch("cat");
    const s = startSearch("dog");
    const after = applySearchPage(s, old.ticket, { messages: [hit("a", 1)], hasMore: false });
    assert.equal(after, s);
    assert.equal(applySearchError(s, old.ticket, { code: "timeout", message: "" }), s);
    const failed = applySearchError(s, s.ticket, { code: "invalid_payload", message: "" });
    assert.equal(failed.loading, false);
    assert.equal(failed.error?.code, "invalid_payload");
  });

  test("all rooms: no room in the request; edits and deletes show in the results", () => {
    let s = startSearch("x");
    assert.deepEqual(firstPageRequest(s), { query: "x", limit: 20 });
    s = applySearchPage(s, s.ticket, { messages: [hit("a", 2), hit("b", 2)], hasMore: false });
    s = applySearchUpdate(s, hit("a", 2, { body: "new text" }));
    assert.equal(s.results[0]!.body, "new text");
    s = applySearchUpdate(s, hit("b", 2, { deleted: true, body: "" }));
    assert.deepEqual(s.results.map((m) => m.room), ["a"]);
  });
});
