import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dmRoomName as dmRoom, type Message } from "../../../src/shared/wire.js";
import { DEFAULT_SETTINGS, NotifyPolicy, parseSettings, serializeSettings, withMute, type NotifyContext } from "./notify.js";

const msg = (room: string, seq: number, user: string, body: string, extra: Partial<Message> = {}): Message => ({
  room,
  seq,
  user,
  body,
  clientId: `c${seq}`,
  createdAt: new Date(0).toISOString(),
  ...extra,
});

const on: NotifyContext = { settings: { desktop: true, sound: false, muted: new Set() }, hidden: true };

describe("NotifyPolicy", () => {
  test("a DM, a mention and a reply in a followed thread notify while hidden; other messages do not", () => {
    const p = new NotifyPolicy("amy");
    const dm = dmRoom("amy", "bob");
    assert.deepEqual(p.message(msg(dm, 1, "bob", "hi there"), on), {
      key: `${dm}:1`,
      room: dm,
      seq: 1,
      reason: "dm",
      title: "bob",
      body: "hi there",
    });
    assert.equal(p.message(msg("lobby", 2, "bob", "@amy look"), on)?.title, "bob mentioned you in #lobby");
    assert.equal(p.message(msg("lobby", 3, "bob", "nothing for you"), on), undefined);
    const reply = p.message(msg("lobby", 5, "bob", "an answer", { threadOf: 4 }), on, true);
    assert.equal(reply?.reason, "reply");
    assert.equal(reply?.title, "bob replied in #lobby");
    assert.equal(reply?.root, 4, "opening it opens its thread");
    assert.equal(p.message(msg("lobby", 7, "bob", "to cat", { threadOf: 6 }), on, false), undefined, "a thread amy does not follow");
    assert.equal(p.message(msg("lobby", 8, "bob", "not a reply"), on, true), undefined);
  });

  test("nothing while the page is visible, in a muted room, for one's own messages or a deleted one, or with both off", () => {
    const p = new NotifyPolicy("amy");
    const dm = dmRoom("amy", "bob");
    assert.equal(p.message(msg(dm, 1, "bob", "hi"), { ...on, hidden: false }), undefined);
    assert.equal(p.message(msg(dm, 2, "bob", "hi"), { ...on, settings: withMute(on.settings, dm, true) }), undefined);
    assert.equal(p.message(msg(dm, 3, "amy", "me"), on), undefined);
    assert.equal(p.message(msg(dm, 4, "bob", "", { deleted: true }), on), undefined);
    assert.equal(p.message(msg(dm, 5, "bob", "hi"), { ...on, settings: DEFAULT_SETTINGS }), undefined);
    assert.ok(p.message(msg(dm, 6, "bob", "hi"), { ...on, settings: { ...DEFAULT_SETTINGS, sound: true } }), "sound alone counts");
  });

  test("a mention event notifies for a room this client does not have, once, and a message never twice", () => {
    const p = new NotifyPolicy("amy");
    assert.equal(p.mention({ room: "far", seq: 9, from: "bob" }, on, true), undefined, "the message will say it");
    assert.equal(p.mention({ room: "far", seq: 9, from: "bob" }, on, false)?.title, "bob mentioned you in #far");
    assert.equal(p.mention({ room: "far", seq: 9, from: "bob" }, on, false), undefined);
    assert.equal(p.message(msg("far", 9, "bob", "@amy hey"), on), undefined, "already notified by the event");
    assert.equal(p.mention({ room: "muted", seq: 1, from: "bob" }, { ...on, settings: withMute(on.settings, "muted", true) }, false), undefined);
  });

  test("a long body is shortened to one line", () => {
    const p = new NotifyPolicy("amy");
    const n = p.message(msg(dmRoom("amy", "bob"), 1, "bob", `line one\nline two ${"x".repeat(300)}`), on);
    assert.equal([...n!.body].length, 140);
    assert.ok(n!.body.startsWith("line one line two"));
    assert.ok(n!.body.endsWith("…"));
  });
});

describe("notification settings", () => {
  test("round-trip through their stored form; anything unreadable is the default", () => {
    const s = withMute(withMute({ desktop: true, sound: true, muted: new Set() }, "b", true), "a", true);
    const back = parseSettings(serializeSettings(s));
    assert.deepEqual({ ...back, muted: [...back.muted] }, { desktop: true, sound: true, muted: ["a", "b"] });
    assert.deepEqual(withMute(back, "a", false).muted, new Set(["b"]));
    assert.equal(parseSettings(null), DEFAULT_SETTINGS);
    assert.equal(parseSettings("{not json"), DEFAULT_SETTINGS);
    assert.equal(parseSettings("42"), DEFAULT_SETTINGS);
    assert.deepEqual(parseSettings('{"desktop":"yes","muted":[1,"x"]}'), { desktop: false, sound: false, muted: new Set(["x"]) });
  });
});
