/** HTTP endpoints, headers, limits, and the database going away under a running node. */
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { io } from "socket.io-client";
import { call, closeAll, connect, eventually, sleep } from "../helpers/client.js";
import { queryDb } from "../helpers/db.js";
import { useTestDatabase } from "../helpers/setup.js";
import { freePorts } from "../../scripts/cluster/index.js";
import { loadConfig } from "../../src/config.js";
import { startNode, tempDir, type RunningNode } from "../helpers/node.js";
import { startProxy, type Proxy } from "../helpers/proxy.js";

const db = useTestDatabase("http");
afterEach(() => closeAll());

describe("HTTP", () => {
  let srv: RunningNode;
  before(async () => {
    srv = await startNode({ DATABASE_URL: db.url, RATE_LIMIT_SENDS: "3", RATE_LIMIT_WINDOW_MS: "60000", MAX_HTTP_BUFFER_SIZE: "20000", CORS_ORIGINS: "https://chat.example" });
  });
  after(() => srv.stop());

  test("healthz, readyz and metrics", async () => {
    const h = await fetch(`${srv.url}/healthz`);
    assert.deepEqual([h.status, await h.json()], [200, { status: "ok" }]);
    const r = await fetch(`${srv.url}/readyz`);
    assert.deepEqual([r.status, await r.json()], [200, { status: "ready", checks: { db: "ok", redis: "disabled" } }]);
    const m = await (await fetch(`${srv.url}/metrics`)).text();
    for (const name of [
      "chat_connected_sockets",
      "chat_events_total",
      "chat_event_duration_seconds",
      "chat_messages_stored_total",
      "chat_store_write_duration_seconds",
      "chat_rate_limited_total",
      "chat_backlog_closed_total",
      "chat_unknown_events_total",
      "chat_ready",
      "process_cpu_seconds_total",
      "nodejs_eventloop_lag_p99_seconds",
    ]) {
      assert.match(m, new RegExp(`^# TYPE ${name} `, "m"), name);
    }
    assert.match(m, /^chat_ready\{node="[^"]+"\} 1$/m);
  });

  test("metrics: a scrape walks no handle list (src/metrics.ts); open descriptors are still counted", async () => {
    const before = Number(/^process_open_fds\{[^}]*\} (\d+)$/m.exec(await (await fetch(`${srv.url}/metrics`)).text())?.[1]);
    const sockets = await Promise.all(Array.from({ length: 20 }, (_, i) => connect(srv.url, { username: `fd${i}` })));
    const m = await (await fetch(`${srv.url}/metrics`)).text();
    for (const s of sockets) s.close();
    const after = Number(/^process_open_fds\{[^}]*\} (\d+)$/m.exec(m)?.[1]);
    assert.ok(before > 0, `process_open_fds before: ${before}`);
    // The server and these clients share the process: each connection is two descriptors.
    assert.ok(after >= before + 40, `20 more connections: ${before} -> ${after}`);
    for (const name of ["nodejs_active_handles", "nodejs_active_handles_total", "nodejs_active_resources", "nodejs_active_resources_total"]) {
      assert.doesNotMatch(m, new RegExp(`^# TYPE ${name} `, "m"), name);
    }
    assert.match(m, /^# TYPE process_max_fds gauge$/m);
  });

  test("REST history: pagination, codes and error bodies", async () => {
    const s = await connect(srv.url, { username: "rita" });
    await call(s, "room:join", { room: "rest" });
    for (let i = 1; i <= 3; i++) await call(s, "message:send", { room: "rest", body: `m${i}`, clientId: `x${i}` });
    const page = (await (await fetch(`${srv.url}/api/rooms/rest/messages?username=rita&before=3&limit=1`)).json()) as { messages: { seq: number }[]; hasMore: boolean };
    assert.deepEqual(page.messages.map((m) => m.seq), [2]);
    assert.equal(page.hasMore, true);
    for (const q of ["limit=0", "limit=101", "before=0", "before=x", "limit=1.5"]) {
      const res = await fetch(`${srv.url}/api/rooms/rest/messages?username=rita&${q}`);
      assert.equal(res.status, 400, q);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "invalid_payload");
    }
    assert.equal((await fetch(`${srv.url}/api/rooms/Bad%20Room/messages?username=rita`)).status, 400);
    assert.equal((await fetch(`${srv.url}/api/rooms/rest/messages`)).status, 401);
    assert.equal((await fetch(`${srv.url}/api/nothing`)).status, 404);
  });

  test("security headers and a strict CSP on the page", async () => {
    const res = await fetch(`${srv.url}/`);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    // Attachments are fetched with the client's auth and shown through object URLs.
    assert.match(csp, /img-src 'self' data: blob:(;|$)/);
    // A plain-HTTP deployment must keep working: nothing upgraded to https by the page.
    assert.doesNotMatch(csp, /upgrade-insecure-requests/);
    assert.equal(res.headers.get("strict-transport-security"), null);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.ok(res.headers.get("x-request-id"));
  });

  test("rate limit per user answers rate_limited with retryAfterMs", async () => {
    const a = await connect(srv.url, { username: "spammer" });
    const b = await connect(srv.url, { username: "spammer" }); // same user, other tab: same budget
    await call(a, "room:join", { room: "limits" });
    await call(b, "room:join", { room: "limits" });
    const acks = [];
    for (let i = 0; i < 4; i++) acks.push(await call(i % 2 ? b : a, "message:send", { room: "limits", body: "x", clientId: `rl${i}` }));
    assert.deepEqual(acks.map((x) => x.ok), [true, true, true, false]);
    const err = acks[3].error;
    assert.equal(err.code, "rate_limited");
    assert.ok(err.retryAfterMs > 0 && err.retryAfterMs <= 60_000, String(err.retryAfterMs));
    const m = await (await fetch(`${srv.url}/metrics`)).text();
    assert.match(m, /chat_rate_limited_total\{node="[^"]+"\} 1/);
  });

  test("frames over MAX_HTTP_BUFFER_SIZE close the connection; the server keeps serving", async () => {
    const s = await connect(srv.url, { username: "big" });
    const closed = new Promise((r) => s.once("disconnect", r));
    s.emit("message:send", { room: "x", body: "y".repeat(30_000), clientId: "big" });
    await closed;
    const ok = await connect(srv.url, { username: "after" });
    assert.equal((await call(ok, "rooms:list", {})).ok, true);
  });

  test("CORS allowlist: listed and same origins pass, others are refused for every transport", async () => {
    const poll = (origin: string) => fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
    assert.equal((await poll("https://chat.example")).status, 200);
    assert.equal((await poll(srv.url)).status, 200);
    assert.equal((await poll("https://evil.example")).status, 403);
    const ws = io(srv.url, { transports: ["websocket"], extraHeaders: { origin: "https://evil.example" }, reconnection: false, forceNew: true });
    const outcome = await new Promise((r) => {
      ws.once("connect", () => r("connected"));
      ws.once("connect_error", () => r("refused"));
    });
    ws.close();
    assert.equal(outcome, "refused");
  });
});

