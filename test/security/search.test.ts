/**
 * messages:search must not stall the store (issue 18): every plan starts from the word
 * index, matched or not; user input never becomes tsquery syntax; searches run on their own
 * connections under a per-node cap and a statement timeout, and each user's searches are
 * limited across the cluster, so that one user's searches never fail another user's send.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import pg from "pg";
import { seedMessages } from "../../loadtest/bench/search-seed.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import type { Message } from "../../src/shared/protocol.js";
import { createPgliteDb, type Queryable } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrations.js";
import { searchMessages, searchSteps, toTsQuery, type SearchStep } from "../../src/store/search.js";
import { call, closeAll, connect } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, startNode, startNodes, tempDir, uniquePrefix, type RunningNode } from "../helpers/node.js";

/** One room of this many messages: enough that the planner reads `ORDER BY id DESC LIMIT` backwards. */
const BIG = 100_000;
const NOWHERE = "zqxjvw";
const ODD = ["a & | ! ( ) : * '", "'", "\\", "\\'", "'); DROP TABLE messages; --", '"unclosed phrase', '""', "-", "--x", "or", "or or", "!x", "x:*", "(x", "a:B", "***"];

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  "Scan Direction"?: string;
  "Index Cond"?: string;
  Plans?: PlanNode[];
}
const nodesOf = (p: PlanNode): PlanNode[] => [p, ...(p.Plans ?? []).flatMap(nodesOf)];

async function planOf(db: Queryable, sql: string, params: unknown[]): Promise<PlanNode[]> {
  const rows = await db.query<{ "QUERY PLAN": [{ Plan: PlanNode }] | string }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  const plan = rows[0]!["QUERY PLAN"];
  return nodesOf((typeof plan === "string" ? JSON.parse(plan) : plan)[0].Plan);
}

