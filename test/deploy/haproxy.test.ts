/**
 * The load balancer and the local cluster: both HAProxy forms validate, the timeouts
 * outlast Socket.IO's heartbeat, and a real 3-node cluster started by startCluster (and
 * by `npm run cluster`) serves polling and WebSocket clients through HAProxy with sticky
 * sessions, takes draining and dead nodes out of rotation, and stops everything it started.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { io, type Socket } from "socket.io-client";
import { loadConfig } from "../../src/config.js";
import {
  freePorts,
  HAPROXY_BASE_CONFIG,
  localBackendConfig,
  startCluster,
  type Cluster,
  type ExitEvent,
} from "../../scripts/cluster/index.js";
import { call, eventually, waitFor } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { uniquePrefix } from "../helpers/node.js";
import { durationMs, ROOT, run } from "./helpers.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const COMPOSE_BACKEND = path.join(ROOT, "deploy/haproxy/backend.compose.cfg");
const tmp = mkdtempSync(path.join(os.tmpdir(), "chat-deploy-haproxy-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function haproxyCheck(...files: string[]) {
  return run("haproxy", ["-c", ...files.flatMap((f) => ["-f", f])]);
}

/** `timeout <name> <value>` lines of one section of the base configuration. */
function sectionTimeouts(section: string): Record<string, number> {
  const text = readFileSync(HAPROXY_BASE_CONFIG, "utf8");
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === section);
  assert.ok(start >= 0, `section "${section}"`);
  const out: Record<string, number> = {};
  for (const l of lines.slice(start + 1)) {
    if (/^\S/.test(l)) break;
    const m = /^\s+timeout\s+(\S+)\s+(\S+)/.exec(l);
    if (m) out[m[1]!] = durationMs(m[2]!);
  }
  return out;
}

describe("HAProxy configuration", () => {
  test("haproxy -c accepts the base with the compose backend and with a generated local backend", () => {
    const local = path.join(tmp, "backend.local.cfg");
    writeFileSync(
      local,
      localBackendConfig([
        { name: "n1", host: "127.0.0.1", port: 3001 },
        { name: "n2", host: "127.0.0.1", port: 3002 },
      ]),
    );
    for (const files of [[HAPROXY_BASE_CONFIG, COMPOSE_BACKEND], [HAPROXY_BASE_CONFIG, local]]) {
      const r = haproxyCheck(...files);
      assert.equal(r.status, 0, `${files.join(" + ")}:\n${r.stdout}${r.stderr}`);
    }
    // The base alone is incomplete (no backend `chat`): the forms really do share it.
    assert.notEqual(haproxyCheck(HAPROXY_BASE_CONFIG).status, 0);
    // And -c does reject nonsense, so the passes above mean something.
    const broken = path.join(tmp, "broken.cfg");
    writeFileSync(broken, "backend chat from chat\n    server n1 127.0.0.1:3001 cookie n1 bogus-keyword\n");
    assert.notEqual(haproxyCheck(HAPROXY_BASE_CONFIG, broken).status, 0);
  });

  test("idle timeouts outlast pingInterval + pingTimeout; health checks use /readyz; cookie stickiness", () => {
    const cfg = loadConfig({});
    const heartbeat = cfg.pingIntervalMs + cfg.pingTimeoutMs;
    const t = sectionTimeouts("defaults base");
    for (const name of ["client", "server", "tunnel"]) {
      assert.ok(t[name]! > heartbeat, `timeout ${name} ${t[name]} ms > ${heartbeat} ms`);
    }
    const text = readFileSync(HAPROXY_BASE_CONFIG, "utf8");
    assert.match(text, /^\s+http-check send meth GET uri \/readyz\b/m);
    assert.match(text, /^\s+http-check expect status 200$/m);
    assert.match(text, /^\s+cookie SERVERID insert indirect nocache\b/m);
    assert.match(text, /^\s+default-server check\b/m);
    assert.match(readFileSync(COMPOSE_BACKEND, "utf8"), /^backend chat from chat$/m);
  });
});

