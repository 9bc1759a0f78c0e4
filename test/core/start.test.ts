/**
 * `npm start` as a process manager runs it: systemd and pm2 hold the PID they spawned
 * (npm's) and stop it with SIGTERM. The server must drain and exit with it, leaving no
 * process behind and the port free (a leftover server would keep the port, and the next
 * start would fail).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { freePorts } from "../../scripts/cluster/index.js";
import { eventually } from "../helpers/client.js";

const REPO = path.resolve(import.meta.dirname, "../..");

/** Live descendants of `pid` (Linux /proc), zombies excluded: they are gone but for a parent's wait. */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state !== "Z") parentOf.set(Number(name), Number(ppid));
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parentOf) {
      if (parent !== p) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** `npm start` with its own data and a prebuilt client (STATIC_DIR spares the client build), once ready. */
async function startNpm() {
  const port = (await freePorts(1))[0]!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chat-start-"));
  fs.writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>chat</title>");
  const npm = spawn("npm", ["start", "--silent"], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: path.join(dir, "data"),
      STATIC_DIR: dir,
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
    // Its own process group, so that cleanup can reach whatever it left, orphans included.
    detached: true,
  });
  const exited = once(npm, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  let tree: number[] = [];
  const cleanup = () => {
    try {
      process.kill(-npm.pid!, "SIGKILL");
    } catch {
      // the group is gone
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    // PGlite's first start (migrations in WebAssembly) is slow on a busy machine.
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200, 180_000, "ready");
    tree = descendants(npm.pid!);
    assert.ok(tree.length > 0, "npm start runs the server in a child process");
  } catch (err) {
    cleanup();
    throw err;
  }
  /** After npm exited: its exit, and whether anything it started is left. */
  const outcome = async () => {
    const [code, signal] = await exited;
    return { code, signal, left: tree.filter(alive), portFree: await portIsFree(port) };
  };
  return { npm, outcome, cleanup };
}

const clean = { code: 0, signal: null, left: [], portFree: true };

test("npm start stopped by SIGTERM to npm's PID (pm2, systemd): the server drains and exits, the port is free", async () => {
  const s = await startNpm();
  try {
    s.npm.kill("SIGTERM");
    assert.deepEqual(await s.outcome(), clean);
  } finally {
    s.cleanup();
  }
});
