/**
 * The operator's metrics move with real traffic: two nodes on one PostgreSQL and Redis,
 * v1 and template (legacy) clients in one room, a refused handshake and a few disconnects,
 * each node's /metrics scraped before and after.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { freePorts } from "../../scripts/cluster/index.js";
import { call, connect, eventually, waitFor, type Client } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, startNode, stopNodes, uniquePrefix, type RunningNode } from "../helpers/node.js";

let db: TestDatabase;
const nodes: RunningNode[] = [];
const ROOM = "metrics-room";

before(async () => {
  db = await createTestDatabase("metrics");
  const env = clusterEnv(db.url, uniquePrefix("metrics"), { DATABASE_POOL_MAX: "4" });
  // Node a serves /metrics on a port of its own, as deployed; node b on its public port.
  const [metricsPort] = await freePorts(1);
  nodes.push(await startNode({ ...env, NODE_ID: "metrics-a", METRICS_PORT: String(metricsPort) }));
  nodes.push(await startNode({ ...env, NODE_ID: "metrics-b" }));
});
after(() => stopNodes(nodes, db));

type Samples = Map<string, number>;

async function scrape(n: RunningNode): Promise<Samples> {
  const text = await (await fetch(`http://127.0.0.1:${n.node.metricsPort()}/metrics`)).text();
  const out: Samples = new Map();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    // The node label is the same on every line: drop it so keys read the same on both nodes.
    out.set(line.slice(0, i).replace(/node="[^"]*",?/, "").replace(/,\}/, "}").replace("{}", ""), Number(line.slice(i + 1)));
  }
  return out;
}

function delta(before: Samples, after: Samples, key: string): number {
  assert.ok(after.has(key), `${key} is exposed: ${[...after.keys()].filter((k) => k.startsWith(key.split("{")[0]!)).join(", ")}`);
  return after.get(key)! - (before.get(key) ?? 0);
}

async function legacyJoin(url: string, username: string): Promise<Client> {
  const s = await connect(url);
  const history = waitFor(s, "rejoin_room");
  s.emit("joined_room", { username, room: ROOM });
  await history;
  return s;
}

test("deliveries, connections, joins, refusals, Redis and the pool are counted where they happen", async () => {
  const [a, b] = nodes as [RunningNode, RunningNode];
  assert.notEqual(a.node.metricsPort(), a.port, "node a: /metrics on METRICS_PORT");
  const before = await Promise.all([scrape(a), scrape(b)]);

  // v1: two on a, one on b; legacy: one on b. Every one of them hears every message.
  const v1 = [await connect(a.url, { username: "ann" }), await connect(a.url, { username: "amy" }), await connect(b.url, { username: "bob" })];
  for (const s of v1) assert.equal((await call(s, "room:join", { room: ROOM })).ok, true);
  const legacy = await legacyJoin(b.url, "lee");
  const heard: number[] = [0, 0, 0, 0];
  v1.forEach((s, i) => s.on("message:new", () => heard[i]!++));
  legacy.on("recieve_message", () => heard[3]!++);

  const SENDS = 5;
  for (let i = 0; i < SENDS; i++) assert.equal((await call(v1[0]!, "message:send", { room: ROOM, body: `m${i}`, clientId: `c${i}` })).ok, true);
  await eventually(() => heard.every((n) => n === SENDS), 10_000, `every member heard ${SENDS} messages: ${heard}`);

  // A handshake the server refuses, and connections the clients close.
  await assert.rejects(connect(b.url, { username: "not a valid name!" }), /invalid_username/);
  v1[1]!.close();
  legacy.close();
  await eventually(async () => {
    const [sa, sb] = await Promise.all([scrape(a), scrape(b)]);
    return sa.get("chat_connected_sockets") === 1 && sb.get("chat_connected_sockets") === 1;
  }, 10_000, "the closes reached the nodes");

  const [afterA, afterB] = await Promise.all([scrape(a), scrape(b)]);
  // Each node counts the recipients it wrote to, the sender's node and the other alike.
  assert.equal(delta(before[0], afterA, 'chat_deliveries_total{dialect="v1"}'), 2 * SENDS);
  assert.equal(delta(before[1], afterB, 'chat_deliveries_total{dialect="v1"}'), 1 * SENDS);
  assert.equal(delta(before[1], afterB, 'chat_deliveries_total{dialect="legacy"}'), 1 * SENDS);
  assert.equal(delta(before[0], afterA, 'chat_deliveries_total{dialect="legacy"}'), 0);

  assert.equal(delta(before[0], afterA, "chat_connections_opened_total"), 2);
  assert.equal(delta(before[1], afterB, "chat_connections_opened_total"), 2);
  assert.equal(delta(before[0], afterA, 'chat_connections_closed_total{reason="client namespace disconnect"}'), 1);
  assert.equal(delta(before[1], afterB, 'chat_connections_closed_total{reason="client namespace disconnect"}'), 1);
  assert.equal(delta(before[1], afterB, 'chat_connections_refused_total{reason="invalid_username"}'), 1);
  assert.equal(delta(before[0], afterA, 'chat_connections_refused_total{reason="invalid_username"}'), 0);
  assert.equal(delta(before[0], afterA, 'chat_joins_total{dialect="v1"}'), 2);
  assert.equal(delta(before[1], afterB, 'chat_joins_total{dialect="v1"}'), 1);
  assert.equal(delta(before[1], afterB, 'chat_joins_total{dialect="legacy"}'), 1);

  // Redis: the sender's node published each message (v1 and legacy rooms), the other received them.
  assert.ok(delta(before[0], afterA, 'chat_redis_pubsub_messages_total{direction="out"}') >= 2 * SENDS);
  assert.ok(delta(before[1], afterB, 'chat_redis_pubsub_messages_total{direction="in"}') >= 2 * SENDS);
  assert.ok(delta(before[0], afterA, 'chat_redis_command_duration_seconds_count{client="commands"}') >= SENDS, "rate-limit checks timed");
  assert.ok(delta(before[0], afterA, 'chat_redis_command_duration_seconds_count{client="pub"}') >= 2 * SENDS, "publishes timed");

  // The pool: DATABASE_POOL_MAX, and the connections the writes opened.
  assert.equal(afterA.get("chat_db_pool_max"), 4);
  assert.ok(afterA.get("chat_db_pool_connections")! >= 1);
  assert.ok(afterA.get("chat_db_pool_connections")! <= 4);
  assert.equal(afterA.get("chat_db_pool_waiting"), 0);
  assert.ok(afterA.has("chat_db_pool_in_use"));
});
