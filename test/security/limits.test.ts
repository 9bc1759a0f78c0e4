/**
 * Floods and connection abuse: the per-connection event limit (rate_limited with
 * retryAfterMs, a sustained flood disconnected), the per-user send limit across two
 * connections, connections per user and per address refused in the handshake (and given
 * back when closed), X-Forwarded-For honoured only with TRUST_PROXY, oversize frames, and a
 * client that stops reading closed at MAX_SOCKET_BACKLOG_BYTES (WebSocket and long-polling).
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { io } from "socket.io-client";
import { call, closeAll, connect, eventually, sleep, waitFor } from "../helpers/client.js";
import { createTestDatabase, queryDb, type TestDatabase } from "../helpers/db.js";
import { startNode, type RunningNode } from "../helpers/node.js";
import { sinceReplyBytes } from "../../src/chat/rooms.js";
import { fitInBytes } from "../../src/store/history.js";

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase("limits");
});
after(() => db.drop());
afterEach(() => closeAll());

function connectWithHeaders(url: string, username: string, headers: Record<string, string>): Promise<ReturnType<typeof io>> {
  const s = io(url, { auth: { username }, transports: ["websocket"], reconnection: false, forceNew: true, extraHeaders: headers });
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("connect_error", (e) => {
      s.close();
      reject(e);
    });
  });
}

describe("limits", () => {
  let node: RunningNode;
  before(async () => {
    node = await startNode({
      DATABASE_URL: db.url,
      EVENT_RATE_LIMIT: "10",
      EVENT_RATE_WINDOW_MS: "2000",
      RATE_LIMIT_SENDS: "5",
      RATE_LIMIT_WINDOW_MS: "60000",
      MAX_CONNECTIONS_PER_USER: "2",
      MAX_CONNECTIONS_PER_IP: "4",
      MAX_HTTP_BUFFER_SIZE: "4096",
    });
  });
  after(() => node.stop());

  test("per connection: events over EVENT_RATE_LIMIT are rate_limited; a flood at twice the limit is disconnected", async () => {
    const s = await connect(node.url, { username: "flooder" });
    const acks = await Promise.all(Array.from({ length: 15 }, () => call(s, "typing", { room: "lobby", typing: true })));
    // Ten pass the limiter (and get not_joined from the handler); five are refused by it.
    assert.equal(acks.filter((a) => a.error?.code === "not_joined").length, 10);
    const limited = acks.filter((a) => a.error?.code === "rate_limited");
    assert.equal(limited.length, 5);
    for (const a of limited) assert.ok(a.error.retryAfterMs > 0 && a.error.retryAfterMs <= 2000, JSON.stringify(a));
    // Unknown event names count too, and the 20th event of the window closes the connection.
    const gone = waitFor(s, "disconnect");
    for (let i = 0; i < 6; i++) s.emit("junk", i);
    assert.equal(await gone, "io server disconnect");
    // Another connection of the same user is not affected.
    const other = await connect(node.url, { username: "flooder" });
    assert.equal((await call(other, "room:join", { room: "lobby" })).ok, true);
  });

  test("per user: RATE_LIMIT_SENDS counts the user's sends on all connections; nothing over it is stored", async () => {
    const a = await connect(node.url, { username: "chatty" });
    const b = await connect(node.url, { username: "chatty" });
    for (const s of [a, b]) assert.equal((await call(s, "room:join", { room: "limits" })).ok, true);
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await call(i % 2 ? a : b, "message:send", { room: "limits", body: `m${i}`, clientId: `c${i}` }));
    assert.equal(results.filter((r) => r.ok).length, 5);
    const refused = results.filter((r) => !r.ok);
    assert.deepEqual(refused.map((r) => r.error.code), ["rate_limited", "rate_limited"]);
    assert.ok(refused.every((r) => r.error.retryAfterMs > 0));
    const rows = await queryDb(db.url, "SELECT seq FROM messages WHERE room = 'limits' AND user_name = 'chatty'");
    assert.equal(rows.length, 5);
  });

  test("per user: the third connection is refused with too_many_connections; closing one frees a slot", async () => {
    const one = await connect(node.url, { username: "tabby" });
    await connect(node.url, { username: "tabby" });
    await assert.rejects(connect(node.url, { username: "tabby" }), { message: "too_many_connections" });
    await connect(node.url, { username: "other" }); // other users are not affected
    one.close();
    let third;
    for (let i = 0; i < 50 && !third; i++) third = await connect(node.url, { username: "tabby" }).catch(() => new Promise((r) => setTimeout(r, 20)).then(() => undefined));
    assert.ok(third, "a slot was given back");
  });

  test("per user: a closed connection gives its slot back once, and a template socket naming a full user is refused", async () => {
    const one = await connect(node.url, { username: "once" });
    const two = await connect(node.url, { username: "once" });
    one.close(); // both the disconnect and the transport close release: only one may count
    let three;
    for (let i = 0; i < 50 && !three; i++) three = await connect(node.url, { username: "once" }).catch(() => new Promise((r) => setTimeout(r, 20)).then(() => undefined));
    assert.ok(three, "the slot came back");
    await assert.rejects(connect(node.url, { username: "once" }), { message: "too_many_connections" });
    // A template connection with no handshake user names itself later: it is counted as a
    // handshake would be, so naming a full user is refused, and closing it gives nothing back.
    const legacy = await connect(node.url, {});
    const refused = await call(legacy, "joined_room", { username: "once", room: "limits-legacy" });
    assert.equal(refused.error?.code, "limit_exceeded");
    legacy.close();
    await new Promise((r) => setTimeout(r, 200));
    await assert.rejects(connect(node.url, { username: "once" }), { message: "too_many_connections" });
    two.close();
    (three as { close(): void }).close();
  });

  test("per address: the fifth connection from 127.0.0.1 is refused, anonymous ones included", async () => {
    await connect(node.url, { username: "ip1" });
    await connect(node.url, { username: "ip2" });
    await connect(node.url, {});
    await connect(node.url, { username: "ip3" });
    await assert.rejects(connect(node.url, { username: "ip4" }), { message: "too_many_connections" });
    // Without TRUST_PROXY, X-Forwarded-For is not believed.
    await assert.rejects(connectWithHeaders(node.url, "ip5", { "X-Forwarded-For": "203.0.113.9" }), { message: "too_many_connections" });
    closeAll();
  });

  test("a frame over MAX_HTTP_BUFFER_SIZE closes the connection and stores nothing", async () => {
    const s = await connect(node.url, { username: "big" });
    assert.equal((await call(s, "room:join", { room: "big" })).ok, true);
    const gone = waitFor(s, "disconnect");
    s.emit("message:send", { room: "big", body: "x".repeat(5000), clientId: "big" });
    assert.match(await gone, /transport (close|error)/);
    assert.equal((await queryDb(db.url, "SELECT 1 FROM messages WHERE room = 'big'")).length, 0);
  });
});

test("TRUST_PROXY: connections are counted per client address that the proxy added", async () => {
  const node = await startNode({ DATABASE_URL: db.url, TRUST_PROXY: "true", MAX_CONNECTIONS_PER_IP: "1" });
  try {
    // An appending proxy: the client forged the first entry, the proxy added the last.
    await connectWithHeaders(node.url, "p1", { "X-Forwarded-For": "198.51.100.7, 203.0.113.1" });
    await connectWithHeaders(node.url, "p2", { "X-Forwarded-For": "203.0.113.2" });
    await assert.rejects(connectWithHeaders(node.url, "p3", { "X-Forwarded-For": "203.0.113.1" }), { message: "too_many_connections" });
    // Forging a fresh first entry does not buy another slot.
    await assert.rejects(connectWithHeaders(node.url, "p4", { "X-Forwarded-For": "192.0.2.99, 203.0.113.2" }), { message: "too_many_connections" });
  } finally {
    closeAll();
    await node.stop();
  }
});

test("defaults: no per-address limit, 50 per user, 100 events per second per connection", async () => {
  const node = await startNode({ DATABASE_URL: db.url });
  try {
    const sockets = await Promise.all(Array.from({ length: 60 }, (_, i) => connect(node.url, { username: `u${i}` })));
    assert.equal(sockets.length, 60);
    const s = sockets[0]!;
    const acks = await Promise.all(Array.from({ length: 100 }, () => call(s, "rooms:list", {})));
    assert.ok(acks.every((a) => a.ok), "100 events in a burst pass");
  } finally {
    closeAll();
    await node.stop();
  }
});

test("since replies: an eighth of the backlog cap, 16 KiB to 1 MiB, and always one entry", () => {
  assert.equal(sinceReplyBytes(4 * 1024 * 1024), 512 * 1024);
  assert.equal(sinceReplyBytes(65_536), 16 * 1024);
  assert.equal(sinceReplyBytes(64 * 1024 * 1024), 1024 * 1024);
  assert.equal(sinceReplyBytes(0), 1024 * 1024, "no cap");
  const m = (seq: number, body: string) => ({ room: "r", seq, user: "u", body, clientId: `c${seq}`, createdAt: "2026-12-01T00:00:00.000Z" });
  const one = Buffer.byteLength(JSON.stringify(m(1, "é".repeat(100)))) + 1;
  const list = [1, 2, 3, 4].map((i) => m(i, "é".repeat(100)));
  assert.equal(fitInBytes(list, 2 * one), 2, "counted in UTF-8 bytes");
  assert.equal(fitInBytes(list, 2 * one - 1), 1);
  assert.equal(fitInBytes(list, 1), 1, "one entry even if it is larger");
  assert.equal(fitInBytes(list, Number.POSITIVE_INFINITY), 4);
});

describe("a client that stops reading", () => {
  const room = "backlog";
  const CAP = 256 * 1024;
  let node: RunningNode;
  before(async () => {
    node = await startNode({ DATABASE_URL: db.url, MAX_SOCKET_BACKLOG_BYTES: String(CAP), RATE_LIMIT_SENDS: "1000" });
    // 50 messages of 4,000 characters: each history page is about 200 KB, under the cap.
    const seed = await connect(node.url, { username: "seed" });
    await call(seed, "room:join", { room });
    for (let i = 0; i < 50; i++) {
      const ack = await call(seed, "message:send", { room, body: `${i} ${"x".repeat(3990)}`, clientId: `seed-${i}` });
      assert.ok(ack.ok, JSON.stringify(ack.error));
    }
    seed.close();
  });
  after(() => node.stop());

  const closedForBacklog = async () => {
    const m = await (await fetch(`${node.url}/metrics`)).text();
    return Number(/^chat_backlog_closed_total\{[^}]*\} (\d+)$/m.exec(m)?.[1]);
  };

  test("over WebSocket: closed once it owes more than MAX_SOCKET_BACKLOG_BYTES; a reading client is not", async () => {
    const before = await closedForBacklog();
    const watcher = await connect(node.url, { username: "watcher" });
    await call(watcher, "room:join", { room });
    const slow = await connect(node.url, { username: "slow" });
    await call(slow, "room:join", { room });
    const left = waitFor(watcher, "presence:leave", (p: { user: string }) => p.user === "slow", 20_000);
    // The client's TCP socket stops reading: the server's replies pile up behind it
    // (80 pages, 16 MB, more than the kernel's buffers take).
    (slow.io.engine.transport as unknown as { ws: { _socket: { pause(): void } } }).ws._socket.pause();
    for (let i = 0; i < 80; i++) slow.emit("room:history", { room }, () => {});
    await left;
    assert.equal(await closedForBacklog(), before + 1);
    // The reader asks for the same pages and stays connected.
    for (let i = 0; i < 20; i++) assert.equal((await call(watcher, "room:history", { room })).messages.length, 50);
    assert.ok(watcher.connected);
    assert.equal(await closedForBacklog(), before + 1);
  });

  test("catching up with since comes in replies of at most an eighth of the cap: a slow link is not closed for it", async () => {
    // 1,000 entries of 4,000 characters (4 MB), written in one statement.
    const big = "catchup";
    const n = 1000;
    await queryDb(db.url, "INSERT INTO rooms (name) VALUES ($1) ON CONFLICT DO NOTHING", [big]);
    await queryDb(db.url, "SELECT * FROM chat_append_messages($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[])", [
      Array(n).fill(big),
      Array(n).fill("seed"),
      Array.from({ length: n }, (_, i) => `${i + 1} ${"y".repeat(3990)}`),
      Array.from({ length: n }, (_, i) => `big-${i}`),
      [],
      [],
    ]);
    const before = await closedForBacklog();
    const watcher = await connect(node.url, { username: "watcher2" });
    await call(watcher, "room:join", { room: big });
    // A client that stops reading asks for the whole log four times over (four rooms'
    // catch-ups at once, as the browser client may), then the room gets a message. Whole
    // 4 MB replies would leave it owing far more than the cap.
    const slow = await connect(node.url, { username: "slow2" });
    await call(slow, "room:join", { room: big });
    const tcp = (slow.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws._socket;
    tcp.pause();
    const replies = Array.from({ length: 4 }, () => call(slow, "room:join", { room: big, since: 0 }, 20_000));
    await sleep(500);
    assert.equal((await call(watcher, "message:send", { room: big, body: "after", clientId: "after" })).ok, true);
    await sleep(500);
    tcp.resume();
    for (const r of await Promise.all(replies)) {
      assert.equal(r.ok, true);
      assert.equal(r.hasMore, true);
      assert.ok(Buffer.byteLength(JSON.stringify(r.messages)) <= CAP / 8, `${Buffer.byteLength(JSON.stringify(r.messages))} bytes`);
      assert.deepEqual(r.messages.map((m: { seq: number }) => m.seq), Array.from({ length: r.messages.length }, (_, i) => i + 1));
    }
    assert.ok(slow.connected, "still connected");
    assert.equal(await closedForBacklog(), before);
    // Joining again from the last position received gets the rest: each entry once, in order
    // (about 140 joins at this small cap, so some wait out the connection's event rate).
    const seqs: number[] = [];
    let since = 0;
    for (;;) {
      const r = await call(watcher, "room:join", { room: big, since });
      if (r.error?.code === "rate_limited") {
        await sleep(r.error.retryAfterMs);
        continue;
      }
      assert.equal(r.ok, true, JSON.stringify(r.error));
      seqs.push(...r.messages.map((m: { seq: number }) => m.seq));
      if (!r.hasMore) break;
      since = r.messages.at(-1).seq;
    }
    assert.deepEqual(seqs, Array.from({ length: n + 1 }, (_, i) => i + 1));
  });

  test("over long-polling: a client that stops polling is closed and its session dropped", async () => {
    const before = await closedForBacklog();
    const base = `${node.url}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    const post = async (body: string) => {
      const r = await fetch(`${base}&sid=${sid}`, { method: "POST", body, headers: { "Content-Type": "text/plain" } });
      assert.equal(r.status, 200, await r.text());
    };
    // Connect and read the CONNECT answer (a client sends events only after it: the server
    // may still be admitting the user), then ask for pages without ever polling for the
    // answers (Engine.IO queues them).
    await post(`40${JSON.stringify({ username: "nopoll" })}`);
    const connected = await (await fetch(`${base}&sid=${sid}`)).text();
    assert.match(connected, /^40\{"sid"/, connected);
    const asks = Array.from({ length: 10 }, (_, i) => `42${i}${JSON.stringify(["room:history", { room }])}`);
    await post(asks.join("\x1e"));
    // At least this one: a connection of an earlier test may be counted meanwhile.
    await eventually(async () => (await closedForBacklog()) >= before + 1, 10_000, "closed for its backlog");
    const poll = await fetch(`${base}&sid=${sid}`);
    assert.equal(poll.status, 400, "the session is gone");
  });
});
