/**
 * The load tester's lean Socket.IO client (loadtest/lean-conn.ts) against real chat nodes:
 * the handshake and a refused one, acks and their error codes, its own deliveries, frames
 * it must survive, heartbeats both ways, and the reconnects after a server disconnect.
 * The refused handshake is checked for socket.io-client (ChatConn) too: both clients must
 * report it the same way. Counts and codes only, no timed assertions.
 */
import { randomBytes } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "socket.io";
import { startCluster, type Cluster } from "../../scripts/cluster/index.js";
import { createConn, RequestError, type ClientKind, type Conn, type Delivered } from "../../loadtest/conn.js";
import { LeanChatConn } from "../../loadtest/lean-conn.js";
import { deleteKeysByPrefix } from "../../loadtest/redis-keys.js";
import { eventually } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { REDIS_URL, startNode, uniquePrefix, type RunningNode } from "../helpers/node.js";

/** One connection and everything its events reported. */
interface Probe {
  conn: Conn;
  messages: Delivered[];
  presence: number;
  reconnects: number;
  disconnects: string[];
  connectErrors: string[];
}

const open: Conn[] = [];
const name = (label: string) => `${label}_${randomBytes(3).toString("hex")}`;

function probe(url: string, user: string, opts: { client?: ClientKind; reconnect?: boolean } = {}): Probe {
  const p: Probe = { conn: undefined as unknown as Conn, messages: [], presence: 0, reconnects: 0, disconnects: [], connectErrors: [] };
  p.conn = createConn({
    target: "chat",
    url,
    user,
    transport: "websocket",
    client: opts.client ?? "lean",
    reconnect: opts.reconnect ?? false,
    events: {
      onMessage: (m) => p.messages.push(m),
      onReconnect: () => p.reconnects++,
      onDisconnect: (reason) => p.disconnects.push(reason),
      onConnectError: (message) => p.connectErrors.push(message),
      onPresence: () => p.presence++,
    },
  });
  open.push(p.conn);
  return p;
}

/** The node's Socket.IO socket of `user`. */
function serverSocket(node: RunningNode, user: string): Socket {
  for (const s of node.node.io.of("/").sockets.values()) if ((s.data as { user?: string }).user === user) return s;
  throw new Error(`no socket of ${user}`);
}

const rejectsWith = (code: string) => (e: unknown) => e instanceof RequestError && e.code === code;

afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

