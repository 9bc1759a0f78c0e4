/**
 * The load tester's own accounting, on small real runs: against the ws relay baseline
 * (two relays on Redis) and against two real chat nodes (PostgreSQL + Redis). No timed
 * assertions: only counts, and the CLI's exit codes for thresholds.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { deleteKeysByPrefix } from "../../loadtest/redis-keys.js";
import { startSocketIoRelay } from "../../loadtest/baselines/socketio-relay.js";
import { startRelay, type Relay } from "../../loadtest/baselines/ws-relay.js";
import { io as ioClient } from "socket.io-client";
import { runLoad, type LoadReport } from "../../loadtest/run.js";
import { SeqTracker } from "../../loadtest/stats.js";
import { createTestDatabase, queryDb, type TestDatabase } from "../helpers/db.js";
import { startNode, type RunningNode } from "../helpers/node.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const tag = () => randomBytes(4).toString("hex");
const usedPrefixes: string[] = [];
const newPrefix = () => {
  const p = `lt-test-${tag()}`;
  usedPrefixes.push(p);
  return p;
};

after(async () => {
  // The relay's seq counters and the nodes' keys: leave the shared Redis as it was.
  await deleteKeysByPrefix(REDIS_URL, usedPrefixes);
});

/** The small paced run both targets (relays, chat nodes) must pass exactly: no loss, duplicate or error allowed. */
const EXACT_RUN = { clients: 20, rooms: 2, senders: 4, rate: 20, duration: 2, ramp: 0.5, drain: 5, maxLoss: 0, maxDup: 0, maxErrors: 0 };

/**
 * Every acked message reached every member of its room once: nothing lost, nothing extra.
 * `ordered: false` for a server whose seq counts messages without ordering them.
 */
function assertExactAccounting(r: LoadReport, membersPerRoom: number, { ordered = true } = {}) {
  assert.equal(r.connect.connected, r.options.clients, "every client connected");
  assert.equal(r.connect.joinFailed, 0);
  assert.equal(r.send.failed, 0, JSON.stringify(r.send.failuresByCode));
  assert.equal(r.send.acked, r.send.attempted);
  assert.ok(r.send.acked > 0, "something was sent");
  assert.equal(r.delivery.expected, r.send.acked * membersPerRoom, "expected = acked × members");
  assert.equal(r.delivery.received, r.delivery.expected, "deliveries counted = expected");
  assert.equal(r.delivery.lost, 0);
  assert.equal(r.delivery.duplicates, 0);
  if (ordered) assert.equal(r.delivery.outOfOrder, 0);
  assert.equal(r.delivery.latency.count, r.delivery.received, "one latency sample per delivery");
  assert.equal(r.send.ackLatency.count, r.send.acked);
  assert.equal(r.errors, 0);
  assert.equal(r.passed, true, r.failures.join("; "));
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "loadtest/cli.ts", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("SeqTracker", () => {
  test("counts loss, duplicates and disorder from the join's lastSeq", () => {
    const t = new SeqTracker(10);
    for (const s of [9, 11, 12, 14, 13, 13, 16]) t.add(s);
    assert.equal(t.preJoin, 1);
    assert.equal(t.unique, 5); // 11 12 13 14 16
    assert.equal(t.duplicates, 1);
    assert.equal(t.outOfOrder, 1); // 13 after 14
    assert.equal(t.expected(17), 7);
    assert.equal(t.lost(17), 2); // 15 and 17
    assert.equal(t.add(15, true), true); // recovered through join since
    assert.equal(t.recovered, 1);
    assert.equal(t.watermark, 16);
    assert.equal(t.lost(16), 0);
  });
});

describe("load tester against the ws relay baseline", () => {
  let relays: Relay[] = [];
  before(async () => {
    const prefix = newPrefix();
    relays = [await startRelay({ redisUrl: REDIS_URL, keyPrefix: prefix }), await startRelay({ redisUrl: REDIS_URL, keyPrefix: prefix })];
  });
  after(async () => {
    for (const r of relays) await r.close().catch(() => {});
  });

  test("20 clients in 2 rooms over 2 relays: every delivery accounted for", async () => {
    const r = await runLoad({ target: "baseline", urls: relays.map((x) => x.url), ...EXACT_RUN });
    assertExactAccounting(r, 10);
  });

  test("the same run over 3 load-generator processes: the merged report is just as exact", async () => {
    const r = await runLoad({ target: "baseline", urls: relays.map((x) => x.url), ...EXACT_RUN, workers: 3 });
    assertExactAccounting(r, 10);
    assert.equal(r.connect.attempted, 20);
    assert.ok(r.timeline.length > 0, "progress points merged");
  });

  test("CLI: exit 0 within thresholds, JSON report written", async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), "lt-")), "report.json");
    const res = await runCli([
      "--target", "baseline", "--urls", relays.map((x) => x.url).join(","),
      "--clients", "10", "--rooms", "2", "--senders", "2", "--rate", "10",
      "--duration", "1", "--ramp", "0", "--max-loss", "0", "--max-errors", "0", "--out", out, "--quiet",
    ]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const report = JSON.parse(readFileSync(out, "utf8")) as LoadReport;
    assert.equal(report.passed, true);
    assert.equal(report.delivery.lost, 0);
    assert.match(res.stdout, /result\s+PASS/);
  });

  // With two workers, worker 0 holds every client of relay a and worker 1 every client of
  // relay b: worker 1 sees nothing past b's end, and only the run-wide final seq that the
  // workers exchange makes its receivers' shortfall count as loss.
  for (const workers of [1, 2]) test(`CLI, ${workers} worker(s): a relay stopped mid-run is reported as loss and errors, exit 1`, async () => {
    // A relay of its own, so stopping it leaves the other tests' relays alone.
    const prefix = newPrefix();
    const a = await startRelay({ redisUrl: REDIS_URL, keyPrefix: prefix });
    const b = await startRelay({ redisUrl: REDIS_URL, keyPrefix: prefix });
    try {
      const run = runCli([
        "--target", "baseline", "--urls", `${a.url},${b.url}`,
        "--clients", "10", "--rooms", "1", "--senders", "4", "--rate", "20",
        "--duration", "4", "--ramp", "0", "--drain", "2", "--max-loss", "0", "--quiet",
        "--workers", String(workers),
      ]);
      // Stop relay b once sending is under way: its members miss what a's senders send.
      // A deadline, not a timing: starting the workers (tsx compiling them) is slow on a loaded machine.
      await waitFor(async () => (await fetch(`${a.url}/metrics`).then((r) => r.text())).includes("relay_connections 5"), 60_000);
      await new Promise((r) => setTimeout(r, 1500));
      await b.close();
      const res = await run;
      assert.equal(res.code, 1, res.stdout + res.stderr);
      assert.match(res.stdout, /FAIL: loss \d+\/\d+/);
    } finally {
      await a.close().catch(() => {});
      await b.close().catch(() => {});
    }
  });

  test("CLI: bad usage exits 2", async () => {
    const res = await runCli(["--clients", "1", "--rooms", "5"]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /rooms must not exceed clients/);
    const bad = await runCli(["--client", "socketio"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--client must be lean or socket\.io/);
    const text = await runCli(["--body-text", "lorem"]);
    assert.equal(text.code, 2);
    assert.match(text.stderr, /--body-text must be pad or words/);
  });
});