describe("/metrics on a port of its own (METRICS_PORT)", () => {
  test("the default keeps /metrics off the public port; METRICS_PORT serves it; PORT's twin is refused", async () => {
    const defaults = loadConfig({});
    assert.equal(defaults.metricsPort, 9091);
    assert.notEqual(defaults.metricsPort, defaults.port);
    assert.throws(() => loadConfig({ PORT: "3000", METRICS_PORT: "3000" }), /METRICS_PORT: must differ from PORT/);
    assert.throws(() => loadConfig({ METRICS_PORT: "70000" }), /METRICS_PORT/);

    // A real node with the default's shape: a separate listener (on a free port, not 9091,
    // so that parallel tests never collide), and a built client page that serves static files.
    const staticDir = tempDir("static");
    fs.writeFileSync(path.join(staticDir, "index.html"), "<!doctype html><title>chat</title>");
    const [metricsPort] = await freePorts(1);
    const n = await startNode({ DATABASE_URL: db.url, METRICS_PORT: String(metricsPort), STATIC_DIR: staticDir });
    try {
      assert.equal(n.node.metricsPort(), metricsPort);
      const pub = await fetch(`${n.url}/metrics`);
      assert.equal(pub.status, 404, "no /metrics on the public port");
      assert.doesNotMatch(await pub.text(), /chat_connected_sockets/);
      const m = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(m.status, 200);
      assert.match(await m.text(), /^chat_ready\{node="[^"]+"\} 1$/m);
      // The metrics port serves nothing else: not the API, not the page, not the health checks.
      for (const p of ["/", "/readyz", "/api/rooms/x/messages", "/socket.io/?EIO=4&transport=polling"]) {
        assert.equal((await fetch(`http://127.0.0.1:${metricsPort}${p}`)).status, 404, p);
      }
    } finally {
      await n.stop();
    }
    // Stopped: the metrics port is closed too.
    await assert.rejects(fetch(`http://127.0.0.1:${metricsPort}/metrics`));
  });

  test("a METRICS_PORT already taken fails the start with a message naming it", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await assert.rejects(startNode({ DATABASE_URL: db.url, METRICS_PORT: String(port) }), /METRICS_PORT: 127\.0\.0\.1:\d+ is already in use/);
    } finally {
      blocker.close();
    }
  });
});

