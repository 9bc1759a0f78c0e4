/**
 * The reads every connect makes, and the write batch, are named prepared statements
 * (store/db.ts `prepared`): each connection plans them once. They must stay right while the
 * schema moves under a running node: a week's partition created or dropped by retention,
 * and a column a later release's migration adds to `messages` during a rolling upgrade.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createPgDb, createPgliteDb, type Db } from "../../src/store/db.js";
import { readPage, readSince } from "../../src/store/history.js";
import { migrate } from "../../src/store/migrations.js";
import { joinRoom } from "../../src/store/rooms.js";
import { recordUsers } from "../../src/store/users.js";
import { MessageWriter } from "../../src/store/writer.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

let tdb: TestDatabase;
let db: Db;
before(async () => {
  tdb = await createTestDatabase("prepared");
  // One connection: what it prepared is what pg_prepared_statements lists.
  db = createPgDb(tdb.url, 1, () => {});
  await migrate(db);
});
after(async () => {
  await db.close();
  await tdb.drop();
});

const bodies = (p: { messages: { body: string }[] }) => p.messages.map((m) => m.body);

test("a connection prepares the connect's reads and the batch once, and they follow the schema as it changes", async () => {
  const writer = new MessageWriter(db);
  await recordUsers(db, ["ann"]);
  await joinRoom(db, "lobby", "ann", async () => {});
  for (let i = 1; i <= 3; i++) await writer.append({ room: "lobby", user: "ann", body: `m${i}`, clientId: `c${i}` });
  assert.deepEqual(bodies(await readPage(db, "lobby", 2)), ["m2", "m3"]);
  assert.deepEqual(bodies(await readSince(db, "lobby", 1)), ["m2", "m3"]);

  const names = (await db.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements ORDER BY prepare_time")).map((r) =>
    r.statement.replace(/\s+/g, " ").slice(0, 40),
  );
  for (const start of ["INSERT INTO users", "WITH r AS", "SELECT * FROM chat_append_messages", "SELECT f.first_seq"]) {
    assert.ok(names.some((n) => n.startsWith(start)), `${start} not prepared: ${names.join(" | ")}`);
  }
  const count = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements"))[0]!.n;

  // Past the plan cache's five custom plans, so that the generic plan is the one kept.
  for (let i = 0; i < 6; i++) await readPage(db, "lobby", 2);
  // Retention's upkeep adds a week far ahead; a later release adds a column (expand-only).
  await db.query("SELECT chat_week_partition(now() + interval '70 days')");
  await db.query("ALTER TABLE messages ADD COLUMN later_release_note text");
  await writer.append({ room: "lobby", user: "ann", body: "m4", clientId: "c4" });
  assert.deepEqual(bodies(await readPage(db, "lobby", 2)), ["m3", "m4"]);
  assert.deepEqual(bodies(await readSince(db, "lobby", 2)), ["m3", "m4"]);
  // And the week goes again (retention), under the same prepared reads.
  await db.query("SELECT chat_expire_week(name) FROM (SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'messages'::regclass ORDER BY c.relname DESC LIMIT 1) w WHERE name LIKE 'messages_2%'");
  assert.deepEqual(bodies(await readPage(db, "lobby", 10)), ["m1", "m2", "m3", "m4"]);
  // Used again, not prepared again.
  assert.equal((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements"))[0]!.n, count);
});

test("PGlite runs the same statements by their text", async () => {
  const lite = await createPgliteDb(undefined);
  try {
    await migrate(lite);
    await joinRoom(lite, "lobby", "ann", async () => {});
    const writer = new MessageWriter(lite);
    await writer.append({ room: "lobby", user: "ann", body: "hello", clientId: "c1" });
    assert.deepEqual(bodies(await readPage(lite, "lobby", 5)), ["hello"]);
    assert.deepEqual(bodies(await readSince(lite, "lobby", 0)), ["hello"]);
  } finally {
    await lite.close();
  }
});

test("DATABASE_PREPARED_STATEMENTS=false: the same statements run unnamed, for a pooler that cannot carry named ones", async () => {
  const plain = createPgDb(tdb.url, 1, () => {}, { prepared: false });
  try {
    await joinRoom(plain, "unnamed", "bob", async () => {});
    await new MessageWriter(plain).append({ room: "unnamed", user: "bob", body: "hi", clientId: "u1" });
    assert.deepEqual(bodies(await readPage(plain, "unnamed", 5)), ["hi"]);
    assert.deepEqual(await plain.query("SELECT name FROM pg_prepared_statements"), []);
  } finally {
    await plain.close();
  }
});
