/** DM privacy with a third user, and the Flask template's events beside v1 clients. */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import ioV2 from "socket.io-client-v2";
import { call, closeAll, collect, connect, eventually, sleep, waitFor } from "../helpers/client.js";
import { useTestDatabase } from "../helpers/setup.js";
import { startNode, type RunningNode } from "../helpers/node.js";

let srv: RunningNode;
useTestDatabase("dm", {
  setUp: async (db) => {
    srv = await startNode({ DATABASE_URL: db.url });
  },
  tearDown: () => srv.stop(),
});
afterEach(() => closeAll());

describe("direct messages", () => {
  test("dm:open names the room, invites the other, and a third user is refused everywhere", async () => {
    const bob = await connect(srv.url, { username: "bob" });
    const alice = await connect(srv.url, { username: "alice" });
    const mallory = await connect(srv.url, { username: "mallory" });
    const invited = waitFor(bob, "dm:invited");
    const opened = await call(alice, "dm:open", { user: "bob" });
    assert.deepEqual(opened, { ok: true, room: "dm:alice:bob" });
    assert.deepEqual(await invited, { room: "dm:alice:bob", from: "alice" });
    const room = opened.room;
    assert.equal((await call(alice, "room:join", { room })).ok, true);
    assert.equal((await call(bob, "room:join", { room })).ok, true);
    const sent = await call(alice, "message:send", { room, body: "secret", clientId: "d1" });
    assert.equal(sent.ok, true);
    // Bob sees it in rooms:list even before reading.
    const list = await call(bob, "rooms:list", {});
    assert.deepEqual(list.rooms.find((r: { room: string }) => r.room === room), { room, lastSeq: 1, readSeq: 0, unread: 1, mentions: 0, unreadThreads: 0 });

    const malloryHears = collect(mallory, "message:new");
    for (const [event, payload] of [
      ["room:join", { room }],
      ["room:join", { room, since: 0 }],
      ["room:history", { room }],
    ] as const) {
      const a = await call(mallory, event, payload);
      assert.deepEqual(a.error?.code, "forbidden", event);
      assert.ok(!JSON.stringify(a).includes("secret"));
    }
    // Every event on a DM of others is forbidden (the contract), not merely not_joined.
    for (const [event, payload] of [
      ["message:send", { room, body: "hi", clientId: "m" }],
      ["typing", { room, typing: true }],
      ["message:read", { room, seq: 1 }],
      ["room:leave", { room }],
    ] as const) {
      assert.equal((await call(mallory, event, payload)).error?.code, "forbidden", event);
    }
    const rest = await fetch(`${srv.url}/api/rooms/${encodeURIComponent(room)}/messages?username=mallory`);
    assert.equal(rest.status, 403);
    assert.equal(((await rest.json()) as { error: { code: string } }).error.code, "forbidden");
    const ok = await fetch(`${srv.url}/api/rooms/${encodeURIComponent(room)}/messages?username=bob`);
    assert.equal(ok.status, 200);
    assert.deepEqual(((await ok.json()) as { messages: { body: string }[] }).messages.map((m: { body: string }) => m.body), ["secret"]);
    // A DM room that does not exist answers the same as one that does.
    assert.equal((await call(mallory, "room:join", { room: "dm:bob:zed" })).error.code, "forbidden");
    await sleep(100);
    assert.deepEqual(malloryHears, []);
    const mlist = await call(mallory, "rooms:list", {});
    assert.deepEqual(mlist.rooms, []);
  });
});

