import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Message } from "../../../src/shared/wire.js";
import { buildRows, errorText, linkify, relativeTime, roomTitle, safeHref, tooLongLimit, type Segment } from "./format.js";

const links = (segs: Segment[]) => segs.filter((s) => s.kind === "link").map((s) => (s.kind === "link" ? s.href : ""));

describe("linkify", () => {
  test("finds http and https links and keeps the rest as text", () => {
    const segs = linkify("see https://example.com/a?b=1 and http://x.org.");
    assert.deepEqual(segs, [
      { kind: "text", text: "see " },
      { kind: "link", text: "https://example.com/a?b=1", href: "https://example.com/a?b=1" },
      { kind: "text", text: " and " },
      { kind: "link", text: "http://x.org", href: "http://x.org/" },
      { kind: "text", text: "." },
    ]);
  });

  test("never links other schemes", () => {
    for (const body of ["javascript:alert(1)", "data:text/html,<b>x</b>", "vbscript:x", "file:///etc/passwd", "ftp://x.org"]) {
      assert.deepEqual(links(linkify(body)), [], body);
    }
    assert.equal(safeHref("javascript:alert(1)"), undefined);
    assert.equal(safeHref("https://ok.example/"), "https://ok.example/");
  });

  test("markup stays text: the segments are exactly the input", () => {
    const body = `<img src=x onerror=alert(1)> <a href="javascript:x">y</a> https://a.example/"><script>`;
    const segs = linkify(body);
    assert.equal(segs.map((s) => s.text).join(""), body);
    assert.deepEqual(links(segs), ["https://a.example/"]);
  });

  test("a closing bracket belongs to the link only when it opened one", () => {
    assert.deepEqual(links(linkify("(see https://en.wikipedia.org/wiki/Foo_(bar))")), [
      "https://en.wikipedia.org/wiki/Foo_(bar)",
    ]);
    assert.deepEqual(links(linkify("(https://example.com)")), ["https://example.com/"]);
  });
});

describe("times", () => {
  const now = new Date(2025, 2, 3, 15, 0, 0); // Monday 3 March 2025, 15:00 local
  test("relative times", () => {
    assert.equal(relativeTime(new Date(2025, 2, 3, 14, 59, 40).toISOString(), now), "just now");
    assert.equal(relativeTime(new Date(2025, 2, 3, 14, 55, 0).toISOString(), now), "5 min ago");
    assert.equal(relativeTime(new Date(2025, 2, 3, 12, 0, 0).toISOString(), now), "3 h ago");
    assert.match(relativeTime(new Date(2025, 2, 2, 9, 30, 0).toISOString(), now), /^yesterday /);
  });
});

describe("buildRows", () => {
  const at = (d: number, h: number, m: number) => new Date(2025, 2, d, h, m).toISOString();
  const m = (seq: number, user: string, createdAt: string): Message => ({
    room: "r",
    seq,
    user,
    body: "x",
    clientId: `c${seq}`,
    createdAt,
  });

  test("day separators, author groups, and notices that break a group", () => {
    const rows = buildRows(
      [
        m(1, "alice", at(2, 10, 0)),
        m(2, "alice", at(2, 10, 1)),
        m(3, "bob", at(2, 10, 2)),
        m(4, "bob", at(3, 9, 0)),
        m(5, "bob", at(3, 9, 20)),
        m(6, "bob", at(3, 9, 21)),
        m(7, "bob", at(3, 9, 22)),
      ],
      [{ id: 1, afterSeq: 6, at: at(3, 9, 21) }],
    );
    const shape = rows.map((r) =>
      r.kind === "message" ? `${r.message!.seq}${r.groupStart ? "*" : ""}` : r.kind === "notice" ? "N" : "D",
    );
    assert.deepEqual(shape, ["D", "1*", "2", "3*", "D", "4*", "5*", "6", "N", "7*"]);
  });
});

describe("plain words", () => {
  test("ack errors", () => {
    assert.equal(
      errorText({ code: "rate_limited", message: "x", retryAfterMs: 2100 }),
      "You're sending messages too quickly. Try again in 3 seconds.",
    );
    assert.equal(
      errorText({ code: "invalid_payload", message: "body is longer than 4000 characters" }),
      "That message is too long (the limit is 4000 characters).",
    );
    assert.equal(errorText({ code: "forbidden", message: "x" }), "You don't have access to that conversation.");
  });

  test("room titles", () => {
    assert.deepEqual(roomTitle("dm:alice:bob", "bob"), { title: "alice", dm: true, peer: "alice" });
    assert.deepEqual(roomTitle("general", "bob"), { title: "general", dm: false });
  });
});

describe("tooLongLimit", () => {
  test("reads the limit from the server's refusal, and nothing from other refusals", () => {
    assert.equal(tooLongLimit({ code: "invalid_payload", message: "body: body is longer than 4000 characters" }), 4000);
    assert.equal(tooLongLimit({ code: "invalid_payload", message: "message too long" }), 0);
    assert.equal(tooLongLimit({ code: "invalid_payload", message: "body is empty" }), undefined);
    assert.equal(tooLongLimit({ code: "rate_limited", message: "longer than 5 sends", retryAfterMs: 10 }), undefined);
  });
});
