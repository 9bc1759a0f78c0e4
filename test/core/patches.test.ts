/**
 * The patches on Socket.IO's, Engine.IO's and the adapters' internals (src/realtime/corking.ts,
 * heartbeat.ts, deliveries.ts, src/cluster/adapter.ts) still apply to the installed versions:
 * the packages are the exact pinned versions, every patched method is installed on a real
 * node, the fields the patches read exist on a real connection, and the sharded adapter's
 * own-echo filter still recognises this node's messages. An upgrade that breaks one fails
 * here, not only with a startup warning (or, for the adapter and the tap, silently).
 * The native `bufferutil` that `ws` masks frames with is checked here too.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, test } from "node:test";
import { call, closeAll, connect, eventually } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, startNodes, stopNodes, uniquePrefix, type RunningNode } from "../helpers/node.js";

const root = path.resolve(import.meta.dirname, "../..");
const fromRoot = createRequire(path.join(root, "package.json"));
const fromSocketIo = createRequire(fromRoot.resolve("socket.io"));
const fromEngine = createRequire(fromSocketIo.resolve("engine.io"));
const fromRedisAdapter = createRequire(fromRoot.resolve("@socket.io/redis-adapter"));
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  overrides?: Record<string, string>;
};

/** The version of the package `name` as `req` resolves it (its package.json next to its entry point). */
function installedVersion(req: NodeRequire, name: string): string {
  let dir = path.dirname(req.resolve(name));
  while (!fs.existsSync(path.join(dir, "package.json")) || path.basename(dir) !== name.split("/").pop()) dir = path.dirname(dir);
  return (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;
}

type Fn = (...a: unknown[]) => unknown;
const engine = fromSocketIo("engine.io") as {
  Socket: { prototype: Record<string, Fn> };
  transports: { websocket: { prototype: Record<string, Fn> } };
};
const sioClient = (fromSocketIo("./client.js") as { Client: { prototype: Record<string, Fn> } }).Client.prototype;
const memoryAdapter = (fromSocketIo("socket.io-adapter") as { Adapter: { prototype: Record<string, Fn> } }).Adapter.prototype;

test("the patched packages are installed at the exact versions package.json pins", () => {
  const pins: [string, NodeRequire, string | undefined][] = [
    ["socket.io", fromRoot, pkg.dependencies["socket.io"]],
    ["@socket.io/redis-adapter", fromRoot, pkg.dependencies["@socket.io/redis-adapter"]],
    ["engine.io", fromSocketIo, pkg.overrides?.["engine.io"]],
    ["socket.io-adapter", fromSocketIo, pkg.overrides?.["socket.io-adapter"]],
    ["socket.io-adapter", fromRedisAdapter, pkg.overrides?.["socket.io-adapter"]],
  ];
  for (const [name, req, pin] of pins) {
    assert.match(pin ?? "", /^\d+\.\d+\.\d+$/, `${name} is pinned to an exact version`);
    assert.equal(installedVersion(req, name), pin, `${name} installed is the pinned one`);
  }
});

const nodes: RunningNode[] = [];
let db: TestDatabase;
before(async () => {
  db = await createTestDatabase("patch");
  const env = clusterEnv(db.url, uniquePrefix("patch"), { REDIS_ADAPTER: "sharded", EVENT_RATE_LIMIT: "0" });
  await startNodes(nodes, env, ["patch-a", "patch-b"]);
});
after(() => stopNodes(nodes, db));

test("every patch is installed on the prototypes the running nodes use", () => {
  // The wrappers' names: a patch that bailed out leaves Engine.IO's or Socket.IO's own.
  assert.equal(engine.Socket.prototype.flush!.name, "flushAtEndOfTick", "corking.ts: deferred flush");
  assert.equal(engine.transports.websocket.prototype.send!.name, "corkedSend", "corking.ts: corked sends");
  assert.equal(sioClient.writeToEngine!.name, "writeFrameOrPacket", "corking.ts: direct writes and backlog cap");
  assert.equal(engine.Socket.prototype.schedulePing!.name, "schedulePingOnGrid", "heartbeat.ts");
  assert.equal(memoryAdapter.broadcast!.name, "tappedBroadcast", "deliveries.ts");
  const adapter = nodes[0]!.node.io.of("/").adapter as unknown as Record<string, unknown>;
  assert.equal((adapter.publishAndReturnOffset as Fn).name, "publishInBackground", "adapter.ts: local first");
  assert.equal((adapter.onRawMessage as Fn).name, "skipOwnMessages", "adapter.ts: own echoes");
  assert.equal(typeof adapter.uid, "string");
});

test("a real connection has the fields the patches read, with the expected shape", async () => {
  const s = await connect(nodes[0]!.url, { username: "shape" });
  const conn = [...nodes[0]!.node.io.of("/").sockets.values()][0]!.conn as unknown as Record<string, unknown>;
  assert.equal(conn.readyState, "open");
  assert.ok(Array.isArray(conn.writeBuffer), "engine socket writeBuffer");
  assert.equal(typeof (conn.server as { opts: { pingInterval: unknown } }).opts.pingInterval, "number");
  const transport = conn.transport as { name: string; socket: Record<string, unknown> };
  assert.equal(transport.name, "websocket");
  const ws = transport.socket;
  assert.equal(ws.readyState, 1);
  assert.equal(typeof ws.terminate, "function");
  assert.equal(typeof (ws._sender as { sendFrame: unknown }).sendFrame, "function", "ws Sender#sendFrame");
  const tcp = ws._socket as { cork: unknown; uncork: unknown; writableLength: unknown };
  assert.equal(typeof tcp.cork, "function");
  assert.equal(typeof tcp.writableLength, "number");
  const timer = conn.pingIntervalTimer as { refresh: Fn; _idleStart: unknown; _idleTimeout: unknown };
  assert.equal(timer.refresh.name, "refreshOnGrid", "heartbeat.ts re-arms Engine.IO's ping timer on the grid");
  assert.equal(typeof timer._idleStart, "number");
  assert.equal(typeof timer._idleTimeout, "number");
  // Direct writes taken: an ack on a WebSocket goes past Engine.IO's packet path entirely.
  const created: string[] = [];
  (conn as unknown as { on(e: string, f: (p: { type: string }) => void): void }).on("packetCreate", (p) => created.push(p.type));
  assert.equal((await call(s, "room:join", { room: "shape" })).ok, true);
  assert.deepEqual(created, [], "corking.ts: the ack went through Engine.IO, not straight to the WebSocket");
  s.close();
});

test("the sharded adapter's own echoes are dropped before parsing; the other node's are parsed", async () => {
  const [a, b] = [nodes[0]!, nodes[1]!];
  const parsed = (n: RunningNode): { count: number } => {
    const adapter = n.node.io.of("/").adapter as unknown as { onMessage: Fn };
    const seen = { count: 0 };
    const onMessage = adapter.onMessage;
    adapter.onMessage = function countingOnMessage(this: unknown, ...args: unknown[]) {
      seen.count++;
      return onMessage.apply(this, args);
    };
    return seen;
  };
  const here = await connect(a.url, { username: "echo-a" });
  const there = await connect(b.url, { username: "echo-b" });
  const room = `patch-${uniquePrefix()}`;
  for (const s of [here, there]) assert.equal((await call(s, "room:join", { room })).ok, true);
  const [onA, onB] = [parsed(a), parsed(b)];
  const heard: unknown[] = [];
  there.on("message:new", (m) => heard.push(m));
  assert.equal((await call(here, "message:send", { room, body: "echo", clientId: "echo1" })).ok, true);
  await eventually(() => heard.length === 1);
  assert.ok(onB.count >= 1, "the other node parsed the broadcast");
  assert.equal(onA.count, 0, "the sending node recognised its own echo by its tail");
  closeAll();
});

test("ws masks frames with the native bufferutil", () => {
  // ws loads bufferutil when present; bufferutil falls back to its JS version when its
  // binary (prebuilt for linux-x64, else built by node-gyp) does not load.
  const fromWs = createRequire(fromEngine.resolve("ws"));
  fromWs("./lib/buffer-util.js");
  assert.ok(fromWs.cache[fromWs.resolve("bufferutil")], "ws required bufferutil");
  const bufferutil = fromWs("bufferutil") as object;
  assert.notEqual(bufferutil, fromWs("bufferutil/fallback.js"), "bufferutil's native binding loaded");
  assert.equal(pkg.optionalDependencies?.bufferutil, installedVersion(fromWs, "bufferutil"));
});