describe("the lean client against one chat node", () => {
  let db: TestDatabase;
  let node: RunningNode;
  before(async () => {
    db = await createTestDatabase("lt");
    // Short heartbeats, so that a few pings pass within the test.
    node = await startNode({ DATABASE_URL: db.url, PING_INTERVAL_MS: "1000", PING_TIMEOUT_MS: "1000" });
  });
  after(async () => {
    await node?.stop().catch(() => {});
    await db?.drop().catch(() => {});
  });

  test("connects, joins, sends with an ack, receives its own message:new and others' presence", async () => {
    const room = name("lean");
    const a = probe(node.url, name("a"));
    assert.ok(a.conn instanceof LeanChatConn, "websocket + lean picks the lean client");
    await a.conn.connect(10_000);
    assert.equal(a.conn.connected, true);
    const j = await a.conn.join(room, undefined, 10_000);
    assert.deepEqual(j, { lastSeq: 0, messages: [], hasMore: false });
    const seq = await a.conn.send(room, "hello there", "cid-1", 10_000);
    assert.equal(seq, 1);
    await eventually(() => a.messages.length === 1, 10_000, "own message:new");
    const m = a.messages[0]!;
    assert.deepEqual({ room: m.room, seq: m.seq, clientId: m.clientId, body: m.body }, { room, seq: 1, clientId: "cid-1", body: "hello there" });

    const b = probe(node.url, name("b"));
    await b.conn.connect(10_000);
    const jb = await b.conn.join(room, 0, 10_000);
    assert.equal(jb.lastSeq, 1);
    assert.deepEqual(jb.messages.map((x) => x.seq), [1], "join since 0 returns the history");
    await eventually(() => a.presence >= 1, 10_000, "presence:join counted");
    assert.equal(a.connectErrors.length + a.disconnects.length, 0);
  });

  for (const client of ["lean", "socket.io"] as const) {
    test(`${client}: a refused handshake rejects connect() with connect_error`, async () => {
      const p = probe(node.url, "not a valid name!", { client, reconnect: true });
      await assert.rejects(p.conn.connect(10_000), (e) => rejectsWith("connect_error")(e) && (e as Error).message === "invalid_username");
      assert.deepEqual(p.connectErrors, ["invalid_username"]);
      assert.equal(p.conn.connected, false);
    });
  }

  test("error acks keep their code; a request while not connected, or pending at close, fails with disconnected", async () => {
    const p = probe(node.url, name("e"));
    await assert.rejects(p.conn.send("lobby", "x", "c0", 10_000), rejectsWith("disconnected"), "before connecting");
    await p.conn.connect(10_000);
    await assert.rejects(p.conn.send(name("unjoined"), "x", "c1", 10_000), rejectsWith("not_joined"));
    const pending = p.conn.send(name("unjoined"), "x", "c2", 10_000);
    p.conn.close();
    await assert.rejects(pending, rejectsWith("disconnected"), "pending at close");
    assert.deepEqual(p.disconnects, ["io client disconnect"]);
    await assert.rejects(p.conn.send("lobby", "x", "c3", 10_000), rejectsWith("disconnected"), "after close");
  });

  test("malformed, foreign and binary frames are dropped; the connection goes on", async () => {
    const room = name("junk");
    const user = name("j");
    const p = probe(node.url, user);
    await p.conn.connect(10_000);
    await p.conn.join(room, undefined, 10_000);
    const s = serverSocket(node, user);
    const sent = p.conn.send(room, "still here", "c1", 10_000);
    // Engine.IO message packets written as they are, each one `4...` frame, all before the
    // send's real ack: unreadable events, acks for ids pending or not, unknown packets.
    const junk = ['2["message:new",{bad]', '2["message:new",{bad', '2["message:new",null]', '2["message:new",{"seq":"1"}]'];
    junk.push('2["message:new",{"seq":1,"room":"r","body":5}]', "3", "3x[", "2", "0{", "4{", '2/other,["message:new",{}]', "", "9");
    for (let id = 0; id < 10; id++) junk.push(`3${id}[{"ok":tru`); // the send's own id among them
    for (const frame of junk) s.conn.write(frame);
    s.conn.write(Buffer.from([0x34, 0x32, 0x5b])); // binary: no attachment is expected
    s.emit("typing", { room, user: "x", typing: true }); // not counted
    assert.equal(await sent, 1, "the real ack still resolves the send");
    await eventually(() => p.messages.length === 1, 10_000, "the real message:new");
    assert.equal(p.messages[0]!.clientId, "c1");
    assert.deepEqual(p.disconnects, []);
  });

  test("pings are answered: the node sees pongs and keeps the connection", async () => {
    const user = name("h");
    const p = probe(node.url, user);
    await p.conn.connect(10_000);
    let pongs = 0;
    serverSocket(node, user).conn.on("heartbeat", () => pongs++);
    await eventually(() => pongs >= 2, 15_000, "two pongs");
    assert.equal(p.conn.connected, true);
    assert.deepEqual(p.disconnects, []);
  });

  test("a server disconnect (41) and a closed transport: reconnects each time", async () => {
    const user = name("r");
    const p = probe(node.url, user, { reconnect: true });
    await p.conn.connect(10_000);
    serverSocket(node, user).disconnect();
    await eventually(() => p.reconnects === 1 && p.conn.connected, 10_000, "back after io server disconnect");
    serverSocket(node, user).conn.close();
    await eventually(() => p.reconnects === 2 && p.conn.connected, 10_000, "back after transport close");
    assert.deepEqual(p.disconnects, ["io server disconnect", "transport close"]);
    assert.deepEqual(p.connectErrors, []);
  });
});

describe("the lean client against a frozen node", () => {
  let db: TestDatabase;
  let cluster: Cluster | undefined;
  const prefix = uniquePrefix("lean");
  before(async () => {
    db = await createTestDatabase("lt");
    cluster = await startCluster({
      nodes: 1,
      port: 0,
      haproxy: false,
      env: { DATABASE_URL: db.url, REDIS_URL, REDIS_KEY_PREFIX: prefix, PING_INTERVAL_MS: "1000", PING_TIMEOUT_MS: "1000", LOG_LEVEL: "warn" },
    });
  });
  after(async () => {
    const pid = cluster?.nodes[0]?.pid;
    if (pid) process.kill(pid, "SIGCONT");
    await cluster?.stop();
    await db?.drop().catch(() => {});
    await deleteKeysByPrefix(REDIS_URL, [prefix]);
  });

  test("no ping within pingInterval + pingTimeout: disconnects (ping timeout), reconnects once the node runs again", async () => {
    const node = cluster!.nodes[0]!;
    const p = probe(node.url, name("f"), { reconnect: true });
    await p.conn.connect(10_000);
    // SIGSTOP keeps the TCP connection open and silent: only the missing pings tell.
    process.kill(node.pid!, "SIGSTOP");
    try {
      await eventually(() => p.disconnects.length === 1, 15_000, "ping timeout");
    } finally {
      process.kill(node.pid!, "SIGCONT");
    }
    assert.deepEqual(p.disconnects, ["ping timeout"]);
    await eventually(() => p.reconnects === 1 && p.conn.connected, 30_000, "reconnected");
  });
});
