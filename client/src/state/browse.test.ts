import assert from "node:assert/strict";
import { test } from "node:test";
import type { Ack, BrowseResult, RoomListing } from "../../../src/shared/wire.js";
import {
  applyBrowseError,
  applyBrowsePage,
  browseErrorText,
  browseQuery,
  firstBrowseRequest,
  loadingMoreRooms,
  nextBrowseRequest,
  RoomBrowser,
  startBrowse,
} from "./browse.js";
import type { ClientError } from "./format.js";

const room = (name: string, members = 1): RoomListing => ({ room: name, members, lastActivityAt: "2026-01-01T00:00:00.000Z", lastSeq: 0 });

test("the typed filter is sent as the server compares names", () => {
  assert.equal(browseQuery("  #General "), "general");
  assert.equal(browseQuery(""), "");
  assert.deepEqual(firstBrowseRequest(startBrowse("  ")), { limit: 20 });
  assert.deepEqual(firstBrowseRequest(startBrowse("#Dev")), { query: "dev", limit: 20 });
});

test("pages: appended in order, each room once; the cursor comes from the last page; none while loading", () => {
  let s = startBrowse("a");
  assert.equal(nextBrowseRequest(s), undefined, "the first page is still loading");
  s = applyBrowsePage(s, s.ticket, { rooms: [room("a1"), room("a2")], next: "a2" });
  assert.deepEqual(nextBrowseRequest(s), { query: "a", cursor: "a2", limit: 20 });
  s = loadingMoreRooms(s);
  assert.equal(nextBrowseRequest(s), undefined);
  s = applyBrowsePage(s, s.ticket, { rooms: [room("a2"), room("a3")] });
  assert.deepEqual(s.rooms.map((r) => r.room), ["a1", "a2", "a3"]);
  assert.equal(s.next, undefined);
  assert.equal(nextBrowseRequest(s), undefined, "the last page");
});

test("an answer to an older filter or page is ignored", () => {
  const old = startBrowse("al");
  const now = startBrowse("alp");
  assert.equal(applyBrowsePage(now, old.ticket, { rooms: [room("also")] }), now);
  assert.equal(applyBrowseError(now, old.ticket, { code: "timeout", message: "" }), now);
  const s = applyBrowsePage(now, now.ticket, { rooms: [room("alpha")] });
  assert.deepEqual(s.rooms.map((r) => r.room), ["alpha"]);
});

test("an error keeps what was found and the cursor, so `load more` can try again", () => {
  let s = startBrowse("");
  s = applyBrowsePage(s, s.ticket, { rooms: [room("a")], next: "a" });
  s = loadingMoreRooms(s);
  s = applyBrowseError(s, s.ticket, { code: "rate_limited", message: "", retryAfterMs: 2500 });
  assert.deepEqual(s.rooms.map((r) => r.room), ["a"]);
  assert.deepEqual(nextBrowseRequest(s), { cursor: "a", limit: 20 });
  assert.match(browseErrorText(s.error!), /3 s/);
});

test("RoomBrowser: a newer filter wins over a slower older one; joining and leaving move the counts", async () => {
  const answers: ((a: Ack<BrowseResult> | { ok: false; error: ClientError }) => void)[] = [];
  const asked: object[] = [];
  let changes = 0;
  const b = new RoomBrowser({
    ask: (p) => {
      asked.push(p);
      return new Promise((r) => answers.push(r));
    },
    changed: () => changes++,
  });
  const first = b.run("a");
  const second = b.run("ab");
  answers[1]!({ ok: true, rooms: [room("abc", 2)] });
  await second;
  answers[0]!({ ok: true, rooms: [room("azz")] });
  await first;
  assert.deepEqual(asked, [{ query: "a", limit: 20 }, { query: "ab", limit: 20 }]);
  assert.deepEqual(b.state!.rooms.map((r) => r.room), ["abc"]);
  b.counted("abc", 1);
  assert.equal(b.state!.rooms[0]!.members, 3);
  b.counted("abc", -1);
  b.counted("nowhere", -1);
  assert.equal(b.state!.rooms[0]!.members, 2);
  assert.ok(changes > 0);
  b.close();
  assert.equal(b.state, undefined);
});
