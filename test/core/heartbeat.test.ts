/**
 * Pings on a grid (src/realtime/heartbeat.ts): connections opened at different moments are
 * pinged together, on multiples of PING_GRID_MS; they stay connected across intervals (each
 * pong re-arms the ping on the grid); a client that stops answering is still closed within
 * PING_INTERVAL_MS + PING_GRID_MS + PING_TIMEOUT_MS. With PING_GRID_MS=0 each connection
 * keeps its own phase, which the first test checks too, so that it can fail.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import type { Socket } from "socket.io-client";
import WebSocket from "ws";
import { engineUrl } from "../../loadtest/lean-conn.js";
import { onGrid } from "../../src/realtime/heartbeat.js";
import { closeAll, connect, sleep } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startNode, type RunningNode } from "../helpers/node.js";

const INTERVAL = 1000;
const TIMEOUT = 1000;
const GRID = 500;

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase("beat");
});
after(async () => {
  closeAll();
  await db.drop();
});

/** Runs `fn` against a node with the test's heartbeat settings and grid `gridMs`, then stops it. */
async function withBeatingNode(gridMs: number, fn: (node: RunningNode) => Promise<void>): Promise<void> {
  const node = await startNode({
    DATABASE_URL: db.url,
    PING_INTERVAL_MS: String(INTERVAL),
    PING_TIMEOUT_MS: String(TIMEOUT),
    PING_GRID_MS: String(gridMs),
  });
  try {
    await fn(node);
  } finally {
    await node.stop();
  }
}

/**
 * Engine.IO v4 spoken directly over a WebSocket: records when each ping arrives and answers
 * it `answerAfterMs` later, or never (undefined).
 */
function rawEngineClient(url: string, answerAfterMs?: number): { ws: WebSocket; pings: number[] } {
  const ws = new WebSocket(engineUrl(url));
  const pings: number[] = [];
  ws.on("message", (data) => {
    if (String(data) !== "2") return;
    pings.push(performance.now());
    if (answerAfterMs !== undefined) setTimeout(() => ws.send("3"), answerAfterMs);
  });
  return { ws, pings };
}

/** Opens `count` connections `staggerMs` apart and records when each receives its pings. */
async function pingTimes(url: string, count: number, staggerMs: number, listenMs: number) {
  const sockets: Socket[] = [];
  const times: number[][] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const s = await connect(url, { username: `beat${i}` });
    const mine: number[] = [];
    times.push(mine);
    s.io.on("ping", () => mine.push(performance.now()));
    sockets.push(s);
    await sleep(staggerMs - ((performance.now() - t0) % staggerMs));
  }
  await sleep(listenMs);
  const disconnected = sockets.filter((s) => !s.connected).length;
  for (const s of sockets) s.close();
  return { times, disconnected };
}

/** How far each ping is from the grid that the first ping lies on (ms, 0 = on it). */
function offGrid(times: number[][], grid: number): number[] {
  const all = times.flat().sort((a, b) => a - b);
  const ref = all[0]!;
  return all.map((t) => {
    const m = (((t - ref) % grid) + grid) % grid;
    return Math.min(m, grid - m);
  });
}

describe("pings on a grid", () => {
  test("connections opened 90 ms apart are pinged together, and stay connected", async () => {
    await withBeatingNode(GRID, async (node) => {
      const { times, disconnected } = await pingTimes(node.url, 5, 90, 3.2 * INTERVAL);
      assert.equal(disconnected, 0, "every connection answered its pings and stayed");
      for (const [i, mine] of times.entries()) assert.ok(mine.length >= 2, `connection ${i} got ${mine.length} pings`);
      const off = offGrid(times, GRID);
      assert.ok(Math.max(...off) < 40, `every ping within 40 ms of the grid: ${off.map((o) => o.toFixed(0)).join(", ")}`);
      // A ping is due on the first grid step at or after the interval: never early.
      for (const mine of times) {
        for (let k = 1; k < mine.length; k++) {
          const gap = mine[k]! - mine[k - 1]!;
          assert.ok(gap > INTERVAL - 20 && gap < INTERVAL + GRID + 60, `ping gap ${gap.toFixed(0)} ms`);
        }
      }
    });
  });

  test("PING_GRID_MS=0: each connection keeps its own phase (Engine.IO's own timers)", async () => {
    await withBeatingNode(0, async (node) => {
      const { times, disconnected } = await pingTimes(node.url, 5, 90, 2.2 * INTERVAL);
      assert.equal(disconnected, 0);
      const off = offGrid(times, GRID);
      assert.ok(off.filter((o) => o > 60).length >= 3, `pings spread over the grid: ${off.map((o) => o.toFixed(0)).join(", ")}`);
    });
  });

  test("a pong that comes late re-arms the next ping on the grid, not an interval after it", async () => {
    await withBeatingNode(GRID, async (node) => {
      // Each ping answered 200 ms late (a slow link).
      const { ws, pings } = rawEngineClient(node.url, 200);
      await once(ws, "open");
      while (pings.length < 3) {
        assert.equal(ws.readyState, WebSocket.OPEN, "still connected");
        await sleep(50);
      }
      ws.close();
      const off = offGrid([pings], GRID);
      assert.ok(Math.max(...off) < 40, `pings on the grid: ${pings.map((t) => (t - pings[0]!).toFixed(0)).join(", ")}`);
    });
  });

  test("a client that stops answering pings is closed after one ping interval, grid step and timeout at most", async () => {
    await withBeatingNode(GRID, async (node) => {
      // Takes the open packet and the pings, never answers.
      const { ws, pings } = rawEngineClient(node.url);
      const [open] = (await once(ws, "message")) as [Buffer];
      const opened = performance.now();
      assert.match(String(open), /^0\{"sid":/);
      await once(ws, "close");
      const closedAfter = performance.now() - opened;
      assert.equal(pings.length, 1, "one ping, unanswered");
      assert.ok(pings[0]! - opened >= INTERVAL - 20, `first ping after ${(pings[0]! - opened).toFixed(0)} ms`);
      assert.ok(closedAfter >= INTERVAL + TIMEOUT - 50, `closed after ${closedAfter.toFixed(0)} ms, not before the timeout`);
      assert.ok(closedAfter <= INTERVAL + GRID + TIMEOUT + 300, `closed after ${closedAfter.toFixed(0)} ms`);
    });
  });
});

test("onGrid: the delay to the first grid step at or after the interval", () => {
  assert.equal(onGrid(0, 1000, 500), 1000);
  assert.equal(onGrid(1, 1000, 500), 1499);
  assert.equal(onGrid(499, 1000, 500), 1001);
  assert.equal(onGrid(12_345, 25_000, 100), 25_055);
  assert.equal(onGrid(12_300, 25_000, 100), 25_000);
});
