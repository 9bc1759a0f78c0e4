/**
 * The process as an operator meets it: configuration errors, readiness while starting,
 * signals, and the embedded database's directory lock.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { call, connect, eventually, sleep } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

const entry = ["--import", "tsx", "src/main.ts"];

function run(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, entry, {
    // METRICS_PORT=0: two servers at once here must not race for the default 9091.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "warn", HOST: "127.0.0.1", METRICS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, "127.0.0.1");
  await once(s, "listening");
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Runs a process that must refuse to start: exit code 1, and what it wrote to stderr. */
async function refusedStart(env: Record<string, string>): Promise<string> {
  const child = run(env);
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const [code] = await once(child, "exit");
  assert.equal(code, 1, stderr);
  return stderr;
}

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase("proc");
});
after(() => db.drop());

test("every invalid variable is named in one startup error and the process exits 1", async () => {
  const stderr = await refusedStart({ PORT: "70000", AUTH_MODE: "magic", RATE_LIMIT_SENDS: "lots", DATABASE_URL: "mysql://x", STORE_BATCHES_IN_FLIGHT: "0" });
  for (const name of ["PORT", "AUTH_MODE", "RATE_LIMIT_SENDS", "DATABASE_URL", "STORE_BATCHES_IN_FLIGHT"]) {
    assert.match(stderr, new RegExp(`${name}:`), stderr);
  }
});

test("jwt mode without a key names the variables, with any other invalid combination", async () => {
  const stderr = await refusedStart({ AUTH_MODE: "jwt", MAX_SOCKET_BACKLOG_BYTES: "1000", PING_GRID_MS: "30000" });
  assert.match(stderr, /JWT_SECRET \/ JWT_PUBLIC_KEY \/ JWKS_URL/);
  assert.match(stderr, /MAX_SOCKET_BACKLOG_BYTES: must be 0 \(no limit\) or at least 65536/);
  assert.match(stderr, /PING_GRID_MS: must be below PING_INTERVAL_MS/);
});

test("a bad PORT, a bad HISTORY_LIMIT and jwt mode without a key: all three in one message", async () => {
  const stderr = await refusedStart({ PORT: "abc", HISTORY_LIMIT: "500", AUTH_MODE: "jwt" });
  assert.match(stderr, /PORT: must be an integer/);
  assert.match(stderr, /HISTORY_LIMIT: /);
  assert.match(stderr, /JWT_SECRET \/ JWT_PUBLIC_KEY \/ JWKS_URL: AUTH_MODE=jwt needs exactly one/);
});

test("while the database is unreachable the node is alive but not ready; SIGTERM exits 0", async () => {
  const port = await freePort();
  const dead = await freePort(); // nothing listens there
  const child = run({ PORT: String(port), DATABASE_URL: `postgres://postgres@127.0.0.1:${dead}/x` });
  try {
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status === 200, 20_000, "healthz");
    const r = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(r.status, 503);
    assert.equal(((await r.json()) as { status: string }).status, "starting");
  } finally {
    child.kill("SIGTERM");
  }
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
});

test("SIGTERM: connected clients are disconnected and the process exits 0 in time", async () => {
  const port = await freePort();
  const child = run({ PORT: String(port), DATABASE_URL: db.url, SHUTDOWN_TIMEOUT_MS: "8000" });
  try {
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200, 30_000, "ready");
    const s = await connect(`http://127.0.0.1:${port}`, { username: "sig" });
    await call(s, "room:join", { room: "signals" });
    assert.equal((await call(s, "message:send", { room: "signals", body: "x", clientId: "1" })).ok, true);
    const gone = new Promise<string>((r) => s.once("disconnect", r));
    child.kill("SIGTERM");
    const reason = await gone;
    assert.equal(reason, "transport close"); // a stock client reconnects by itself
    const [code] = await once(child, "exit");
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await sleep(10);
  }
});

test("a second SIGTERM while draining changes nothing: systemd signals npm and the server, npm forwards its own", async () => {
  const port = await freePort();
  const child = run({ PORT: String(port), DATABASE_URL: db.url, LOG_LEVEL: "info" });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  const exited = once(child, "exit");
  try {
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200, 30_000, "ready");
    child.kill("SIGTERM");
    await eventually(() => out.includes('"shutting down"') || child.exitCode !== null, 10_000, "the drain starts");
    child.kill("SIGTERM"); // the repeat; a no-op if the drain already ended
    assert.deepEqual(await exited, [0, null], "the drain finished and exited 0, not killed by the repeat");
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

test("a second process on the same DATA_DIR is refused, naming it; a stale lock is taken over", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chat-lock-"));
  const ready = (port: number) =>
    eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200, 60_000, "ready");
  const [portA, portB] = [await freePort(), await freePort()];
  const first = run({ PORT: String(portA), DATA_DIR: dir });
  try {
    await ready(portA);
    const second = run({ PORT: String(portB), DATA_DIR: dir });
    let output = "";
    second.stdout!.on("data", (d) => (output += d));
    second.stderr!.on("data", (d) => (output += d));
    const [code] = await once(second, "exit");
    assert.equal(code, 1);
    assert.match(output, new RegExp(`DATA_DIR ${dir} is in use by another chat-cluster process \\(pid ${first.pid}\\)`), output);
    // The first is untouched and gives the directory back when it stops.
    assert.equal((await fetch(`http://127.0.0.1:${portA}/readyz`)).status, 200);
    first.kill("SIGTERM");
    assert.deepEqual(await once(first, "exit"), [0, null]);
    assert.equal(fs.existsSync(path.join(dir, "chat-cluster.lock")), false);
  } finally {
    if (first.exitCode === null) first.kill("SIGKILL");
  }
  // A lock whose process is gone (a crash) does not keep the next start out.
  fs.writeFileSync(path.join(dir, "chat-cluster.lock"), "999999999 1");
  const third = run({ PORT: String(portB), DATA_DIR: dir });
  try {
    await ready(portB);
  } finally {
    third.kill("SIGTERM");
    await once(third, "exit");
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
