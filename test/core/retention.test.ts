/**
 * messages partitioned by week (migration 008) and MESSAGE_RETENTION_DAYS, on PostgreSQL and
 * PGlite: the migration of an existing database, reads across partition boundaries, and
 * expired weeks answered as "history starts at firstSeq". Old rows are inserted with an old
 * created_at; nothing waits for time to pass.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { createPgDb, createPgliteDb, type Db } from "../../src/store/db.js";
import { readPage, readSince } from "../../src/store/history.js";
import { loadMigrations, migrate } from "../../src/store/migrations.js";
import { maintainPartitions, startPartitionUpkeep } from "../../src/store/retention.js";
import { listRooms } from "../../src/store/rooms.js";
import { searchMessages } from "../../src/store/search.js";
import { MessageWriter } from "../../src/store/writer.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

const MIGRATIONS = loadMigrations();
const BEFORE_009 = MIGRATIONS.findIndex((m) => m.name === "009_partition_messages");

/** Inserts `room`'s messages `from`..`to` as if written `daysAgo` days ago (retention tests). */
function insertOld(db: Db, room: string, from: number, to: number, daysAgo: number): Promise<void> {
  return insertAt(db, room, from, to, `now() - ${daysAgo} * interval '1 day'`);
}

/** Inserts `room`'s messages `from`..`to` with the SQL expression `createdAt` as their time. */
async function insertAt(db: Db, room: string, from: number, to: number, createdAt: string): Promise<void> {
  await db.query("INSERT INTO rooms (name) VALUES ($1) ON CONFLICT DO NOTHING", [room]);
  await db.query(
    `INSERT INTO messages (room, seq, user_name, body, client_id, created_at)
     SELECT $1, g, 'old', 'ancient word' || g, 'old-' || g, ${createdAt} FROM generate_series($2::int, $3::int) g`,
    [room, from, to],
  );
  await db.query("UPDATE rooms SET last_seq = greatest(last_seq, $2) WHERE name = $1", [room, to]);
}

const seqs = (page: { messages: { seq: number }[] }) => page.messages.map((m) => m.seq);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