describe("legacy Flask template events", () => {
  test("anyone connected can be opened a DM at once", async () => {
    const alice = await connect(srv.url, { username: "alice" });
    const refused = [];
    for (let i = 0; i < 25; i++) {
      await connect(srv.url, { username: `new${i}` });
      const opened = await call(alice, "dm:open", { user: `new${i}` });
      if (!opened.ok) refused.push(`new${i}: ${opened.error.code}`);
    }
    assert.deepEqual(refused, []);
  });

  test("a Socket.IO 2 client and a v1 client chat in one room, each in its own dialect", async () => {
    const legacy = ioV2(srv.url, { transports: ["websocket"], forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      legacy.once("connect", () => resolve());
      legacy.once("connect_error", reject);
    });
    try {
      const v1 = await connect(srv.url, { username: "victor" });
      await call(v1, "room:join", { room: "7" });
      await call(v1, "message:send", { room: "7", body: "before you came", clientId: "v0" });

      const legacyEvents: string[] = [];
      const legacyOnAny = legacy as unknown as { onevent: (p: { data: unknown[] }) => void };
      const orig = legacyOnAny.onevent.bind(legacy);
      legacyOnAny.onevent = (p) => {
        legacyEvents.push(String(p.data[0]));
        orig(p);
      };
      const v1Events: string[] = [];
      v1.onAny((e) => v1Events.push(e));

      const rejoin = new Promise<unknown>((r) => legacy.once("rejoin_room", r));
      const announced = waitFor(v1, "presence:join");
      legacy.emit("joined_room", { username: "tina", room: 7 }); // the template sent numbers
      assert.deepEqual(await rejoin, [[1, "victor", "before you came"]]);
      assert.deepEqual(await announced, { room: "7", user: "tina" });

      // Legacy -> v1: message:new for v1, recieve_message for the legacy sender itself.
      const own = new Promise<unknown>((r) => legacy.once("recieve_message", r));
      const v1Got = waitFor(v1, "message:new", (m) => m.user === "tina");
      legacy.emit("send_message", { username: "someone-else", room: "7", message: "hello from flask" });
      assert.deepEqual(await own, { username: "tina", room: "7", message: "hello from flask" });
      const m = await v1Got;
      assert.equal(m.body, "hello from flask");
      assert.equal(m.seq, 2);

      // v1 -> legacy.
      const legacyGot = new Promise<unknown>((r) => legacy.once("recieve_message", r));
      await call(v1, "message:send", { room: "7", body: "hi tina", clientId: "v1" });
      assert.deepEqual(await legacyGot, { username: "victor", room: "7", message: "hi tina" });

      // Typing both ways.
      const v1Typing = waitFor(v1, "typing");
      legacy.emit("typing_status", "tina is typing...");
      assert.deepEqual(await v1Typing, { room: "7", user: "tina", typing: true });
      const legacyTyping = new Promise<unknown>((r) => legacy.once("typing_on", r));
      await call(v1, "typing", { room: "7", typing: true });
      assert.equal(await legacyTyping, "victor is typing...");

      // A v1 join reaches the legacy socket as join_room_announcement.
      const ann = new Promise<unknown>((r) => legacy.once("join_room_announcement", r));
      const w = await connect(srv.url, { username: "wanda" });
      await call(w, "room:join", { room: "7" });
      assert.deepEqual(await ann, { username: "wanda", room: "7" });

      // A legacy join with an invalid room is refused with an ack.
      const bad = await new Promise<{ ok: boolean; error: { code: string } }>((r) => legacy.emit("joined_room", { username: "tina", room: "Not A Room" }, r));
      assert.equal(bad.error.code, "invalid_payload");

      await sleep(150);
      assert.ok(legacyEvents.includes("recieve_message"), legacyEvents.join()); // the tap works
      assert.ok(!legacyEvents.includes("message:new"), legacyEvents.join());
      assert.ok(!legacyEvents.includes("presence:join"));
      assert.ok(!v1Events.includes("recieve_message"), v1Events.join());
      assert.ok(!v1Events.includes("join_room_announcement"));
      assert.ok(!v1Events.includes("typing_on"));
      // Both dialects' messages are one log.
      const h = await call(v1, "room:history", { room: "7" });
      assert.deepEqual(h.messages.map((x: { seq: number; user: string }) => [x.seq, x.user]), [[1, "victor"], [2, "tina"], [3, "victor"]]);
    } finally {
      legacy.close();
    }
  });

  test("a legacy socket that has not joined gets unauthenticated or not_joined", async () => {
    const legacy = ioV2(srv.url, { transports: ["polling"], forceNew: true, reconnection: false });
    try {
      await new Promise<void>((resolve) => legacy.once("connect", () => resolve()));
      const a = await new Promise<{ error: { code: string } }>((r) => legacy.emit("send_message", { username: "x", room: "1", message: "m" }, r));
      assert.equal(a.error.code, "unauthenticated");
      await new Promise((r) => legacy.emit("joined_room", { username: "tom", room: "1" }, r));
      const b = await new Promise<{ error: { code: string } }>((r) => legacy.emit("send_message", { username: "tom", room: "2", message: "m" }, r));
      assert.equal(b.error.code, "not_joined");
      await eventually(() => legacy.connected, 2000, "still connected");
    } finally {
      legacy.close();
    }
  });
});
