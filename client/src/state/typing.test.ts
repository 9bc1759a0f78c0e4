import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TYPING_EMIT_INTERVAL_MS, TYPING_IDLE_MS, TYPING_SHOW_MS, TypingEmitter, TypingTracker, typingText } from "./typing.js";

describe("typingText", () => {
  test("names one or two people, then says several", () => {
    assert.equal(typingText([]), "");
    assert.equal(typingText(["alice"]), "alice is typing...");
    assert.equal(typingText(["alice", "bob"]), "alice and bob are typing...");
    assert.equal(typingText(["alice", "bob", "carol"]), "several people are typing...");
  });
});

describe("TypingTracker", () => {
  test("shows a typer for 5 s after the last refresh, sorted", () => {
    const t = new TypingTracker();
    t.apply("bob", true, 0);
    t.apply("alice", true, 1000);
    assert.deepEqual(t.users(1000), ["alice", "bob"]);
    assert.deepEqual(t.users(TYPING_SHOW_MS + 1), ["alice"]);
    t.apply("alice", true, 4000); // refresh
    assert.deepEqual(t.users(4000 + TYPING_SHOW_MS - 1), ["alice"]);
    assert.deepEqual(t.users(4000 + TYPING_SHOW_MS), []);
  });

  test("typing: false and a message from them hide them at once", () => {
    const t = new TypingTracker();
    t.apply("bob", true, 0);
    t.apply("carol", true, 0);
    assert.equal(t.apply("bob", false, 10), true);
    assert.equal(t.clear("carol"), true);
    assert.deepEqual(t.users(10), []);
  });
});

describe("TypingEmitter", () => {
  test("emits true at most once per interval while typing, false when idle", () => {
    const sent: boolean[] = [];
    const e = new TypingEmitter((v) => sent.push(v));
    e.input(true, 0);
    e.input(true, 500);
    e.input(true, TYPING_EMIT_INTERVAL_MS - 1);
    assert.deepEqual(sent, [true]);
    e.input(true, TYPING_EMIT_INTERVAL_MS);
    assert.deepEqual(sent, [true, true]);
    e.tick(TYPING_EMIT_INTERVAL_MS + TYPING_IDLE_MS - 1);
    assert.deepEqual(sent, [true, true]);
    assert.equal(e.idleDeadline(), TYPING_EMIT_INTERVAL_MS + TYPING_IDLE_MS);
    e.tick(TYPING_EMIT_INTERVAL_MS + TYPING_IDLE_MS);
    assert.deepEqual(sent, [true, true, false]);
    e.tick(100_000);
    assert.deepEqual(sent, [true, true, false], "false is sent once");
  });

  test("sending (stop) emits false once; typing again announces at once", () => {
    const sent: boolean[] = [];
    const e = new TypingEmitter((v) => sent.push(v));
    e.input(true, 0);
    e.stop();
    e.stop();
    e.input(true, 100);
    assert.deepEqual(sent, [true, false, true]);
  });

  test("emptying the box is a stop; nothing is sent if nothing was announced", () => {
    const sent: boolean[] = [];
    const e = new TypingEmitter((v) => sent.push(v));
    e.input(false, 0);
    assert.deepEqual(sent, []);
    e.input(true, 10);
    e.input(false, 20);
    assert.deepEqual(sent, [true, false]);
  });

  test("reset after a reconnect forgets the announcement without emitting", () => {
    const sent: boolean[] = [];
    const e = new TypingEmitter((v) => sent.push(v));
    e.input(true, 0);
    e.reset();
    e.tick(10_000);
    e.input(true, 10_001);
    assert.deepEqual(sent, [true, true]);
  });
});