for (const kind of ["pg", "pglite"] as const) {
  describe(`partitions and retention on ${kind}`, () => {
    let tdb: TestDatabase | undefined;
    let db: Db;
    before(async () => {
      if (kind === "pg") {
        tdb = await createTestDatabase("retain");
        db = createPgDb(tdb.url, 4, () => {});
      } else {
        db = await createPgliteDb(undefined);
      }
    });
    after(async () => {
      await db.close();
      await tdb?.drop();
    });

    test("the partitioning migration (009) migrates an existing table: rows, seqs, ids and the retry lookup kept", async () => {
      await migrate(db, MIGRATIONS.slice(0, BEFORE_009));
      await db.query("INSERT INTO rooms (name) VALUES ('lobby')");
      // Written as a node of that schema wrote them (chat_append; the writer's function is 010's).
      const five = [1, 2, 3, 4, 5];
      await db.query("SELECT * FROM chat_append($1::text[], $2::text[], $3::text[], $4::text[], '{}'::int[], '{}'::text[])", [
        five.map(() => "lobby"),
        five.map(() => "ann"),
        five.map((i) => `hello ${i}`),
        five.map((i) => `c${i}`),
      ]);
      await insertOld(db, "attic", 1, 3, 40);
      const snapshot = () =>
        db.query("SELECT room, seq, user_name, body, client_id, created_at, id FROM messages ORDER BY room, seq");
      const beforeRows = await snapshot();

      assert.deepEqual(await migrate(db), MIGRATIONS.slice(BEFORE_009).map((m) => m.name));
      assert.deepEqual(await snapshot(), beforeRows);
      const [rel] = await db.query<{ relkind: string }>("SELECT relkind FROM pg_class WHERE relname = 'messages'");
      assert.equal(rel!.relkind, "p");
      const indexes = (await db.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'messages'")).map(
        (r) => r.indexname,
      );
      for (const name of ["messages_client", "messages_id", "messages_search_window", "messages_room_update_seq"]) {
        assert.ok(indexes.includes(name), `${name} missing: ${indexes.join(", ")}`);
      }

      // A retry of a clientId stored before the migration finds it; a new send follows the last seq.
      const writer = new MessageWriter(db);
      const retry = await writer.append({ room: "lobby", user: "ann", body: "again", clientId: "c3" });
      assert.equal(retry.created, false);
      assert.equal(retry.message.seq, 3);
      const next = await writer.append({ room: "lobby", user: "ann", body: "new", clientId: "c6" });
      assert.equal(next.message.seq, 6);
      const [ids] = await db.query<{ top: number; dup: number }>(
        "SELECT max(id) AS top, count(*) - count(DISTINCT id) AS dup FROM messages",
      );
      assert.equal(ids!.dup, 0, "an id was reused after the migration");
      assert.ok(ids!.top > Math.max(...beforeRows.map((r) => r.id as number)));
    });

    test("history, since, search and retries across week boundaries; expired weeks answer firstSeq", async () => {
      // Week A (40 days ago): 1..9 and 11. 10 a second after A's end (a commit that began
      // after 11's: created_at follows seq only to within a commit). Week B (14 days ago):
      // 12..20. Now: 21..25 through the writer. A retention of 33 days expires A only.
      await insertOld(db, "span", 1, 9, 40);
      await insertOld(db, "span", 11, 11, 40);
      await insertAt(db, "span", 10, 10, "date_trunc('week', now() - interval '40 days', 'UTC') + interval '7 days 1 second'");
      await insertOld(db, "span", 12, 20, 14);
      await db.query("INSERT INTO mentions (user_name, room, seq) VALUES ('bob', 'span', 5), ('bob', 'span', 15)");
      await db.query("INSERT INTO memberships (user_name, room) VALUES ('bob', 'span')");
      // Rows of weeks without a partition landed in the default one: upkeep moves them out.
      const upkeep = await maintainPartitions(db, undefined);
      assert.equal(upkeep.dropped.length, 0);
      const [stray] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM messages_default");
      assert.equal(stray!.n, 0);
      const writer = new MessageWriter(db);
      for (let i = 21; i <= 25; i++) await writer.append({ room: "span", user: "ann", body: `fresh ${i}`, clientId: `n${i}` });

      assert.deepEqual(seqs(await readPage(db, "span", 8)), range(18, 25));
      const across = await readPage(db, "span", 6, 14);
      assert.deepEqual(seqs(across), range(8, 13));
      assert.equal(across.hasMore, true);
      assert.equal(across.firstSeq, 1);
      assert.deepEqual(seqs(await readSince(db, "span", 8)), range(9, 25));
      const found = await searchMessages(db, "bob", "ancient", { room: "span", limit: 50 });
      assert.equal(found.messages.length, 20);
      const oldRetry = await writer.append({ room: "span", user: "old", body: "x", clientId: "old-4" });
      assert.deepEqual([oldRetry.created, oldRetry.message.seq], [false, 4]);

      const run = await maintainPartitions(db, 33);
      assert.equal(run.dropped.length, 1);
      assert.equal((await maintainPartitions(db, 33)).dropped.length, 0, "a second run dropped more");
      const first = await readPage(db, "span", 50, 15);
      assert.deepEqual(seqs(first), [12, 13, 14], "position 10 lies below the first kept one: gone too");
      assert.deepEqual([first.hasMore, first.firstSeq], [false, 12]);
      const caughtUp = await readSince(db, "span", 3);
      assert.deepEqual(seqs(caughtUp), range(12, 25));
      assert.equal(caughtUp.firstSeq, 12);
      assert.equal((await searchMessages(db, "bob", "ancient", { room: "span", limit: 50 })).messages.length, 9);
      const [room] = (await listRooms(db, "bob")).filter((r) => r.room === "span");
      assert.deepEqual([room!.unread, room!.mentions], [14, 1]);
      const retry = await writer.append({ room: "span", user: "ann", body: "again", clientId: "n22" });
      assert.deepEqual([retry.created, retry.message.seq], [false, 22]);
      assert.equal((await writer.append({ room: "span", user: "ann", body: "more", clientId: "n26" })).message.seq, 26);
    });

    test("one node at a time: a run finding the upkeep lock taken does nothing", { skip: kind === "pglite" }, async () => {
      const holder = new pg.Client({ connectionString: tdb!.url });
      await holder.connect();
      try {
        await holder.query("BEGIN");
        await holder.query("SELECT pg_advisory_xact_lock(7312004812)");
        assert.deepEqual(await maintainPartitions(db, 1), { skipped: true, created: [], dropped: [] });
      } finally {
        await holder.end();
      }
    });
  });
}

test("upkeep with the database down logs and keeps the process up", async () => {
  const down = createPgDb("postgres://postgres@127.0.0.1:1/nothing", 1, () => {});
  const warned = new Promise<string>((resolve) => {
    const timer = startPartitionUpkeep(down, 30, {
      info: () => {},
      warn: (_obj, msg) => {
        timer.stop();
        resolve(msg);
      },
    });
  });
  assert.match(await warned, /partition upkeep failed/);
  await down.close();
});
