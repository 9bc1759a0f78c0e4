import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { UploadedFile } from "./attachments.js";
import { limitFrom, uploadErrorText, Uploads, waitText, type FileLike, type UploadOutcome, type UploadTransport } from "./uploads.js";

/** A transport whose requests the test answers by hand, in any order. */
class HandTransport implements UploadTransport {
  readonly calls: { room: string; file: FileLike; progress(n: number): void; signal: AbortSignal; answer(o: UploadOutcome): void }[] = [];
  upload(room: string, file: FileLike, progress: (n: number) => void, signal: AbortSignal): Promise<UploadOutcome> {
    return new Promise((answer) => this.calls.push({ room, file, progress, signal, answer }));
  }
}

const file = (name: string, bytes: number) => new File([new Uint8Array(bytes)], name, { type: "application/octet-stream" });
const stored = (name: string, size: number, id = `id-${name}`): UploadedFile => ({ id, name, size, type: "image/png" });
const settle = () => new Promise((r) => setImmediate(r));

describe("Uploads", () => {
  test("uploads each file at once, reports progress, and hands the done ones to the message in order", async () => {
    const t = new HandTransport();
    const u = new Uploads({ transport: t });
    u.add("general", [file("a.png", 100), file("b.pdf", 50)]);
    assert.equal(t.calls.length, 2);
    assert.equal(u.busy("general"), true);
    t.calls[0]!.progress(40);
    assert.equal(u.list("general")[0]!.loaded, 40);
    t.calls[1]!.answer({ ok: true, file: stored("b.pdf", 50) });
    t.calls[0]!.answer({ ok: true, file: stored("a.png", 100) });
    await settle();
    assert.equal(u.busy("general"), false);
    assert.deepEqual(
      u.take("general").map((f) => f.name),
      ["a.png", "b.pdf"],
    );
    assert.deepEqual(u.list("general"), []);
    assert.deepEqual(u.list("random"), [], "each room has its own tray");
  });

  test("a file chosen while its room is still joining waits for the join (only members may upload)", () => {
    const t = new HandTransport();
    const joined = new Set<string>();
    const u = new Uploads({ transport: t, ready: (room) => joined.has(room) });
    u.add("general", [file("a.png", 100)]);
    assert.equal(t.calls.length, 0);
    assert.equal(u.list("general")[0]!.status, "queued");
    joined.add("general");
    u.wake();
    assert.deepEqual(
      t.calls.map((c) => c.room),
      ["general"],
    );
  });

  test("removing a file stops its upload, and a late answer does not bring it back", async () => {
    const t = new HandTransport();
    const u = new Uploads({ transport: t });
    u.add("general", [file("a.png", 100)]);
    const key = u.list("general")[0]!.key;
    u.remove("general", key);
    assert.equal(t.calls[0]!.signal.aborted, true);
    t.calls[0]!.answer({ ok: true, file: stored("a.png", 100) });
    await settle();
    assert.deepEqual(u.list("general"), []);
    assert.deepEqual(u.take("general"), []);
  });

  test("a 413 names the limit; bigger files are then refused without a request", async () => {
    const t = new HandTransport();
    const u = new Uploads({ transport: t });
    u.add("general", [file("big.bin", 3000)]);
    t.calls[0]!.answer({ ok: false, failure: { status: 413, code: "too_large", message: "files are limited to 2048 bytes" } });
    await settle();
    const [item] = u.list("general");
    assert.equal(item!.status, "failed");
    assert.equal(item!.error, "big.bin is too large (2.9 KB): the limit is 2 KB.");
    assert.equal(item!.retryable, false);
    u.add("general", [file("bigger.bin", 5000), file("small.bin", 10)]);
    assert.equal(t.calls.length, 2, "only the small file goes");
    assert.equal(t.calls[1]!.file.name, "small.bin");
    assert.match(u.list("general")[1]!.error!, /^bigger\.bin is too large \(4\.9 KB\): the limit is 2 KB\.$/);
  });

  test("a used-up quota says when, and refuses more until then; retry works once it has passed", async () => {
    let now = 1_000_000;
    const t = new HandTransport();
    const u = new Uploads({ transport: t, now: () => now });
    u.add("general", [file("a.png", 10)]);
    t.calls[0]!.answer({ ok: false, failure: { status: 429, code: "rate_limited", message: "quota", retryAfterMs: 2 * 3600_000 } });
    await settle();
    const first = u.list("general")[0]!;
    assert.equal(first.error, "Your daily upload allowance is used up: try again in 2 h.");
    assert.equal(first.retryable, true);
    now += 3600_000;
    u.add("general", [file("b.png", 10)]);
    assert.equal(t.calls.length, 1, "no request while the quota is used up");
    assert.equal(u.list("general")[1]!.error, "Your daily upload allowance is used up: try again in 1 h.");
    now += 3600_000;
    u.retry("general", first.key);
    assert.equal(t.calls.length, 2);
    t.calls[1]!.answer({ ok: true, file: stored("a.png", 10) });
    await settle();
    assert.deepEqual(
      u.take("general").map((f) => f.name),
      ["a.png"],
    );
    assert.equal(u.list("general").length, 1, "the failed file stays in the tray");
  });

  test("no connection is said plainly and can be retried; a thrown transport counts as no connection", async () => {
    const t = new HandTransport();
    const u = new Uploads({ transport: t });
    u.add("general", [file("a.png", 10)]);
    t.calls[0]!.answer({ ok: false, failure: { status: 0 } });
    await settle();
    const item = u.list("general")[0]!;
    assert.match(item.error!, /no connection to the server\. Uploads need the network\./);
    assert.equal(item.retryable, true);
    const throwing = new Uploads({ transport: { upload: () => Promise.reject(new TypeError("Failed to fetch")) } });
    throwing.add("general", [file("b.png", 10)]);
    await settle();
    assert.equal(throwing.list("general")[0]!.retryable, true);
    assert.match(throwing.list("general")[0]!.error!, /no connection/);
  });

  test("files of a refused send come back to the tray, first, as uploaded", async () => {
    const t = new HandTransport();
    const u = new Uploads({ transport: t });
    u.add("general", [file("new.png", 5)]);
    u.restore("general", [stored("old.png", 9)]);
    assert.deepEqual(
      u.list("general").map((i) => [i.name, i.status]),
      [
        ["old.png", "done"],
        ["new.png", "uploading"],
      ],
    );
    t.calls[0]!.answer({ ok: true, file: stored("new.png", 5) });
    await settle();
    assert.deepEqual(
      u.take("general").map((f) => f.id),
      ["id-old.png", "id-new.png"],
    );
  });

  test("at most maxConcurrent run at once; the others wait their turn, in order", async () => {
    const t = new HandTransport();
    const u = new Uploads({ transport: t });
    u.add("general", [file("1", 1), file("2", 1)]);
    u.add("random", [file("3", 1)]);
    assert.deepEqual(
      t.calls.map((c) => c.file.name),
      ["1", "2"],
    );
    assert.equal(u.list("random")[0]!.status, "queued");
    assert.equal(u.busy("random"), true, "a queued file holds the send back");
    t.calls[0]!.answer({ ok: true, file: stored("1", 1) });
    await settle();
    assert.deepEqual(
      t.calls.map((c) => [c.room, c.file.name]),
      [
        ["general", "1"],
        ["general", "2"],
        ["random", "3"],
      ],
    );
    u.remove("general", u.list("general")[1]!.key); // a running one removed frees its slot too
    u.add("general", [file("4", 1)]);
    assert.equal(t.calls.at(-1)!.file.name, "4");
  });

  test("a short rate_limited pause (the server's uploads-in-flight limit) is waited out by itself", async () => {
    let now = 0;
    const timers: { ms: number; fn: () => void }[] = [];
    const t = new HandTransport();
    const u = new Uploads({ transport: t, now: () => now, later: (ms, fn) => timers.push({ ms, fn }) });
    u.add("general", [file("a.png", 10)]);
    t.calls[0]!.answer({ ok: false, failure: { status: 429, code: "rate_limited", retryAfterMs: 1000 } });
    await settle();
    assert.equal(u.list("general")[0]!.status, "queued", "not shown as failed");
    assert.equal(timers[0]!.ms, 1000);
    timers[0]!.fn();
    assert.equal(t.calls.length, 1, "not before the pause is over");
    now = 1000;
    timers[0]!.fn();
    assert.equal(t.calls.length, 2);
    t.calls[1]!.answer({ ok: true, file: stored("a.png", 10) });
    await settle();
    assert.equal(u.list("general")[0]!.status, "done");
    u.add("general", [file("b.png", 10)]);
    assert.equal(t.calls.length, 3, "a short pause is not the daily quota: no refusal without a request");
  });

  test("an empty file is refused without a request", () => {
    const t = new HandTransport();
    const u = new Uploads({ transport: t });
    u.add("general", [file("empty.txt", 0)]);
    assert.equal(t.calls.length, 0);
    assert.equal(u.list("general")[0]!.error, "empty.txt is empty: there is nothing to send.");
  });

  test("takes at most maxFiles for one message", () => {
    const t = new HandTransport();
    const u = new Uploads({ transport: t, maxFiles: 2, maxConcurrent: 5 });
    u.add("general", [file("1", 1), file("2", 1), file("3", 1)]);
    assert.equal(t.calls.length, 2);
    assert.equal(u.list("general")[2]!.error, "3 was not added: a message takes at most 2 files.");
  });

  test("subscribers hear every change", () => {
    const t = new HandTransport();
    const u = new Uploads({ transport: t });
    let heard = 0;
    const off = u.subscribe(() => heard++);
    u.add("general", [file("a", 1)]);
    t.calls[0]!.progress(1);
    off();
    u.remove("general", u.list("general")[0]!.key);
    assert.equal(heard, 2);
  });
});