describe("what HAProxy passes to the nodes (echo nodes)", () => {
  // Nodes that answer /readyz and echo each request's headers: HAProxy's header handling
  // can be observed exactly, which the chat server does not expose.
  const echo = path.join(tmp, "echo-node.mjs");
  let cluster: Cluster | undefined;
  before(async () => {
    writeFileSync(
      echo,
      `import http from "node:http";
http.createServer((req, res) => {
  if (req.url === "/readyz") { res.writeHead(200).end("{}"); return; }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ node: process.env.NODE_ID, headers: req.headers }));
}).listen(Number(process.env.PORT), process.env.HOST);
process.on("SIGTERM", () => process.exit(0));
`,
    );
    cluster = await startCluster({
      nodes: 3,
      port: 0,
      command: [process.execPath, echo],
      // Not used by the echo nodes; startCluster insists on them as for real nodes.
      env: { DATABASE_URL: "postgres://unused@127.0.0.1:1/x", REDIS_URL: "redis://127.0.0.1:1" },
    });
  });
  after(() => cluster?.stop());

  async function get(headers: Record<string, string> = {}) {
    const res = await fetch(`${cluster!.url}/echo`, { headers });
    const body = (await res.json()) as { node: string; headers: Record<string, string | undefined> };
    return { res, ...body };
  }

  test("X-Forwarded-For is the client's address only, whatever the client sends; X-Forwarded-Proto is set", async () => {
    const r = await get({ "x-forwarded-for": "6.6.6.6" });
    assert.equal(r.headers["x-forwarded-for"], "127.0.0.1");
    assert.equal(r.headers["x-forwarded-proto"], "http");
  });

  test("/metrics never passes the public frontend, however it is spelled; other paths still do", async () => {
    // Raw paths: fetch() would normalise some of these before sending them.
    const status = (p: string) =>
      new Promise<number>((resolve, reject) => {
        http.get({ host: "127.0.0.1", port: cluster!.port, path: p }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on("error", reject);
      });
    for (const p of ["/metrics", "/metrics?format=x", "/METRICS", "/%6Detrics", "/%2Fmetrics", "//metrics", "/./metrics", "/metrics/"]) {
      assert.equal(await status(p), 403, p);
    }
    // The echo nodes answer anything: these reached one.
    for (const p of ["/", "/api/rooms/metrics/messages", "/socket.io/?metrics=1"]) assert.equal(await status(p), 200, p);
  });

  test("the SERVERID cookie pins each request to its node and is stripped before the node", async () => {
    const first = await get();
    const cookie = /SERVERID=(n\d)/.exec(first.res.headers.get("set-cookie") ?? "")?.[1];
    assert.ok(cookie, "cookie inserted on the first response");
    assert.equal(first.node, `node-${cookie.slice(1)}`);
    for (const n of cluster!.nodes) {
      for (let i = 0; i < 3; i++) {
        const r = await get({ cookie: `SERVERID=${n.server}; theme=dark` });
        assert.equal(r.node, n.id, `cookie ${n.server} reaches ${n.id}`);
        assert.equal(r.headers.cookie, "theme=dark", "indirect: the node never sees SERVERID");
        assert.equal(r.res.headers.get("set-cookie"), null, "no new cookie while the pinned node is up");
      }
    }
  });

  test("a pinned node that goes away: the client is moved to a live node with a new cookie", async () => {
    const c = cluster!;
    await c.nodes[0]!.kill("SIGTERM");
    await eventually(async () => (await c.serverStates()).n1 === "DOWN", 30_000, "n1 DOWN");
    const r = await get({ cookie: "SERVERID=n1" });
    assert.notEqual(r.node, "node-1");
    assert.match(r.res.headers.get("set-cookie") ?? "", new RegExp(`SERVERID=n${r.node.slice(5)}`));
  });

  test("HAProxy's own Prometheus exporter answers on the stats port", async () => {
    const text = await (await fetch(`${cluster!.statsUrl}metrics`)).text();
    assert.match(text, /^haproxy_backend_active_servers\{proxy="chat"\} \d+/m);
  });
});

describe("a local cluster behind HAProxy", () => {
  let db: TestDatabase;
  let cluster: Cluster | undefined;
  const exits: ExitEvent[] = [];
  const sockets: Socket[] = [];
  const prefix = uniquePrefix("lb");

  before(async () => {
    db = await createTestDatabase("deploy");
    cluster = await startCluster({
      nodes: 3,
      port: 0,
      env: { DATABASE_URL: db.url, REDIS_URL, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: "warn" },
      onExit: (e) => exits.push(e),
    });
  });
  after(async () => {
    for (const s of sockets) s.close();
    await cluster?.stop();
    await db?.drop();
  });

  function client(url: string, username: string, transports: ("polling" | "websocket")[]): Promise<Socket> {
    const s = io(url, { auth: { username }, transports, withCredentials: true, reconnection: false, forceNew: true });
    sockets.push(s);
    return new Promise((resolve, reject) => {
      s.once("connect", () => resolve(s));
      s.once("connect_error", reject);
    });
  }

  async function socketsPerNode(): Promise<number[]> {
    return Promise.all(
      cluster!.nodes.map(async (n) => {
        const text = await (await fetch(`${n.url}/metrics`)).text();
        return Number(/^chat_connected_sockets\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? NaN);
      }),
    );
  }

  test("startCluster: distinct free ports, every node ready, HAProxy reports all UP", async () => {
    const c = cluster!;
    assert.equal(c.nodes.length, 3);
    assert.deepEqual(c.nodes.map((n) => n.id), ["node-1", "node-2", "node-3"]);
    assert.equal(new Set([c.port, ...c.nodes.map((n) => n.port)]).size, 4);
    for (const n of c.nodes) {
      assert.ok(n.running && n.pid! > 0);
      assert.equal((await fetch(`${n.url}/readyz`)).status, 200);
    }
    assert.deepEqual(await c.serverStates(), { n1: "UP", n2: "UP", n3: "UP" });
    const r = await fetch(`${c.url}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(((await r.json()) as { checks: unknown }).checks, { db: "ok", redis: "ok" });
  });

  test("Engine.IO sessions live on one node: the SERVERID cookie keeps long-polling there", async () => {
    const c = cluster!;
    const hs = await fetch(`${c.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(hs.status, 200);
    const cookie = /SERVERID=(n\d)/.exec(hs.headers.get("set-cookie") ?? "")?.[1];
    assert.ok(cookie, `SERVERID cookie set: ${hs.headers.get("set-cookie")}`);
    const { sid } = JSON.parse((await hs.text()).slice(1));
    const home = c.nodes.find((n) => n.server === cookie)!;
    const other = c.nodes.find((n) => n !== home)!;
    const q = `/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;
    // Without stickiness a request may reach a node that does not know the session.
    assert.equal((await fetch(`${other.url}${q}`, { method: "POST", body: "3" })).status, 400);
    // Through HAProxy with the cookie, every request reaches the session's node.
    const headers = { cookie: `SERVERID=${cookie}`, "content-type": "text/plain;charset=UTF-8" };
    const connect = await fetch(`${c.url}${q}`, { method: "POST", headers, body: '40{"username":"poller"}' });
    assert.equal(connect.status, 200);
    assert.match(await (await fetch(`${c.url}${q}`, { headers })).text(), /^40\{"sid":/);
    const join = await fetch(`${c.url}${q}`, { method: "POST", headers, body: '421["room:join",{"room":"lb"}]' });
    assert.equal(join.status, 200);
    const ack = await (await fetch(`${c.url}${q}`, { headers })).text();
    assert.match(ack, /^431\[\{"ok":true/, ack.slice(0, 200));
    await fetch(`${c.url}${q}`, { method: "POST", headers, body: "41" });
  });

  test("socket.io clients through HAProxy: polling-only, polling→WebSocket upgrade, WebSocket; messages cross nodes", async () => {
    const c = cluster!;
    const poller = await client(c.url, "alice", ["polling"]);
    const upgrader = await client(c.url, "bob", ["polling", "websocket"]);
    const direct = await client(c.nodes[2]!.url, "carol", ["websocket"]);
    for (const s of [poller, upgrader, direct]) assert.equal((await call(s, "room:join", { room: "lb" })).ok, true);
    await eventually(() => upgrader.io.engine.transport.name === "websocket", 20_000, "upgrade to WebSocket through HAProxy");
    const seen = waitFor<{ clientId: string; body: string }>(direct, "message:new", (m) => m.clientId === "via-lb-1");
    const sent = await call(poller, "message:send", { room: "lb", body: "through the balancer", clientId: "via-lb-1" });
    assert.equal(sent.ok, true, JSON.stringify(sent));
    assert.equal((await seen).body, "through the balancer");
    const back = waitFor<{ clientId: string; user: string }>(upgrader, "message:new", (m) => m.clientId === "direct-1");
    assert.equal((await call(direct, "message:send", { room: "lb", body: "back", clientId: "direct-1" })).ok, true);
    assert.equal((await back).user, "carol");
    // The balancer counted: 3 sockets in total, whichever nodes got them.
    await eventually(async () => (await socketsPerNode()).reduce((a, b) => a + b, 0) === 3, 10_000, "3 sockets counted");
  });

  test("a draining node leaves rotation; a killed node is reported; restart() brings it back", async () => {
    const c = cluster!;
    const [n1, n2] = c.nodes as [Cluster["nodes"][0], Cluster["nodes"][0]];
    const pid1 = n1.pid!;
    const drained = await n1.kill("SIGTERM");
    assert.equal(drained.code, 0, "SIGTERM drains and exits 0");
    await eventually(async () => (await c.serverStates()).n1 === "DOWN", 30_000, "HAProxy marks n1 DOWN");
    // New clients keep connecting through HAProxy, to the nodes still up.
    const s = await client(c.url, "dave", ["polling", "websocket"]);
    assert.equal((await call(s, "room:join", { room: "lb" })).ok, true);
    const killed = await n2.kill("SIGKILL");
    assert.equal(killed.signal, "SIGKILL");
    assert.ok(exits.some((e) => e.source === "node-1" && e.pid === pid1 && e.code === 0));
    assert.ok(exits.some((e) => e.source === "node-2" && e.signal === "SIGKILL"));
    await n1.restart();
    await n2.restart();
    assert.notEqual(n1.pid, pid1);
    await c.waitBalanced(["n1", "n2", "n3"]);
    assert.deepEqual(await c.serverStates(), { n1: "UP", n2: "UP", n3: "UP" });
  });
});

describe("npm run cluster (scripts/cluster.ts)", () => {
  test("without DATABASE_URL and REDIS_URL it exits 2 and says what to set", () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const r = run(process.execPath, ["--import", "tsx", "scripts/cluster.ts", "--port", "0"], { env });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /DATABASE_URL and REDIS_URL must be set/);
  });

  test("PORT is HAProxy's port when --port is not given: a bad one is refused by name", () => {
    const r = run(process.execPath, ["--import", "tsx", "scripts/cluster.ts"], { env: { ...process.env, PORT: "http" } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^PORT must be an integer >= 0, got http/);
  });

  test("starts nodes and HAProxy on PORT, reports a dead node, and Ctrl-C stops everything", async () => {
    const db = await createTestDatabase("deploycli");
    const [port] = await freePorts(1);
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "scripts/cluster.ts", "--nodes", "2", "--base-port", "0", "--quiet"],
      {
        cwd: ROOT,
        // PORT, as a user would set it for a single node, is HAProxy's port.
        env: { ...process.env, PORT: String(port), DATABASE_URL: db.url, REDIS_URL, REDIS_KEY_PREFIX: uniquePrefix("cli"), LOG_LEVEL: "warn" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const pids: number[] = [];
    try {
      await eventually(() => out.includes("Ctrl-C stops everything") || child.exitCode !== null, 90_000, "the cluster banner");
      assert.equal(child.exitCode, null, `cluster exited early:\n${out}\n${err}`);
      assert.ok(out.includes(`http://127.0.0.1:${port}`), out);
      for (const m of out.matchAll(/^\s+node-\d\s+http:\/\/127\.0\.0\.1:(\d+)\s+pid (\d+)/gm)) pids.push(Number(m[2]));
      assert.equal(pids.length, 2, out);
      assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
      process.kill(pids[1]!, "SIGKILL");
      await eventually(() => err.includes(`node-2 (pid ${pids[1]}) killed by SIGKILL`), 10_000, `the death is reported (stderr: ${err})`);
      child.kill("SIGINT");
      assert.equal(await exited, 0, `${out}\n${err}`);
      assert.match(out, /Stopped\./);
      for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `pid ${pid} is gone`);
      await assert.rejects(fetch(`http://127.0.0.1:${port}/readyz`), "HAProxy is gone");
    } finally {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
      await db.drop();
    }
  });
});
