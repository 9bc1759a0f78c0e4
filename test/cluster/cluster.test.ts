/**
 * Three real nodes in this process on one PostgreSQL and one Redis, for each adapter mode:
 * broadcasts, presence, typing, DMs and rate limits behave as one server.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { call, closeAll, collect, connect, eventually, sleep, waitFor } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, REDIS_URL, startNodes, stopNodes, uniquePrefix, type RunningNode } from "../helpers/node.js";

for (const mode of ["classic", "sharded"] as const) {
  describe(`three nodes, ${mode} adapter`, () => {
    let db: TestDatabase;
    let nodes: RunningNode[] = [];
    let n = 0;
    const room = () => `c-${mode}-${++n}`;
    const prefix = uniquePrefix(mode);

    before(async () => {
      db = await createTestDatabase("cl");
      const env = clusterEnv(db.url, prefix, {
        REDIS_ADAPTER: mode,
        RATE_LIMIT_SENDS: "5",
        RATE_LIMIT_WINDOW_MS: "60000",
        PRESENCE_TTL_MS: "3000",
        PING_TIMEOUT_MS: "2000",
        PING_INTERVAL_MS: "2000",
      });
      nodes = [];
      await startNodes(nodes, env, [1, 2, 3].map((i) => `${mode}-n${i}`));
    });
    after(() => stopNodes(nodes, db));
    afterEach(() => closeAll());

    const on = (i: number, username: string) => connect(nodes[i]!.url, { username });

    test("a message sent on A reaches clients on B and C once", async () => {
      const r = room();
      const [a, b, c] = [await on(0, "ann"), await on(1, "ben"), await on(2, "cat")];
      for (const s of [a, b, c]) await call(s, "room:join", { room: r });
      const gotB = collect(b, "message:new");
      const gotC = collect(c, "message:new");
      const gotA = collect(a, "message:new");
      const acks = [];
      for (let i = 0; i < 5; i++) acks.push(await call(a, "message:send", { room: r, body: `hi ${i}`, clientId: `m${i}` }));
      await eventually(() => gotB.length >= 5 && gotC.length >= 5 && gotA.length >= 5, 10_000, "deliveries");
      await sleep(200);
      const want = acks.map((x) => x.message);
      assert.deepEqual(gotB, want);
      assert.deepEqual(gotC, want);
      assert.deepEqual(gotA, want);
    });

    test("members span nodes; presence:join and leave fire once per user across tabs on several nodes", async () => {
      const r = room();
      const watcher = await on(0, "watcher");
      await call(watcher, "room:join", { room: r });
      const joins = collect(watcher, "presence:join");
      const leaves = collect(watcher, "presence:leave");
      const tab1 = await on(1, "multi");
      const tab2 = await on(2, "multi");
      const j1 = await call(tab1, "room:join", { room: r });
      assert.deepEqual([...j1.members].sort(), ["multi", "watcher"]);
      const j2 = await call(tab2, "room:join", { room: r });
      assert.deepEqual([...j2.members].sort(), ["multi", "watcher"]);
      const other = await on(2, "other");
      const j3 = await call(other, "room:join", { room: r });
      assert.deepEqual([...j3.members].sort(), ["multi", "other", "watcher"]);
      await eventually(() => joins.length >= 2, 5000, "joins");
      await sleep(200);
      assert.deepEqual(joins.map((p) => p.user).sort(), ["multi", "other"]);
      tab1.close();
      await sleep(300);
      assert.deepEqual(leaves, []); // still connected in tab2 on another node
      tab2.close();
      await eventually(() => leaves.length >= 1, 5000, "leave");
      await sleep(200);
      assert.deepEqual(leaves, [{ room: r, user: "multi" }]);
      const j4 = await call(watcher, "room:join", { room: r });
      assert.deepEqual([...j4.members].sort(), ["other", "watcher"]);
      // The announcing node settled the leave it owed (src/cluster/redis-presence.ts).
      const redis = new Redis(REDIS_URL);
      try {
        for (const key of await redis.keys(`${prefix}:pr:{*}:o:*`)) assert.deepEqual(await redis.smembers(key), [], key);
      } finally {
        redis.disconnect();
      }
    });

    test("typing crosses nodes and skips the typist", async () => {
      const r = room();
      const [a, b] = [await on(0, "tia"), await on(2, "tom")];
      await call(a, "room:join", { room: r });
      await call(b, "room:join", { room: r });
      const self = collect(a, "typing");
      const seen = waitFor(b, "typing");
      await call(a, "typing", { room: r, typing: true });
      assert.deepEqual(await seen, { room: r, user: "tia", typing: true });
      await sleep(100);
      assert.deepEqual(self, []);
    });

    test("DMs across nodes: the invite arrives, a third user on another node is refused", async () => {
      const [al, bo, ma] = [await on(0, "al"), await on(1, "bo"), await on(2, "ma")];
      const invited = waitFor(bo, "dm:invited");
      const { room: dm } = await call(al, "dm:open", { user: "bo" });
      assert.deepEqual(await invited, { room: dm, from: "al" });
      await call(al, "room:join", { room: dm });
      await call(bo, "room:join", { room: dm });
      const maHears = collect(ma, "message:new");
      const boHears = waitFor(bo, "message:new");
      await call(al, "message:send", { room: dm, body: "psst", clientId: "p" });
      assert.equal((await boHears).body, "psst");
      assert.equal((await call(ma, "room:join", { room: dm })).error.code, "forbidden");
      assert.equal((await call(ma, "room:history", { room: dm })).error.code, "forbidden");
      await sleep(200);
      assert.deepEqual(maHears, []);
    });

    test("the rate limit holds across nodes", async () => {
      const r = room();
      const tabs = [await on(0, "fast"), await on(1, "fast"), await on(2, "fast")];
      for (const t of tabs) await call(t, "room:join", { room: r });
      const acks = [];
      for (let i = 0; i < 6; i++) acks.push(await call(tabs[i % 3]!, "message:send", { room: r, body: "x", clientId: `f${i}` }));
      assert.deepEqual(acks.map((x) => x.ok), [true, true, true, true, true, false]);
      assert.equal(acks[5].error.code, "rate_limited");
    });

    test("readyz reports redis ok", async () => {
      const res = await fetch(`${nodes[1]!.url}/readyz`);
      assert.deepEqual(await res.json(), { status: "ready", checks: { db: "ok", redis: "ok" } });
    });

    test("graceful shutdown of one node moves only its own sockets; the others stay connected", async () => {
      const r = room();
      const [a, b, c] = [await on(0, "stay1"), await on(1, "stay2"), await on(2, "goer")];
      for (const s of [a, b, c]) await call(s, "room:join", { room: r });
      const leaves = collect(a, "presence:leave");
      let aDropped = false;
      let bDropped = false;
      a.on("disconnect", () => (aDropped = true));
      b.on("disconnect", () => (bDropped = true));
      const cGone = new Promise((res) => c.once("disconnect", res));
      const last = nodes.pop()!;
      await last.stop();
      assert.equal(await cGone, "transport close"); // a stock client reconnects by itself
      await eventually(() => leaves.length >= 1, 5000, "presence:leave of the moved user");
      assert.deepEqual(leaves, [{ room: r, user: "goer" }]);
      assert.equal(aDropped || bDropped, false);
      const got = waitFor(b, "message:new");
      await call(a, "message:send", { room: r, body: "still here", clientId: "s" });
      assert.equal((await got).body, "still here");
    });
  });
}
