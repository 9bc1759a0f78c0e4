/**
 * The v1 events against one real node, on PostgreSQL and on the embedded PGlite.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { call, closeAll, collect, connect, eventually, sleep, waitFor, type Client } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startNode, tempDir, type RunningNode } from "../helpers/node.js";

const backends = ["pg", "pglite"] as const;

for (const backend of backends) {
  describe(`chat on ${backend}`, () => {
    let db: TestDatabase | undefined;
    let srv: RunningNode;
    let n = 0;
    const room = () => `room-${backend}-${++n}`;

    before(async () => {
      if (backend === "pg") db = await createTestDatabase("core");
      srv = await startNode({
        DATABASE_URL: db?.url,
        DATA_DIR: backend === "pglite" ? tempDir("pglite") : undefined,
        RATE_LIMIT_SENDS: "1000",
        HISTORY_LIMIT: "5",
      });
    });
    after(async () => {
      closeAll();
      await srv?.stop();
      await db?.drop();
    });
    afterEach(() => closeAll());

    const user = (name: string) => connect(srv.url, { username: name });

    test("join returns history, members, markers; others see presence once", async () => {
      const r = room();
      const alice = await user("alice");
      const j1 = await call(alice, "room:join", { room: r });
      assert.deepEqual(
        { ok: j1.ok, room: j1.room, messages: j1.messages, members: j1.members, readSeq: j1.readSeq, lastSeq: j1.lastSeq, hasMore: j1.hasMore },
        { ok: true, room: r, messages: [], members: ["alice"], readSeq: 0, lastSeq: 0, hasMore: false },
      );
      const joins = collect(alice, "presence:join");
      const bob1 = await user("bob");
      const announced = waitFor(alice, "presence:join", (p) => p.user === "bob");
      const jb = await call(bob1, "room:join", { room: r });
      assert.deepEqual([...jb.members].sort(), ["alice", "bob"]);
      await announced;
      const bob2 = await user("bob"); // a second tab does not announce again
      await call(bob2, "room:join", { room: r });
      await sleep(100);
      assert.deepEqual(joins, [{ room: r, user: "bob" }]);
    });

    test("send acks the stored message and every socket in the room gets it once", async () => {
      const r = room();
      const alice = await user("alice");
      const bob = await user("bob");
      await call(alice, "room:join", { room: r });
      await call(bob, "room:join", { room: r });
      const got = collect(bob, "message:new");
      const mine = collect(alice, "message:new");
      const ack = await call(alice, "message:send", { room: r, body: "  hello bob  ", clientId: "c1" });
      assert.equal(ack.ok, true);
      assert.equal(ack.message.body, "hello bob"); // trimmed
      assert.equal(ack.message.seq, 1);
      assert.equal(ack.message.user, "alice");
      assert.equal(ack.message.clientId, "c1");
      assert.ok(!Number.isNaN(Date.parse(ack.message.createdAt)));
      await eventually(() => got.length >= 1, 10_000, "bob's delivery");
      await sleep(100);
      assert.deepEqual(got, [ack.message]);
      assert.deepEqual(mine, [ack.message]);
    });

    test("a retried clientId returns the stored message and broadcasts nothing", async () => {
      const r = room();
      const alice = await user("alice");
      await call(alice, "room:join", { room: r });
      const got = collect(alice, "message:new");
      const a1 = await call(alice, "message:send", { room: r, body: "once", clientId: "same" });
      const a2 = await call(alice, "message:send", { room: r, body: "a different body", clientId: "same" });
      assert.deepEqual(a2, a1);
      const b = await user("bob"); // the same clientId from another user is another message
      await call(b, "room:join", { room: r });
      const b1 = await call(b, "message:send", { room: r, body: "mine", clientId: "same" });
      assert.equal(b1.message.seq, 2);
      await sleep(150);
      assert.deepEqual(got.map((m) => m.seq), [1, 2]);
    });

    test("seq stays contiguous under 240 concurrent sends from several connections", async () => {
      const r = room();
      const senders: Client[] = [];
      for (let i = 0; i < 6; i++) {
        const s = await user(`sender${i}`);
        await call(s, "room:join", { room: r });
        senders.push(s);
      }
      const watcher = await user("watcher");
      await call(watcher, "room:join", { room: r });
      const live = collect(watcher, "message:new");
      const acks = await Promise.all(
        Array.from({ length: 240 }, (_, i) => call(senders[i % senders.length]!, "message:send", { room: r, body: `m${i}`, clientId: `k${i}` })),
      );
      assert.ok(acks.every((a) => a.ok));
      const seqs = acks.map((a) => a.message.seq).sort((x, y) => x - y);
      assert.deepEqual(seqs, Array.from({ length: 240 }, (_, i) => i + 1));
      await eventually(() => live.length >= 240, 10_000, "240 deliveries");
      assert.deepEqual(
        live.map((m) => m.seq).sort((x, y) => x - y),
        seqs,
      );
      // Whenever the watcher saw seq N, everything below N was readable: check history now.
      const h = await call(watcher, "room:join", { room: r, since: 0 });
      assert.deepEqual(h.messages.map((m: { seq: number }) => m.seq), seqs);
    });

    test("one sender's messages keep their order even when sent without waiting", async () => {
      const r = room();
      const s = await user("orderly");
      await call(s, "room:join", { room: r });
      const noise = await user("noisy"); // a second sender into the same room, interleaved
      await call(noise, "room:join", { room: r });
      const acks = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          call(i % 3 === 2 ? noise : s, "message:send", { room: r, body: `o${i}`, clientId: `o${i}` }),
        ),
      );
      const mine = acks.filter((_, i) => i % 3 !== 2).map((a) => a.message.seq);
      assert.deepEqual(mine, [...mine].sort((x, y) => x - y));
    });

    test("history pages backwards by before; limit bounds are enforced", async () => {
      const r = room();
      const alice = await user("alice");
      await call(alice, "room:join", { room: r });
      for (let i = 1; i <= 12; i++) await call(alice, "message:send", { room: r, body: `m${i}`, clientId: `h${i}` });
      const j = await call(alice, "room:join", { room: r });
      assert.deepEqual(j.messages.map((m: { seq: number }) => m.seq), [8, 9, 10, 11, 12]); // HISTORY_LIMIT=5
      assert.equal(j.hasMore, true);
      assert.equal(j.lastSeq, 12);
      const p1 = await call(alice, "room:history", { room: r, before: 8, limit: 4 });
      assert.deepEqual(p1.messages.map((m: { seq: number }) => m.seq), [4, 5, 6, 7]);
      assert.equal(p1.hasMore, true);
      const p2 = await call(alice, "room:history", { room: r, before: 4, limit: 4 });
      assert.deepEqual(p2.messages.map((m: { seq: number }) => m.seq), [1, 2, 3]);
      assert.equal(p2.hasMore, false);
      const latest = await call(alice, "room:history", { room: r });
      assert.equal(latest.messages.length, 5);
      for (const bad of [{ room: r, limit: 0 }, { room: r, limit: 101 }, { room: r, before: 0 }, { room: r, limit: 2.5 }]) {
        const a = await call(alice, "room:history", bad);
        assert.equal(a.error?.code, "invalid_payload", JSON.stringify(bad));
      }
      // Readable without joining.
      const carol = await user("carol");
      const c = await call(carol, "room:history", { room: r, limit: 2 });
      assert.deepEqual(c.messages.map((m: { seq: number }) => m.seq), [11, 12]);
    });

    test("join with since returns exactly the missed entries", async () => {
      const r = room();
      const alice = await user("alice");
      await call(alice, "room:join", { room: r });
      for (let i = 1; i <= 3; i++) await call(alice, "message:send", { room: r, body: `m${i}`, clientId: `s${i}` });
      const bob = await user("bob");
      await call(bob, "room:join", { room: r });
      bob.close(); // bob goes away having seen seq 3
      for (let i = 4; i <= 9; i++) await call(alice, "message:send", { room: r, body: `m${i}`, clientId: `s${i}` });
      const bob2 = await user("bob");
      const j = await call(bob2, "room:join", { room: r, since: 3 });
      assert.deepEqual(j.messages.map((m: { seq: number }) => m.seq), [4, 5, 6, 7, 8, 9]);
      assert.equal(j.hasMore, false);
      assert.equal(j.lastSeq, 9);
      const none = await call(bob2, "room:join", { room: r, since: 9 });
      assert.deepEqual(none.messages, []);
      const bad = await call(bob2, "room:join", { room: r, since: -1 });
      assert.equal(bad.error.code, "invalid_payload");
    });

    test("read markers never move back; others hear of forward moves; unread counts", async () => {
      const r = room();
      const alice = await user("alice");
      const bob = await user("bob");
      await call(alice, "room:join", { room: r });
      await call(bob, "room:join", { room: r });
      for (let i = 1; i <= 4; i++) await call(alice, "message:send", { room: r, body: `a${i}`, clientId: `r${i}` });
      await call(bob, "message:send", { room: r, body: "b1", clientId: "rb1" });
      const list0 = await call(bob, "rooms:list", {});
      const mine = list0.rooms.find((x: { room: string }) => x.room === r);
      assert.deepEqual(mine, { room: r, lastSeq: 5, readSeq: 0, unread: 4, mentions: 0, unreadThreads: 0 }); // bob's own message does not count
      const reads = collect(alice, "message:read");
      const heard = waitFor(alice, "message:read", (p) => p.seq === 3);
      assert.deepEqual(await call(bob, "message:read", { room: r, seq: 3 }), { ok: true });
      await heard;
      assert.deepEqual(await call(bob, "message:read", { room: r, seq: 2 }), { ok: true });
      const list1 = await call(bob, "rooms:list", {});
      assert.deepEqual(list1.rooms.find((x: { room: string }) => x.room === r), { room: r, lastSeq: 5, readSeq: 3, unread: 1, mentions: 0, unreadThreads: 0 });
      const far = await call(bob, "message:read", { room: r, seq: 6 });
      assert.equal(far.error.code, "not_found");
      await sleep(100);
      assert.deepEqual(reads, [{ room: r, user: "bob", seq: 3 }]);
      const j = await call(bob, "room:join", { room: r });
      assert.equal(j.readSeq, 3);
    });

    test("rooms:list lists joined rooms, newest message first", async () => {
      const [r1, r2] = [room(), room()];
      const dave = await user("dave");
      await call(dave, "room:join", { room: r1 });
      await call(dave, "room:join", { room: r2 });
      await call(dave, "message:send", { room: r2, body: "x", clientId: "l1" });
      await call(dave, "message:send", { room: r1, body: "y", clientId: "l2" });
      const l = await call(dave, "rooms:list", {});
      assert.deepEqual(l.rooms.map((x: { room: string }) => x.room).slice(0, 2), [r1, r2]);
    });

    test("typing reaches the others only; leave and disconnect announce presence:leave", async () => {
      const r = room();
      const alice = await user("alice");
      const bob = await user("bob");
      await call(alice, "room:join", { room: r });
      await call(bob, "room:join", { room: r });
      const aliceTyping = collect(alice, "typing");
      const on = waitFor(bob, "typing");
      assert.deepEqual(await call(alice, "typing", { room: r, typing: true }), { ok: true });
      assert.deepEqual(await on, { room: r, user: "alice", typing: true });
      const off = waitFor(bob, "typing");
      alice.emit("typing", { room: r, typing: false }); // no ack callback: still handled
      assert.deepEqual(await off, { room: r, user: "alice", typing: false });
      assert.deepEqual(aliceTyping, []);
      const leave = waitFor(alice, "presence:leave");
      assert.deepEqual(await call(bob, "room:leave", { room: r }), { ok: true });
      assert.deepEqual(await leave, { room: r, user: "bob" });
      const t = await call(bob, "typing", { room: r, typing: true });
      assert.equal(t.error.code, "not_joined");
      const carol = await user("carol");
      await call(carol, "room:join", { room: r });
      const gone = waitFor(alice, "presence:leave", (p) => p.user === "carol");
      carol.close();
      await gone;
      const j = await call(alice, "room:join", { room: r });
      assert.deepEqual(j.members, ["alice"]);
    });

    test("every error code of the contract that one node can produce", async () => {
      const r = room();
      const anon = await connect(srv.url);
      assert.equal((await call(anon, "room:join", { room: r })).error.code, "unauthenticated");
      assert.equal((await call(anon, "rooms:list", {})).error.code, "unauthenticated");
      const alice = await user("alice");
      const cases: [string, unknown][] = [
        ["room:join", { room: "Bad Room" }],
        ["room:join", { room: "dm:b:a" }], // not the canonical (sorted) spelling
        ["room:join", "lobby"],
        ["room:join", null],
        ["message:send", { room: r, body: "   ", clientId: "x" }],
        ["message:send", { room: r, body: "x".repeat(4001), clientId: "x" }],
        ["message:send", { room: r, body: "ok", clientId: "" }],
        ["message:send", { room: r, body: "ok" }],
        ["message:send", { room: r, body: "nul\u0000", clientId: "n" }],
        ["message:send", { room: r, body: "\ud800", clientId: "n" }],
        ["message:send", { room: r, body: 42, clientId: "n" }],
        ["message:send", { room: r, body: "", clientId: "n", attachments: [] }],
        ["message:send", { room: r, body: "ok", clientId: "n", attachments: "AAAAAAAAAAAAAAAAAAAAAA" }],
        ["message:send", { room: r, body: "ok", clientId: "n", attachments: ["not an id"] }],
        ["message:send", { room: r, body: "ok", clientId: "n", attachments: ["AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAA"] }],
        ["message:read", { room: r, seq: 0 }],
        ["message:read", { room: r, seq: 1.5 }],
        ["typing", { room: r, typing: "yes" }],
        ["dm:open", { user: "alice" }],
        ["dm:open", { user: "not valid" }],
      ];
      for (const [event, payload] of cases) {
        const a = await call(alice, event, payload);
        assert.equal(a.ok, false, `${event} ${JSON.stringify(payload)}`);
        assert.equal(a.error.code, "invalid_payload", `${event} ${JSON.stringify(payload)}: ${JSON.stringify(a)}`);
        assert.equal(typeof a.error.message, "string");
      }
      // 4000 code points of astral characters is within the limit.
      await call(alice, "room:join", { room: r });
      const astral = await call(alice, "message:send", { room: r, body: "😀".repeat(4000), clientId: "astral" });
      assert.equal(astral.ok, true);
      assert.equal((await call(alice, "message:send", { room: room(), body: "x", clientId: "nj" })).error.code, "not_joined");
      assert.equal((await call(alice, "message:read", { room: room(), seq: 1 })).error.code, "not_joined");
      assert.equal((await call(alice, "message:read", { room: r, seq: 99 })).error.code, "not_found");
      assert.equal((await call(alice, "room:join", { room: "dm:bob:carol" })).error.code, "forbidden");
      // Unknown events are ignored (and counted); the connection stays usable.
      alice.emit("no:such:event", { x: 1 });
      assert.equal((await call(alice, "rooms:list", {})).ok, true);
      const metrics = await (await fetch(`${srv.url}/metrics`)).text();
      assert.match(metrics, /chat_unknown_events_total\{node="[^"]+"\} [1-9]/);
      assert.match(metrics, /chat_events_total\{event="message:send",outcome="invalid_payload",node="[^"]+"\} [1-9]/);
      assert.match(metrics, /chat_events_total\{event="message:send",outcome="ok",node="[^"]+"\} [1-9]/);
      assert.match(metrics, /chat_event_duration_seconds_count\{[^}]*event="message:send"[^}]*\} [1-9]/);
    });
  });
}
