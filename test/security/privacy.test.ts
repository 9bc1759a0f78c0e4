/**
 * DM privacy on every path that core tests do not already walk: the template's legacy
 * events (which can never enter a dm: room), the rich events, typing, read markers,
 * search, presence, and the REST endpoint in jwt mode. A third user learns nothing.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, test } from "node:test";
import { SignJWT } from "jose";
import ioV2 from "socket.io-client-v2";
import { call, closeAll, collect, connect, sleep } from "../helpers/client.js";
import { createTestDatabase, queryDb, type TestDatabase } from "../helpers/db.js";
import { startNode } from "../helpers/node.js";

const SECRET = "a-test-secret-that-is-long-enough-123456";
let db: TestDatabase;
before(async () => {
  db = await createTestDatabase("privacy");
});
after(() => db.drop());
afterEach(() => closeAll());

const ROOM = "dm:alice:bob";

test("open mode: legacy and v1 events of a third user never touch a DM", async () => {
  const node = await startNode({ DATABASE_URL: db.url, RATE_LIMIT_SENDS: "1000" });
  const legacyClients: { close(): void }[] = [];
  try {
    const alice = await connect(node.url, { username: "alice" });
    const bob = await connect(node.url, { username: "bob" });
    const mallory = await connect(node.url, { username: "mallory" });
    for (const s of [alice, bob]) assert.equal((await call(s, "room:join", { room: ROOM })).ok, true);
    const sent = await call(alice, "message:send", { room: ROOM, body: "the secret plan", clientId: "s1" });
    assert.equal(sent.ok, true);
    const heard = ["message:new", "message:updated", "typing", "presence:join", "presence:leave", "message:read"].map((e) => collect(mallory, e));

    // v1 events on the DM by a non-member: each one `forbidden`, as the contract says.
    const attempts: [string, object][] = [
      ["message:send", { room: ROOM, body: "intrusion", clientId: "m1" }],
      ["typing", { room: ROOM, typing: true }],
      ["message:read", { room: ROOM, seq: 1 }],
      ["message:edit", { room: ROOM, seq: 1, body: "pwned" }],
      ["message:delete", { room: ROOM, seq: 1 }],
      ["message:react", { room: ROOM, seq: 1, emoji: "👍", on: true }],
      ["room:leave", { room: ROOM }],
      ["room:history", { room: ROOM, before: 2, limit: 1 }],
      ["messages:search", { room: ROOM, query: "secret" }],
      ["room:join", { room: ROOM, since: 0 }],
    ];
    for (const [event, payload] of attempts) {
      const a = await call(mallory, event, payload);
      assert.ok(!JSON.stringify(a).includes("secret plan"), `${event} leaks: ${JSON.stringify(a)}`);
      assert.equal(a.error?.code, "forbidden", `${event}: ${JSON.stringify(a)}`);
    }
    assert.equal((await call(mallory, "dm:open", { user: "mallory" })).error?.code, "invalid_payload");
    // Search without a room never returns another pair's DM.
    const all = await call(mallory, "messages:search", { query: "secret" });
    assert.ok(!JSON.stringify(all).includes("secret plan"), JSON.stringify(all));

    // Legacy (Socket.IO 2) clients: joined_room into a DM is refused, with no rejoin_room.
    const legacy = ioV2(node.url, { transports: ["websocket"], forceNew: true, reconnection: false });
    legacyClients.push(legacy);
    await new Promise<void>((r) => legacy.once("connect", () => r()));
    const rejoin: unknown[] = [];
    const received: unknown[] = [];
    legacy.on("rejoin_room", (x: unknown) => rejoin.push(x));
    legacy.on("recieve_message", (x: unknown) => received.push(x));
    legacy.on("typing_on", (x: unknown) => received.push(x));
    const ack = (event: string, payload: unknown) =>
      new Promise<{ ok: boolean; error?: { code: string } }>((r) => legacy.emit(event, payload, r));
    for (const who of ["alice", "mallory"]) {
      const j = await ack("joined_room", { username: who, room: ROOM });
      assert.equal(j.ok, false, `legacy join of ${ROOM} as ${who}`);
    }
    const s = await ack("send_message", { username: "alice", room: ROOM, message: "legacy intrusion" });
    assert.equal(s.ok, false);
    await ack("typing_status", "mallory is typing");
    await call(alice, "typing", { room: ROOM, typing: true });
    await call(alice, "message:send", { room: ROOM, body: "the secret plan, part 2", clientId: "s2" });
    await sleep(200);
    assert.deepEqual(rejoin, []);
    assert.deepEqual(received, []);
    for (const h of heard) assert.deepEqual(h, []);

    const rows = await queryDb<{ body: string; user_name: string; edited_at: unknown; deleted: boolean }>(db.url, "SELECT body, user_name, edited_at, deleted FROM messages WHERE room = $1 ORDER BY seq", [ROOM]);
    assert.deepEqual(rows.map((r) => [r.user_name, r.body, r.edited_at, r.deleted]), [
      ["alice", "the secret plan", null, false],
      ["alice", "the secret plan, part 2", null, false],
    ]);
    const members = await queryDb(db.url, "SELECT user_name FROM memberships WHERE room = $1 ORDER BY user_name", [ROOM]);
    assert.deepEqual(members.map((m) => m.user_name), ["alice", "bob"]);
  } finally {
    for (const c of legacyClients) c.close();
    await node.stop();
  }
});

test("jwt mode: REST history and socket joins of a DM follow the token's sub, not any parameter", async () => {
  const node = await startNode({ DATABASE_URL: db.url, AUTH_MODE: "jwt", JWT_SECRET: SECRET });
  try {
    const key = new TextEncoder().encode(SECRET);
    const token = (sub: string) => new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setExpirationTime("5m").sign(key);
    const alice = await connect(node.url, { token: await token("alice") });
    assert.equal((await call(alice, "room:join", { room: ROOM })).ok, true);
    assert.equal((await call(alice, "message:send", { room: ROOM, body: "jwt secret", clientId: "j1" })).ok, true);
    const url = `${node.url}/api/rooms/${encodeURIComponent(ROOM)}/messages`;
    const asMallory = await fetch(`${url}?username=alice&before=5`, { headers: { Authorization: `Bearer ${await token("mallory")}` } });
    assert.equal(asMallory.status, 403);
    assert.ok(!(await asMallory.text()).includes("jwt secret"));
    const noToken = await fetch(`${url}?username=alice`);
    assert.equal(noToken.status, 401);
    const asBob = await fetch(url, { headers: { Authorization: `Bearer ${await token("bob")}` } });
    assert.equal(asBob.status, 200);
    // The handshake's username is ignored in jwt mode: the token decides.
    const mallory = await connect(node.url, { token: await token("mallory"), username: "alice" });
    const j = await call(mallory, "room:join", { room: ROOM, since: 0 });
    assert.equal(j.error?.code, "forbidden");
  } finally {
    await node.stop();
  }
});