/** The partitions' own indexes of a partitioned index (messages is partitioned by week, migration 009). */
const partsOf = async (db: Queryable, index: string) =>
  new Set(
    (
      await db.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`,
        [index],
      )
    ).map((r) => r.name),
  );
let windowIndex = new Set<string>();
let idIndex = new Set<string>();
let pkIndex = new Set<string>();
/** Partitions holding rows (filled in before the tests): a scan of an empty one reads nothing. */
const filled = new Set<string>(["messages"]);
const show = (plan: PlanNode[]) => JSON.stringify(plan.map((n) => [n["Node Type"], n["Index Name"], n["Index Cond"]]));
const wordScans = (plan: PlanNode[]) => plan.filter((n) => n["Node Type"] === "Bitmap Index Scan" && windowIndex.has(String(n["Index Name"])));

/** What no step may do: read every row of a partition, or read by id without a lower bound (a lookup of one id is fine). */
function assertNoFullRead(plan: PlanNode[], what: string) {
  const bad = plan.filter(
    (n) =>
      filled.has(String(n["Relation Name"])) &&
      (n["Node Type"] === "Seq Scan" || (idIndex.has(String(n["Index Name"])) && !/id >= |^\(id = /.test(String(n["Index Cond"])))),
  );
  assert.deepEqual(bad.map((n) => n["Node Type"]), [], `${what}: ${show(plan)}`);
}

/** Every step's plan for a query: recent reads a bounded id range only; window and all start from the window index. */
async function assertStepPlans(db: Queryable, query: string, room: string | undefined, top: number, tiny = false) {
  const what = `${query} in ${room ?? "every room"}`;
  for (const { step, sql, params } of searchSteps("ann", query, { room, limit: 50 }, top)!) {
    const plan = await planOf(db, sql, params);
    // In a tiny store, reading a partition whole is the cheap plan for the page's final join.
    if (!tiny) assertNoFullRead(plan, `${what}, ${step}`);
    const scans = wordScans(plan);
    if (step === "recent") {
      assert.deepEqual(scans, [], `${what}, recent reads no index entries of the word: ${show(plan)}`);
      const bounded = room === undefined
        ? (n: PlanNode) => idIndex.has(String(n["Index Name"])) && /id >= /.test(String(n["Index Cond"]))
        : (n: PlanNode) => pkIndex.has(String(n["Index Name"])) && /seq < /.test(String(n["Index Cond"]));
      assert.ok(plan.some(bounded), `${what}, recent reads the newest rows by ${room ? "seq" : "id"}: ${show(plan)}`);
    } else {
      assert.equal(scans.length > 0, true, `${what}, ${step} starts from the window index: ${show(plan)}`);
      if (step === "window") assert.ok(scans.every((n) => /id >> 12/.test(String(n["Index Cond"]))), `${what}, window: ${show(plan)}`);
    }
  }
}

/** The search every query shape of the report had: the match, the room and the order in one statement. */
const ID_ORDER_SQL = `SELECT id FROM messages
  WHERE to_tsvector('simple', body) @@ websearch_to_tsquery('simple', $1) AND NOT deleted AND room = $2
  ORDER BY id DESC LIMIT 51`;

let pgDb: TestDatabase;
let pool: pg.Pool;
const db: Queryable = { query: async (sql, params) => (await pool.query(sql, params)).rows };

before(async () => {
  pgDb = await createTestDatabase("search");
  // A node migrates the database, as in production; the seed then writes behind its back.
  const node = await startNode({ DATABASE_URL: pgDb.url });
  await node.stop();
  pool = new pg.Pool({ connectionString: pgDb.url, max: 2 });
  // Every word common: statistics under which the planner expects any word to match often,
  // as in the store, and so reads backwards by id when it may.
  await seedMessages(pool, { rooms: ["big"], messages: BIG, draw: "flat" });
  for (const r of (await pool.query("SELECT DISTINCT tableoid::regclass::text AS p FROM messages")).rows) filled.add(r.p);
  windowIndex = await partsOf(db, "messages_search_window");
  idIndex = await partsOf(db, "messages_id");
  pkIndex = await partsOf(db, "messages_pkey");
});
after(async () => {
  await pool.end();
  await pgDb.drop();
});
afterEach(() => closeAll());

describe("each step's plan reads what it must and no more", () => {
  test("PostgreSQL, a room of 100,000 messages: matched, unmatched, prefix, phrase, room or not", async () => {
    // The setup is one where a plan that may order by id does, for a word it expects often:
    // it reads backwards by id with no bound, every row when the room holds no match.
    const naive = await planOf(db, ID_ORDER_SQL, ["private", "big"]);
    assert.throws(() => assertNoFullRead(naive, "the id-order plan"), "the id-order plan this test guards against");
    for (const query of [NOWHERE, "privat", "private", "bug fix", '"private plan"', "deploy or release -friday", "the"]) {
      for (const room of [undefined, "big"]) {
        for (const top of [BIG + 1, BIG / 2]) await assertStepPlans(db, query, room, top);
      }
    }
  });

  test("the steps answer what one read of every match answers, page by page", async () => {
    // Rare words at known places: some among the newest rows, some in the window, some older;
    // in the big room and in a second one. An update keeps the id, so the rows stay where they are.
    const plant = async (word: string, ids: number[]) =>
      pool.query("UPDATE messages SET body = body || ' ' || $1 WHERE id = ANY ($2::bigint[])", [word, ids]);
    await plant("quasarone", [BIG - 3, BIG - 500, BIG - 20_000, BIG - 60_000, 5, 6, 7]);
    await plant("nebulatwo", Array.from({ length: 30 }, (_, i) => 100 + i * 1000));
    await plant("cometthree", Array.from({ length: 40 }, (_, i) => BIG - 2000 - i * 997));
    await pool.query("INSERT INTO rooms (name) VALUES ('small') ON CONFLICT DO NOTHING");
    await pool.query(
      `INSERT INTO messages (room, seq, user_name, body, client_id)
       SELECT 'small', g, 'seed', 'small room cometthree ' || g, 'small-' || g FROM generate_series(1, 30) g`,
    );
    const everyMatch = async (query: string, room: string | undefined) => {
      const rows = await db.query<{ room: string; seq: number }>(
        `SELECT room, seq FROM messages WHERE (to_tsvector('simple', body) @@ to_tsquery('simple', $1)) AND NOT deleted
            AND ($2::text IS NULL OR room = $2) ORDER BY id DESC`,
        [toTsQuery(query), room ?? null],
      );
      return rows.map((r) => `${r.room}:${r.seq}`);
    };
    const answered = new Set<SearchStep>();
    for (const query of ["quasarone", "quasaro", "nebulatwo", "cometthree", "comet -small", "the", "privat", NOWHERE]) {
      for (const room of [undefined, "big", "small"]) {
        const ids: string[] = [];
        let before: number | undefined;
        for (let pages = 0; pages < 5; pages++) {
          const r = await searchMessages(db, "ann", query, { room, before, limit: 10 }, (s) => answered.add(s));
          ids.push(...r.messages.map((m) => `${m.room}:${m.seq}`));
          if (!r.hasMore) break;
          before = r.nextBefore;
        }
        const want = (await everyMatch(query, room)).slice(0, ids.length < 50 ? undefined : 50);
        assert.deepEqual(ids, want, `${query} in ${room ?? "every room"}`);
      }
    }
    assert.deepEqual([...answered].sort(), ["all", "recent", "window"], "every step answered some search");
  });

  test("PGlite (the embedded default): the same steps use the same indexes", async () => {
    const lite = await createPgliteDb(undefined);
    const saved = [windowIndex, idIndex, pkIndex];
    try {
      await migrate(lite);
      await seedMessages(lite, { rooms: ["big"], messages: 5000 });
      windowIndex = await partsOf(lite, "messages_search_window");
      idIndex = await partsOf(lite, "messages_id");
      pkIndex = await partsOf(lite, "messages_pkey");
      for (const query of [NOWHERE, "privat"]) await assertStepPlans(lite, query, "big", 5001, true);
      const r = await searchMessages(lite, "ann", "privat", { room: "big", limit: 5 });
      assert.equal(r.messages.length, 5);
      assert.ok(r.messages.every((m) => /\bprivat/.test(m.body)), JSON.stringify(r.messages.map((m) => m.body)));
    } finally {
      [windowIndex, idIndex, pkIndex] = saved as [Set<string>, Set<string>, Set<string>];
      await lite.close();
    }
  });
});

describe("prefix matching, built safely from any input", () => {
  test("terms are quoted lexemes; odd input is never tsquery syntax", async () => {
    assert.equal(toTsQuery("privat"), "'privat':*");
    assert.equal(toTsQuery("pr"), "'pr'", "two letters match whole words only");
    assert.equal(toTsQuery('deploy "next week" or ship -friday'), "( ( 'deploy':* & 'next week' ) | ( 'ship':* ) ) & !'friday'");
    assert.equal(toTsQuery("it's"), "'it''s':*");
    assert.equal(toTsQuery("a & | ! ( ) : * '"), "'a'");
    assert.equal(toTsQuery("-friday"), undefined, "exclusions alone look for nothing");
    assert.equal(toTsQuery("& | !"), undefined);
    // PostgreSQL takes every one of them (a syntax error would be `internal`).
    for (const q of ODD) {
      const tsquery = toTsQuery(q);
      if (tsquery !== undefined) await db.query("SELECT to_tsquery('simple', $1)", [tsquery]);
    }
  });

  test("through the server: privat finds private; odd input answers ok", async () => {
    const node = await startNode({ DATABASE_URL: pgDb.url, SEARCH_RATE_LIMIT: "1000" });
    try {
      const ann = await connect(node.url, { username: "ann" });
      assert.equal((await call(ann, "room:join", { room: "plans" })).ok, true);
      for (const [i, body] of ["our private plans for friday", "it's a zebra-crossing", "public notes"].entries()) {
        assert.equal((await call(ann, "message:send", { room: "plans", body, clientId: `p${i}` })).ok, true);
      }
      const bodies = async (query: string) => {
        const a = await call(ann, "messages:search", { room: "plans", query });
        assert.equal(a.ok, true, `${query}: ${JSON.stringify(a)}`);
        return a.messages.map((m: Message) => m.body);
      };
      assert.deepEqual(await bodies("privat"), ["our private plans for friday"]);
      assert.deepEqual(await bodies("PRIVATE pla"), ["our private plans for friday"]);
      assert.deepEqual(await bodies("zebra-cross"), ["it's a zebra-crossing"]);
      assert.deepEqual(await bodies("it's"), ["it's a zebra-crossing"]);
      assert.deepEqual(await bodies('"private plans"'), ["our private plans for friday"]);
      assert.deepEqual(await bodies('"plans private"'), []);
      assert.deepEqual(await bodies("pub or friday"), ["public notes", "our private plans for friday"]);
      assert.deepEqual(await bodies("notes or plans -friday"), ["public notes"]);
      assert.deepEqual(await bodies("pr"), [], "a two-letter prefix is not a word");
      assert.deepEqual(await bodies(NOWHERE), []);
      for (const q of ODD) await bodies(q);
      // Which step answered is counted: a word of most rows in the newest ones, a rare word by reading every match.
      assert.equal((await call(ann, "messages:search", { room: "big", query: "the" })).hasMore, true);
      const text = await (await fetch(`${node.url}/metrics`)).text();
      const steps = (step: string) => Number(new RegExp(`^chat_search_steps_total\\{step="${step}"[^}]*\\} (\\d+)`, "m").exec(text)?.[1]);
      assert.ok(steps("recent") >= 1 && steps("all") >= 10, text.split("\n").filter((l) => l.includes("search_steps")).join("\n"));
    } finally {
      closeAll();
      await node.stop();
    }
  });
});

test("settings: safe defaults; every bad SEARCH_* variable named at once", () => {
  assert.deepEqual(loadConfig({}).search, { concurrency: 1, timeoutMs: 2000, limit: 20, windowMs: 10_000 });
  const bad = { SEARCH_CONCURRENCY: "0", SEARCH_TIMEOUT_MS: "abc", SEARCH_RATE_LIMIT: "-1", SEARCH_RATE_WINDOW_MS: "5" };
  assert.throws(
    () => loadConfig(bad),
    (e: unknown) => e instanceof ConfigError && Object.keys(bad).every((k) => e.problems.some((p) => p.startsWith(`${k}:`))),
  );
});

describe("bounds", () => {
  const nodes: RunningNode[] = [];
  afterEach(async () => {
    closeAll();
    for (const n of nodes.splice(0)) await n.stop();
  });

  test("one user's many slow searches never fail another user's sends", async () => {
    // A small shared pool: searches on it would hold both connections; they have their own.
    const node = await startNode({ DATABASE_URL: pgDb.url, DATABASE_POOL_MAX: "2", SEARCH_CONCURRENCY: "2", SEARCH_RATE_LIMIT: "1000" });
    nodes.push(node);
    const hog = await connect(node.url, { username: "hog" });
    const bob = await connect(node.url, { username: "bob" });
    assert.equal((await call(bob, "room:join", { room: "busy" })).ok, true);
    // The costliest searches there are: a word in most rows, one in none, over the big room.
    const searches = Array.from({ length: 24 }, (_, i) => call(hog, "messages:search", { query: i % 2 ? NOWHERE : "the", room: "big" }, 60_000));
    const sends = [];
    for (let i = 0; i < 5; i++) sends.push(await call(bob, "message:send", { room: "busy", body: `still here ${i}`, clientId: `s${i}` }, 30_000));
    assert.deepEqual(sends.map((a) => a.ok || a.error.code), [true, true, true, true, true]);
    // Every search is answered: with results, or `unavailable` when the node's slots stayed full.
    for (const a of await Promise.all(searches)) assert.ok(a.ok || a.error.code === "unavailable", JSON.stringify(a));
  });

  test("a search over SEARCH_TIMEOUT_MS is cancelled and answered unavailable; its slot is given back", async () => {
    const node = await startNode({ DATABASE_URL: pgDb.url, SEARCH_CONCURRENCY: "1", SEARCH_TIMEOUT_MS: "300" });
    nodes.push(node);
    const ann = await connect(node.url, { username: "ann" });
    // A lock that the search waits behind: statement_timeout counts the wait.
    const locker = await pool.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE");
      const answers = await Promise.all([1, 2, 3].map(() => call(ann, "messages:search", { query: "private" }, 10_000)));
      for (const a of answers) assert.equal(a.ok ? "ok" : a.error.code, "unavailable", JSON.stringify(a));
      assert.ok(answers.some((a) => /longer than 300 ms/.test(a.error.message)), JSON.stringify(answers));
    } finally {
      await locker.query("ROLLBACK");
      locker.release();
    }
    assert.equal((await call(ann, "messages:search", { query: "private", limit: 1 })).ok, true);
  });

  test("SEARCH_RATE_LIMIT per user across the cluster: rate_limited with retryAfterMs", async () => {
    const env = clusterEnv(pgDb.url, uniquePrefix("search"), { SEARCH_RATE_LIMIT: "3", SEARCH_RATE_WINDOW_MS: "60000" });
    await startNodes(nodes, env, ["search-a", "search-b"]);
    const [samA, samB, eve] = [
      await connect(nodes[0]!.url, { username: "sam" }),
      await connect(nodes[1]!.url, { username: "sam" }),
      await connect(nodes[1]!.url, { username: "eve" }),
    ];
    for (const s of [samA, samB, samA]) assert.equal((await call(s, "messages:search", { query: "private" })).ok, true);
    const over = await call(samB, "messages:search", { query: "private" });
    assert.equal(over.ok, false);
    assert.equal(over.error.code, "rate_limited");
    assert.ok(over.error.retryAfterMs > 0 && over.error.retryAfterMs <= 60_000, JSON.stringify(over));
    // Another user is not affected.
    assert.equal((await call(eve, "messages:search", { query: "private" })).ok, true);
  });

  test("PGlite: the same bounds apply on the embedded database", async () => {
    const node = await startNode({ DATA_DIR: tempDir("search"), SEARCH_RATE_LIMIT: "2" });
    nodes.push(node);
    const ann = await connect(node.url, { username: "ann" });
    assert.equal((await call(ann, "room:join", { room: "plans" })).ok, true);
    assert.equal((await call(ann, "message:send", { room: "plans", body: "private plans", clientId: "p" })).ok, true);
    const found = await call(ann, "messages:search", { query: "privat" });
    assert.deepEqual(found.messages.map((m: Message) => m.body), ["private plans"]);
    assert.equal((await call(ann, "messages:search", { query: "plan" })).ok, true);
    assert.equal((await call(ann, "messages:search", { query: "plan" })).error.code, "rate_limited");
  });
});
