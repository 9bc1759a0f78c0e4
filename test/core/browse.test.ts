/**
 * rooms:browse and leaving a room: the public rooms in name order with their member counts,
 * a prefix filter, keyset pages, never a DM; every call counts against the user's lookup
 * limit; the page reads one index range whatever the number of rooms (EXPLAIN). Leaving a
 * public room ends the membership, so it is gone from rooms:list after a reload.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import pg from "pg";
import { createPgliteDb, type Queryable } from "../../src/store/db.js";
import { BROWSE_SQL, browseParams } from "../../src/store/browse.js";
import { migrate } from "../../src/store/migrations.js";
import { call, closeAll, collect, connect, eventually, type Client } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startNode, tempDir, type RunningNode } from "../helpers/node.js";

let pgDb: TestDatabase;
let srv: RunningNode;
before(async () => {
  pgDb = await createTestDatabase("browse");
  srv = await startNode({ DATABASE_URL: pgDb.url, SEARCH_RATE_LIMIT: "1000" });
});
after(async () => {
  closeAll();
  await srv.stop();
  await pgDb.drop();
});
afterEach(() => closeAll());

const join = async (c: Client, room: string) => assert.equal((await call(c, "room:join", { room })).ok, true, room);
const names = (ack: { rooms: { room: string }[] }) => ack.rooms.map((r) => r.room);

describe("rooms:browse", () => {
  test("public rooms by name with member counts and activity; a prefix filter; DMs never", async () => {
    const [ann, bob] = [await connect(srv.url, { username: "ann" }), await connect(srv.url, { username: "bob" })];
    for (const r of ["alpha", "alpine", "beta", "gamma-1", "al_x"]) await join(ann, r);
    await join(bob, "alpha");
    assert.equal((await call(ann, "dm:open", { user: "bob" })).ok, true);
    await join(ann, "dm:ann:bob");
    const before = Date.now();
    await call(bob, "message:send", { room: "alpha", body: "hi", clientId: "c1" });

    const all = await call(ann, "rooms:browse", {});
    assert.equal(all.ok, true);
    assert.deepEqual(names(all), ["al_x", "alpha", "alpine", "beta", "gamma-1"]);
    assert.equal(all.next, undefined);
    const alpha = all.rooms.find((r: { room: string }) => r.room === "alpha");
    assert.equal(alpha.members, 2);
    assert.equal(alpha.lastSeq, 1);
    assert.ok(Date.parse(alpha.lastActivityAt) >= before - 1000, alpha.lastActivityAt);
    assert.equal(all.rooms.find((r: { room: string }) => r.room === "beta").members, 1);

    assert.deepEqual(names(await call(ann, "rooms:browse", { query: "alp" })), ["alpha", "alpine"]);
    assert.deepEqual(names(await call(ann, "rooms:browse", { query: "  AL_ " })), ["al_x"]); // `_` is a character, not a wildcard
    assert.deepEqual(names(await call(ann, "rooms:browse", { query: "dm" })), []);
    assert.deepEqual(names(await call(ann, "rooms:browse", { query: "dm:ann" })), []); // no public name has `:`
    assert.deepEqual(names(await call(ann, "rooms:browse", { query: "#alpha" })), []);
    assert.deepEqual(names(await call(ann, "rooms:browse", { query: "" })), names(all));
  });

  test("keyset pages: `next` until the last page, each room once", async () => {
    const cy = await connect(srv.url, { username: "cy" });
    for (let i = 0; i < 7; i++) await join(cy, `page-${i}`);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const ack = await call(cy, "rooms:browse", { query: "page-", limit: 3, ...(cursor ? { cursor } : {}) });
      assert.ok(ack.rooms.length <= 3);
      seen.push(...names(ack));
      cursor = ack.next;
      if (!cursor) break;
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
  });

  test("bounds: limit 1..50, a cursor is a public name; refusals are invalid_payload", async () => {
    const c = await connect(srv.url, { username: "dee" });
    for (const bad of [{ limit: 0 }, { limit: 51 }, { limit: 1.5 }, { cursor: "dm:ann:bob" }, { cursor: "" }, { query: "x".repeat(65) }, { query: 3 }]) {
      assert.equal((await call(c, "rooms:browse", bad)).error?.code, "invalid_payload", JSON.stringify(bad));
    }
    assert.equal((await call(c, "rooms:browse", { limit: 50 })).ok, true);
  });
});

describe("leaving a room", () => {
  test("a left public room is gone from rooms:list after a reload and from the member count; joining again brings it back", async () => {
    const [eve, fay] = [await connect(srv.url, { username: "eve" }), await connect(srv.url, { username: "fay" })];
    await join(eve, "leave-me");
    await join(fay, "leave-me");
    const count = async () => (await call(fay, "rooms:browse", { query: "leave-me" })).rooms[0].members;
    assert.equal(await count(), 2);
    assert.equal((await call(eve, "room:leave", { room: "leave-me" })).ok, true);
    const reloaded = await connect(srv.url, { username: "eve" });
    assert.ok(!names(await call(reloaded, "rooms:list", {})).includes("leave-me"));
    assert.equal(await count(), 1);
    await join(reloaded, "leave-me");
    assert.ok(names(await call(reloaded, "rooms:list", {})).includes("leave-me"));
    assert.equal(await count(), 2);
  });

  test("the user's connections hear room:left once, when the membership ended", async () => {
    const [tab1, tab2] = [await connect(srv.url, { username: "lou" }), await connect(srv.url, { username: "lou" })];
    const other = await connect(srv.url, { username: "max" });
    for (const c of [tab1, tab2, other]) await join(c, "told");
    const heard = [collect(tab1, "room:left"), collect(tab2, "room:left"), collect(other, "room:left")];
    assert.equal((await call(tab1, "room:leave", { room: "told" })).ok, true);
    await eventually(() => heard[1]!.length > 0, 10_000, "room:left on the other tab");
    assert.equal((await call(tab2, "room:leave", { room: "told" })).ok, true); // nothing left to end
    // A round trip on each socket after the leaves: anything sent before it has arrived.
    for (const c of [tab1, tab2, other]) await call(c, "rooms:list", {});
    assert.deepEqual(heard, [[{ room: "told" }], [{ room: "told" }], []]);
  });

  test("a socket that never joined the room (a page reloaded on rooms:list) can leave it", async () => {
    const gus = await connect(srv.url, { username: "gus" });
    await join(gus, "left-unjoined");
    const fresh = await connect(srv.url, { username: "gus" });
    gus.close();
    assert.equal((await call(fresh, "room:leave", { room: "left-unjoined" })).ok, true);
    assert.ok(!names(await call(fresh, "rooms:list", {})).includes("left-unjoined"));
  });

  test("a DM stays in rooms:list: its other participant may write at any time", async () => {
    const hal = await connect(srv.url, { username: "hal" });
    await connect(srv.url, { username: "ivy" });
    const { room } = await call(hal, "dm:open", { user: "ivy" });
    await join(hal, room);
    assert.equal((await call(hal, "room:leave", { room })).ok, true);
    assert.ok(names(await call(hal, "rooms:list", {})).includes(room));
  });
});

test("rate limit: rooms:browse counts against SEARCH_RATE_LIMIT, shared with messages:search", async () => {
  const small = await startNode({ DATA_DIR: tempDir("browse-limit"), SEARCH_RATE_LIMIT: "3", SEARCH_RATE_WINDOW_MS: "60000" });
  try {
    const c = await connect(small.url, { username: "jo" });
    for (let i = 0; i < 2; i++) assert.equal((await call(c, "rooms:browse", {})).ok, true);
    assert.equal((await call(c, "messages:search", { query: "anything" })).ok, true);
    const refused = await call(c, "rooms:browse", {});
    assert.equal(refused.error?.code, "rate_limited");
    assert.ok(refused.error.retryAfterMs > 0 && refused.error.retryAfterMs <= 60_000, String(refused.error.retryAfterMs));
    assert.equal((await call(c, "messages:search", { query: "anything" })).error?.code, "rate_limited");
    // Another user's budget is their own.
    assert.equal((await call(await connect(small.url, { username: "kay" }), "rooms:browse", {})).ok, true);
  } finally {
    closeAll();
    await small.stop();
  }
});

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
}
const nodesOf = (p: PlanNode): PlanNode[] => [p, ...(p.Plans ?? []).flatMap(nodesOf)];
async function planOf(db: Queryable, params: unknown[]): Promise<PlanNode[]> {
  const rows = await db.query<{ "QUERY PLAN": [{ Plan: PlanNode }] | string }>(`EXPLAIN (FORMAT JSON) ${BROWSE_SQL}`, params);
  const plan = rows[0]!["QUERY PLAN"];
  return nodesOf((typeof plan === "string" ? JSON.parse(plan) : plan)[0].Plan);
}
const show = (plan: PlanNode[]) => JSON.stringify(plan.map((n) => [n["Node Type"], n["Index Name"] ?? n["Relation Name"]]));

/** Public rooms and as many DMs (whose names sort among them), with memberships. */
async function seedRooms(db: Queryable, n: number): Promise<void> {
  await db.query(
    `INSERT INTO rooms (name, last_seq, last_message_at)
       SELECT 'r' || lpad(i::text, 6, '0') || '-' || md5(i::text), i % 100, now() - i * interval '1 minute'
         FROM generate_series(1, $1) i
     UNION ALL
       SELECT 'dm:u' || lpad(i::text, 6, '0') || ':v' || i, 1, now() FROM generate_series(1, $1) i`,
    [n],
  );
  await db.query(
    `INSERT INTO memberships (user_name, room)
       SELECT 'u' || (i % 50), name FROM rooms, generate_series(1, 3) i WHERE name LIKE 'r%' AND i <= 1 + length(name) % 3`,
  );
  await db.query("ANALYZE");
}

