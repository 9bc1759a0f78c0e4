/**
 * Bounded state per connection and per user (issue 18): rooms per connection, new rooms per
 * user and hour (across two nodes on Redis), DM invitations and who may be DMed, and open
 * mode's template connections, which take their user late and must still be counted.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { call, closeAll, collect, connect, eventually, sleep, waitFor } from "../helpers/client.js";
import { createTestDatabase, queryDb, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, startNode, startNodes, uniquePrefix, type RunningNode } from "../helpers/node.js";
import { ConfigError, loadConfig } from "../../src/config.js";

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase("bounds");
});
after(() => db.drop());
afterEach(() => closeAll());

test("settings: 1,000 rooms per connection and 100 new rooms per user and hour by default; bad values named together", () => {
  const c = loadConfig({});
  assert.equal(c.maxRoomsPerConnection, 1000);
  assert.equal(c.maxNewRoomsPerUserHour, 100);
  assert.equal(loadConfig({ MAX_ROOMS_PER_CONNECTION: "0", MAX_NEW_ROOMS_PER_USER_HOUR: "0" }).maxRoomsPerConnection, 0, "0 = no limit");
  assert.throws(
    () => loadConfig({ MAX_ROOMS_PER_CONNECTION: "-1", MAX_NEW_ROOMS_PER_USER_HOUR: "many" }),
    (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.startsWith("MAX_ROOMS_PER_CONNECTION")) && e.problems.some((p) => p.startsWith("MAX_NEW_ROOMS_PER_USER_HOUR")),
  );
});

describe("rooms per connection", () => {
  let node: RunningNode;
  before(async () => {
    node = await startNode({ DATABASE_URL: db.url, MAX_ROOMS_PER_CONNECTION: "3" });
  });
  after(() => node.stop());

  test("over MAX_ROOMS_PER_CONNECTION a join is limit_exceeded; the connection stays and works", async () => {
    const s = await connect(node.url, { username: "roomy" });
    // Concurrent joins are counted as they start: three pass, however they interleave.
    const acks = await Promise.all(["cap-a", "cap-b", "cap-c", "cap-d"].map((room) => call(s, "room:join", { room })));
    assert.deepEqual(acks.map((a) => a.ok), [true, true, true, false]);
    assert.equal(acks[3].error.code, "limit_exceeded");
    assert.match(acks[3].error.message, /3 rooms/);
    assert.equal((await call(s, "room:join", { room: "cap-e" })).error.code, "limit_exceeded");
    // Joining a room it is in again (a catch-up) is not a new room.
    assert.equal((await call(s, "room:join", { room: "cap-a", since: 0 })).ok, true);
    assert.equal(s.connected, true);
    assert.equal((await call(s, "message:send", { room: "cap-a", body: "still here", clientId: "c1" })).ok, true);
    // The refused room was not subscribed: its messages do not reach this socket.
    const other = await connect(node.url, { username: "other" });
    await call(other, "room:join", { room: "cap-d" });
    const heard = collect(s, "message:new");
    await call(other, "message:send", { room: "cap-d", body: "not for roomy", clientId: "o1" });
    // Leaving frees a place.
    assert.equal((await call(s, "room:leave", { room: "cap-b" })).ok, true);
    assert.equal((await call(s, "room:join", { room: "cap-d" })).ok, true);
    assert.deepEqual(heard, []);
  });

  test("template joins count against the same cap", async () => {
    const legacy = await connect(node.url, {});
    for (const room of ["l-1", "l-2", "l-3"]) {
      const history = waitFor(legacy, "rejoin_room");
      legacy.emit("joined_room", { username: "tmpl", room });
      await history;
    }
    const refused = await call(legacy, "joined_room", { username: "tmpl", room: "l-4" });
    assert.equal(refused.error?.code, "limit_exceeded");
    assert.equal(legacy.connected, true);
  });
});

describe("open mode: a socket that takes its user late", () => {
  let node: RunningNode;
  before(async () => {
    node = await startNode({ DATABASE_URL: db.url, MAX_CONNECTIONS_PER_USER: "3", RATE_LIMIT_SENDS: "100" });
  });
  after(() => node.stop());

  const legacyJoin = (s: Awaited<ReturnType<typeof connect>>, username: string, room: string) => call(s, "joined_room", { username, room });

  test("joined_room counts against MAX_CONNECTIONS_PER_USER like a handshake, and gives the slot back on close", async () => {
    const anon = await Promise.all([1, 2, 3, 4].map(() => connect(node.url, {})));
    const acks = [];
    for (const s of anon) acks.push(await legacyJoin(s, "nameless", "late"));
    assert.deepEqual(acks.map((a) => a.ok), [true, true, true, false]);
    assert.equal(acks[3].error.code, "limit_exceeded");
    // The refused socket has no user: it may not send.
    assert.equal((await call(anon[3]!, "send_message", { username: "nameless", room: "late", message: "x" })).error.code, "unauthenticated");
    await assert.rejects(connect(node.url, { username: "nameless" }), { message: "too_many_connections" });
    anon[0]!.close();
    let back;
    for (let i = 0; i < 50 && !back; i++) back = await connect(node.url, { username: "nameless" }).catch(() => sleep(20).then(() => undefined));
    assert.ok(back, "closing a template socket gave its user's slot back");
  });

  test("a user taken through joined_room hears mentions and dm:invited", async () => {
    const anon = await connect(node.url, {});
    assert.equal((await legacyJoin(anon, "latecomer", "hall")).ok, true);
    const poster = await connect(node.url, { username: "poster" });
    assert.equal((await call(poster, "room:join", { room: "hall" })).ok, true);
    const mention = waitFor(anon, "mention");
    assert.equal((await call(poster, "message:send", { room: "hall", body: "hi @latecomer", clientId: "m1" })).ok, true);
    assert.equal((await mention).from, "poster");
    const invite = waitFor(anon, "dm:invited");
    assert.equal((await call(poster, "dm:open", { user: "latecomer" })).ok, true);
    assert.deepEqual(await invite, { room: "dm:latecomer:poster", from: "poster" });
  });
});

describe("direct messages", () => {
  let node: RunningNode;
  before(async () => {
    node = await startNode({ DATABASE_URL: db.url, RATE_LIMIT_SENDS: "5", RATE_LIMIT_WINDOW_MS: "60000" });
  });
  after(() => node.stop());
  const recorded = (user: string) => eventually(async () => (await queryDb(db.url, "SELECT 1 FROM users WHERE name = $1", [user])).length === 1, 10_000, `${user} recorded`);

  test("dm:open invites the other once per DM and counts against the send limit", async () => {
    const bob = await connect(node.url, { username: "dm-bob" });
    const alice = await connect(node.url, { username: "dm-alice" });
    await recorded("dm-bob");
    const invites = collect(bob, "dm:invited");
    const first = waitFor(bob, "dm:invited");
    for (let i = 0; i < 5; i++) assert.deepEqual(await call(alice, "dm:open", { user: "dm-bob" }), { ok: true, room: "dm:dm-alice:dm-bob" });
    await first;
    const over = await call(alice, "dm:open", { user: "dm-bob" });
    assert.equal(over.error?.code, "rate_limited");
    assert.ok(over.error.retryAfterMs > 0);
    // The same limit as sends: alice's messages wait too.
    await call(alice, "room:join", { room: "dm:dm-alice:dm-bob" });
    assert.equal((await call(alice, "message:send", { room: "dm:dm-alice:dm-bob", body: "hi", clientId: "h" })).error?.code, "rate_limited");
    await sleep(200);
    assert.deepEqual(invites, [{ room: "dm:dm-alice:dm-bob", from: "dm-alice" }]);
  });

  test("only users who have connected at least once can be opened a DM with; others are not_found and nothing is stored", async () => {
    const carol = await connect(node.url, { username: "dm-carol" });
    const ghost = await call(carol, "dm:open", { user: "dm-ghost" });
    assert.equal(ghost.error?.code, "not_found");
    assert.deepEqual(await queryDb(db.url, "SELECT user_name FROM memberships WHERE user_name = 'dm-ghost' OR room = 'dm:dm-carol:dm-ghost'"), []);
    assert.deepEqual(await queryDb(db.url, "SELECT name FROM rooms WHERE name = 'dm:dm-carol:dm-ghost'"), []);
    // Someone who came once and left is a user: the DM is opened and waits in their rooms:list.
    const dora = await connect(node.url, { username: "dm-dora" });
    await recorded("dm-dora");
    dora.close();
    assert.deepEqual(await call(carol, "dm:open", { user: "dm-dora" }), { ok: true, room: "dm:dm-carol:dm-dora" });
    const back = await connect(node.url, { username: "dm-dora" });
    const list = await call(back, "rooms:list", {});
    assert.deepEqual(list.rooms.map((r: { room: string }) => r.room), ["dm:dm-carol:dm-dora"]);
  });
});

describe("new rooms per user and hour, across two nodes", () => {
  const nodes: RunningNode[] = [];
  before(async () => {
    await startNodes(nodes, clusterEnv(db.url, uniquePrefix("rooms"), { MAX_NEW_ROOMS_PER_USER_HOUR: "2" }), ["rooms-a", "rooms-b"]);
  });
  after(async () => {
    closeAll();
    for (const n of nodes) await n.stop();
  });

  test("over MAX_NEW_ROOMS_PER_USER_HOUR creating a room is rate_limited; joining existing rooms is not", async () => {
    const [a, b] = [await connect(nodes[0]!.url, { username: "maker" }), await connect(nodes[1]!.url, { username: "maker" })];
    const host = await connect(nodes[1]!.url, { username: "host" });
    assert.equal((await call(host, "room:join", { room: "made-old" })).ok, true);
    assert.equal((await call(a, "room:join", { room: "made-1" })).ok, true);
    assert.equal((await call(b, "room:join", { room: "made-2" })).ok, true);
    const over = await call(a, "room:join", { room: "made-3" });
    assert.equal(over.error?.code, "rate_limited");
    assert.ok(over.error.retryAfterMs > 0 && over.error.retryAfterMs <= 3_600_000, JSON.stringify(over));
    assert.equal((await call(b, "room:join", { room: "made-3" })).error?.code, "rate_limited", "counted on the other node too");
    assert.deepEqual(await queryDb(db.url, "SELECT name FROM rooms WHERE name = 'made-3'"), []);
    // Rooms that exist cost nothing, and joining again is not creating.
    assert.equal((await call(a, "room:join", { room: "made-old" })).ok, true);
    assert.equal((await call(b, "room:join", { room: "made-1", since: 0 })).ok, true);
    // The template's join creates rooms too, under the user it names.
    const legacy = await connect(nodes[0]!.url, {});
    assert.equal((await call(legacy, "joined_room", { username: "maker", room: "made-4" })).error?.code, "rate_limited");
    // Other users are not affected.
    assert.equal((await call(host, "room:join", { room: "made-3" })).ok, true);
  });
});