describe("the plain Socket.IO reference (bench --socketio)", () => {
  let relays: Relay[] = [];
  before(async () => {
    const prefix = newPrefix();
    relays = [
      await startSocketIoRelay({ redisUrl: REDIS_URL, keyPrefix: prefix }),
      await startSocketIoRelay({ redisUrl: REDIS_URL, keyPrefix: prefix }),
    ];
  });
  after(async () => {
    for (const r of relays) await r.close().catch(() => {});
  });

  // Driven as the chat target: the lean client and socket.io-client must both find the
  // contract's subset they use, and the Redis adapter must carry every broadcast across.
  for (const client of ["lean", "socket.io"] as const) {
    test(`20 clients in 2 rooms over 2 nodes, ${client} client: every delivery accounted for`, async () => {
      const r = await runLoad({ target: "chat", client, urls: relays.map((x) => x.url), ...EXACT_RUN });
      assertExactAccounting(r, 10, { ordered: false });
    });
  }

  test("answers as chat-cluster does in the subset it speaks: a bad username, a send before joining", async () => {
    const bad = ioClient(relays[0]!.url, { transports: ["websocket"], reconnection: false, auth: { username: "no spaces" } });
    const refusal = await new Promise<Error>((resolve) => bad.on("connect_error", resolve));
    assert.equal(refusal.message, "invalid_username");
    bad.close();
    const ok = ioClient(relays[0]!.url, { transports: ["websocket"], reconnection: false, auth: { username: "ada" } });
    try {
      const early = await ok.timeout(5000).emitWithAck("message:send", { room: "lt-r0", body: "hi", clientId: "c1" });
      assert.deepEqual(early, { ok: false, error: { code: "not_joined", message: "join first" } });
      const joined = await ok.timeout(5000).emitWithAck("room:join", { room: "lt-r0" });
      assert.equal(joined.ok, true);
      const sent = await ok.timeout(5000).emitWithAck("message:send", { room: "lt-r0", body: " hi ", clientId: "c2" });
      assert.equal(sent.message.body, "hi");
      assert.equal(sent.message.seq, joined.lastSeq + 1);
    } finally {
      ok.close();
    }
  });
});