describe("uploadErrorText", () => {
  const f = (status: number, code?: string, extra: object = {}) => ({ status, code, ...extra });
  test("says each refusal in plain words", () => {
    assert.equal(uploadErrorText("x.exe", 5, f(415, "unsupported_type")), "x.exe: this type of file is not allowed here.");
    assert.equal(uploadErrorText("a.png", 5, f(403, "forbidden")), "You may not share files in this room.");
    assert.equal(uploadErrorText("a.png", 5 * 1024 * 1024, f(413, "too_large")), "a.png is too large for this server (5 MB).");
    assert.equal(uploadErrorText("a.png", 11 * 1024 * 1024, f(413), 10 * 1024 * 1024), "a.png is too large (11 MB): the limit is 10 MB.");
    assert.match(uploadErrorText("a.png", 5, f(401, "unauthenticated")), /session has ended/);
    assert.match(uploadErrorText("a.png", 5, f(503, "unavailable")), /server had a problem \(503\)/);
    assert.equal(uploadErrorText("a.png", 5, f(429, "rate_limited", { retryAfterMs: 1000 })), "a.png was not uploaded: too many uploads at once. Try again.");
  });
  test("reads the limit from a 413", () => {
    assert.equal(limitFrom({ status: 413, message: "the limit is 10,485,760 bytes" }), 10485760);
    assert.equal(limitFrom({ status: 413, maxBytes: 99 } as never), 99);
    assert.equal(limitFrom({ status: 413, message: "too large" }), undefined);
  });
  test("waitText", () => {
    assert.equal(waitText(400), "1 s");
    assert.equal(waitText(59_000), "59 s");
    assert.equal(waitText(61_000), "2 min");
    assert.equal(waitText(3 * 3600_000 + 20 * 60_000), "3 h 20 min");
  });
});