describe("the database going away", () => {
  let proxy: Proxy;
  let srv: RunningNode;
  before(async () => {
    proxy = await startProxy(5432);
    srv = await startNode({ DATABASE_URL: proxy.url(db.url), SHUTDOWN_TIMEOUT_MS: "9000" });
  });
  after(async () => {
    await srv.stop();
    await proxy.close();
  });

  test("sends get unavailable, never a false ok; readyz reports db down; writes resume after", async () => {
    const s = await connect(srv.url, { username: "paula" });
    await call(s, "room:join", { room: "outage" });
    assert.equal((await call(s, "message:send", { room: "outage", body: "before", clientId: "o1" })).ok, true);
    proxy.cut();
    const during = await call(s, "message:send", { room: "outage", body: "during", clientId: "o2" }, 20_000);
    assert.equal(during.ok, false);
    assert.equal(during.error.code, "unavailable");
    const r = await fetch(`${srv.url}/readyz`);
    const body = (await r.json()) as { checks: { db: string } };
    assert.equal(body.checks.db, "down");
    const list = await call(s, "rooms:list", {}, 20_000);
    assert.equal(list.error.code, "unavailable");
    proxy.restore();
    await eventually(async () => (await call(s, "message:send", { room: "outage", body: "after", clientId: "o3" }, 20_000)).ok, 20_000, "writes resume");
    const h = await call(s, "room:history", { room: "outage" });
    // "during" was never stored; the retry of o3 that succeeded is there once.
    assert.deepEqual(h.messages.map((m: { body: string }) => m.body), ["before", "after"]);
  });

  test("SIGTERM-style shutdown waits for an in-flight write, refuses new connections, readyz 503", async () => {
    const s = await connect(srv.url, { username: "quinn" });
    await call(s, "room:join", { room: "drain" });
    proxy.pause();
    const pending = call(s, "message:send", { room: "drain", body: "in flight", clientId: "d1" }, 20_000);
    await sleep(200);
    const stopping = srv.stop();
    await sleep(100);
    const r = await fetch(`${srv.url}/readyz`);
    assert.equal(r.status, 503);
    assert.equal(((await r.json()) as { status: string }).status, "draining");
    await assert.rejects(connect(srv.url, { username: "late" }));
    proxy.resume();
    const ack = await pending;
    assert.equal(ack.ok, true);
    assert.equal(ack.message.body, "in flight");
    await stopping;
  });
});

describe("unexpected failures", () => {
  test("an unexpected database error answers internal with a reference the log also has", async () => {
    const logs: string[] = [];
    const srv = await startNode({ DATABASE_URL: db.url, LOG_LEVEL: "error" }, { logTo: (l) => logs.push(l) });
    const s = await connect(srv.url, { username: "ivan" });
    try {
      await queryDb(db.url, "ALTER TABLE memberships RENAME TO memberships_gone");
      const a = await call(s, "rooms:list", {});
      assert.equal(a.error.code, "internal");
      const ref = /ref ([0-9a-f-]{36})/.exec(a.error.message)?.[1];
      assert.ok(ref, a.error.message);
      assert.ok(logs.some((l) => l.includes(ref!) && l.includes('"event":"rooms:list"')), "logged with the same reference");
      const rest = await fetch(`${srv.url}/api/rooms/lobby/messages?username=ivan`);
      assert.equal(rest.status, 200); // history does not touch memberships
    } finally {
      await queryDb(db.url, "ALTER TABLE memberships_gone RENAME TO memberships");
      await srv.stop();
    }
  });
});

describe("the embedded database", () => {
  test("history survives a restart on the same DATA_DIR", async () => {
    const dir = tempDir("restart");
    let srv = await startNode({ DATA_DIR: dir });
    let s = await connect(srv.url, { username: "pat" });
    await call(s, "room:join", { room: "keep" });
    await call(s, "message:send", { room: "keep", body: "remember me", clientId: "k" });
    s.close();
    await srv.stop();
    srv = await startNode({ DATA_DIR: dir });
    try {
      s = await connect(srv.url, { username: "pat" });
      const j = await call(s, "room:join", { room: "keep" });
      assert.deepEqual(j.messages.map((m: { body: string }) => m.body), ["remember me"]);
      assert.equal(j.lastSeq, 1);
    } finally {
      await srv.stop();
    }
  });
});