/** What no page may do: read the rooms (or the member counts) whole, or walk the DMs' names. */
function assertIndexed(plan: PlanNode[], what: string) {
  assert.ok(plan.some((n) => n["Index Name"] === "rooms_public_name"), `${what}: ${show(plan)}`);
  assert.deepEqual(plan.filter((n) => n["Node Type"] === "Seq Scan" || n["Node Type"] === "Sort").map((n) => n["Node Type"]), [], `${what}: ${show(plan)}`);
}

describe("every page reads one index range (EXPLAIN)", () => {
  const shapes: [string, Parameters<typeof browseParams>[0]][] = [
    ["first page", { prefix: "", limit: 50 }],
    ["a later page", { prefix: "", after: "r050000", limit: 50 }],
    ["a prefix", { prefix: "r01", limit: 20 }],
    ["a prefix matching nothing", { prefix: "zz", limit: 20 }],
    ["a prefix among the DMs' names", { prefix: "d", limit: 20 }],
  ];

  test("PostgreSQL, 100,000 public rooms and 100,000 DMs", async () => {
    const pool = new pg.Pool({ connectionString: pgDb.url, max: 1 });
    const db: Queryable = { query: async (sql, params) => (await pool.query(sql, params)).rows };
    try {
      await seedRooms(db, 100_000);
      for (const [what, opts] of shapes) assertIndexed(await planOf(db, browseParams(opts)), what);
      // The trigger kept the counts that the seed's memberships made.
      const [c] = await db.query<{ bad: number }>(
        `SELECT count(*)::int AS bad FROM rooms r LEFT JOIN room_stats s ON s.room = r.name
           LEFT JOIN (SELECT room, count(*) AS n FROM memberships GROUP BY room) m ON m.room = r.name
          WHERE r.name LIKE 'r%' AND coalesce(s.members, 0) <> coalesce(m.n, 0)`,
      );
      assert.equal(c!.bad, 0);
    } finally {
      await pool.end();
    }
  });

  test("PGlite (the embedded default): the same statement uses the index", async () => {
    const lite = await createPgliteDb(undefined);
    try {
      await migrate(lite);
      await seedRooms(lite, 5000);
      for (const [what, opts] of shapes) assertIndexed(await planOf(lite, browseParams(opts)), what);
    } finally {
      await lite.close();
    }
  });
});