describe("load tester against two chat nodes (PostgreSQL + Redis)", () => {
  let db: TestDatabase;
  let nodes: RunningNode[] = [];
  before(async () => {
    db = await createTestDatabase("lt");
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: newPrefix(),
      // A closed-loop sender on a fast node goes past 100 events/s: the abuse limits are
      // not under test here.
      RATE_LIMIT_SENDS: "100000",
      EVENT_RATE_LIMIT: "0",
    };
    nodes = [await startNode(env), await startNode(env)];
  });
  after(async () => {
    for (const n of nodes) await n.stop().catch(() => {});
    await db?.drop().catch(() => {});
  });

  // Both clients of the chat target must account exactly: the lean one is the default, and
  // socket.io-client is what it replaced, kept for comparison and for long-polling.
  for (const client of ["lean", "socket.io"] as const) {
    test(`20 clients in 2 rooms, ${client} client: every stored message reaches every member once, in order`, async () => {
      const r = await runLoad({ target: "chat", urls: nodes.map((n) => n.url), ...EXACT_RUN, client });
      assertExactAccounting(r, 10);
      assert.equal(r.options.client, client, "the report records the client");
    });
  }

  test("lean clients sent away by their nodes (io server disconnect, closed transport) rejoin with since: nothing lost", async (t) => {
    // 3 rooms over 2 nodes: every room has members and senders on both, so one node's
    // members miss live what the other's senders send while they are away, and must get
    // it back through room:join { since }. Senders take turns 100 ms apart each.
    const [a, b] = nodes as [RunningNode, RunningNode];
    const timers: NodeJS.Timeout[] = [];
    const r = await runLoad({
      target: "chat",
      urls: [a.url, b.url],
      clients: 24,
      rooms: 3,
      senders: 6,
      rate: 60,
      duration: 3.5,
      ramp: 0.5,
      drain: 10,
      hooks: {
        connected: () => {
          // A DISCONNECT packet to node a's sockets (a stock client would stay away), then
          // node b closes its transports, as a draining node does.
          timers.push(setTimeout(() => a.node.io.local.disconnectSockets(), 800));
          timers.push(
            setTimeout(() => {
              for (const s of b.node.io.of("/").sockets.values()) s.conn.close();
            }, 2000),
          );
        },
      },
    });
    for (const timer of timers) clearTimeout(timer);
    t.diagnostic(
      `disconnects ${r.connect.disconnects}, reconnects ${r.connect.reconnects}, live ${r.delivery.received}, ` +
        `recovered ${r.delivery.recovered}, expected ${r.delivery.expected}, send failures ${JSON.stringify(r.send.failuresByCode)}`,
    );
    assert.equal(r.connect.connected, 24);
    assert.ok(r.connect.disconnects >= 24, "every client was sent away once");
    assert.equal(r.connect.reconnects, r.connect.disconnects, "and came back each time");
    assert.equal(r.connect.connectedAtEnd, 24);
    assert.ok(r.delivery.recovered > 0, "entries missed while away came back through join since");
    assert.equal(r.delivery.lost, 0, JSON.stringify(r.delivery));
    assert.equal(r.delivery.duplicates, 0);
    assert.equal(r.delivery.received + r.delivery.recovered, r.delivery.expected, "live + recovered = expected");
    assert.equal(r.connect.failed + r.connect.joinFailed, 0);
    // Sends from a client while it was away or rejoining fail; nothing else does.
    for (const code of Object.keys(r.send.failuresByCode)) {
      assert.ok(["disconnected", "rejoining", "timeout"].includes(code), `unexpected failure ${code}`);
    }
  });

  test("the same over 2 load-generator processes, closed loop", async () => {
    const r = await runLoad({
      target: "chat",
      urls: nodes.map((n) => n.url),
      ...EXACT_RUN,
      rate: 0,
      window: 1,
      workers: 2,
    });
    assertExactAccounting(r, 10);
  });

  test("bodies of words (--body-text words): stored as sent, found by full-text search, still exact", async () => {
    const runId = `ltw${Date.now().toString(36)}`;
    const r = await runLoad({ target: "chat", urls: nodes.map((n) => n.url), ...EXACT_RUN, bodyText: "words", bodyBytes: 120, runId });
    assertExactAccounting(r, 10);
    const rows = await queryDb<{ body: string }>(db.url, "SELECT body FROM messages WHERE room LIKE $1", [`${runId}-%`]);
    assert.equal(rows.length, r.send.acked);
    for (const { body } of rows) {
      assert.equal(Buffer.byteLength(body), 120);
      assert.match(body, /^\d+ [a-z ]+$/, "a timestamp, then words");
    }
    const found = await queryDb<{ n: number }>(
      db.url,
      "SELECT count(*)::int AS n FROM messages WHERE room LIKE $1 AND to_tsvector('simple', body) @@ websearch_to_tsquery('simple', 'staging sidebar')",
      [`${runId}-%`],
    );
    assert.equal(found[0]!.n, r.send.acked, "every body holds the words");
  });

  test("polling and websocket clients mixed, closed loop: still exact", async () => {
    const r = await runLoad({
      target: "chat",
      urls: nodes.map((n) => n.url),
      clients: 8,
      rooms: 2,
      senders: 2,
      window: 1,
      rate: 0,
      duration: 1,
      ramp: 0,
      drain: 5,
      transport: "mixed",
    });
    assertExactAccounting(r, 4);
  });
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not met in time");
}
