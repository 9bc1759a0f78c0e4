/**
 * The SQL migrations against real PostgreSQL and PGlite: a fresh database, one migrated by
 * 0.1.0's TypeScript migrations (pg_dump fixtures, restored with psql) and one halfway end
 * with the same schema; the runner's refusals (newer, older, misnamed files) and its lock.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { createPgDb, createPgliteDb, type Db, type Queryable } from "../../src/store/db.js";
import { loadMigrations, migrate, requireCurrentSchema, SchemaError } from "../../src/store/migrations.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures");
const NAMES = loadMigrations().map((m) => m.name);

const dbs: TestDatabase[] = [];
const open: Db[] = [];
after(async () => {
  for (const d of open) await d.close().catch(() => {});
  for (const d of dbs) await d.drop();
});

async function pgDatabase(fixture?: string): Promise<{ t: TestDatabase; db: Db }> {
  const t = await createTestDatabase("mig");
  dbs.push(t);
  if (fixture) psql(t.url, ["-v", "ON_ERROR_STOP=1", "-q", "-f", path.join(FIXTURES, fixture)]);
  const db = createPgDb(t.url, 2, () => {});
  open.push(db);
  return { t, db };
}

function psql(url: string, args: string[]): string {
  const r = spawnSync("psql", [url, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** The schema as pg_dump prints it; whitespace folded (0.1.0's function bodies were indented strings). */
function dump(url: string): string {
  const r = spawnSync("pg_dump", ["--schema-only", "--no-owner", "--no-privileges", url], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split("\n")
    .filter((l) => !/^(--|\\(un)?restrict)/.test(l))
    .join("\n")
    .replace(/\s+/g, " ");
}

/** The schema from the catalogs, which PGlite answers too. */
async function snapshot(db: Queryable) {
  return {
    columns: await db.query(
      // A partition's identity column (messages, 008) is its parent's: PostgreSQL 17+ (PGlite)
      // says so on the partition too, 15 does not. Compared on the parent only.
      `SELECT table_name, column_name, data_type, collation_name, is_nullable, column_default,
              CASE WHEN (SELECT relispartition FROM pg_class WHERE oid = quote_ident(table_name)::regclass)
                   THEN NULL ELSE is_identity END AS is_identity
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`,
    ),
    indexes: await db.query("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"),
    // PGlite (PostgreSQL 17+) lists NOT NULL as constraints too; columns already say it.
    constraints: await db.query(
      `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype <> 'n' ORDER BY 1, 2`,
    ),
    functions: await db.query(
      `SELECT proname, pg_get_function_identity_arguments(oid) AS args, pg_get_function_result(oid) AS result,
              proconfig, regexp_replace(prosrc, '\\s+', ' ', 'g') AS src
         FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1, 2`,
    ),
    migrations: (await db.query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY name")).map((r) => r.name),
  };
}

describe("PostgreSQL", () => {
  let fresh: { t: TestDatabase; db: Db };
  before(async () => {
    fresh = await pgDatabase();
  });

  test("a fresh database gets every migration once; a second run applies nothing", async () => {
    assert.deepEqual(await migrate(fresh.db), NAMES);
    assert.deepEqual(await migrate(fresh.db), []);
    await requireCurrentSchema(fresh.db);
    const fns = await fresh.db.query<{ proname: string; n: number }>(
      "SELECT proname, count(*)::int AS n FROM pg_proc WHERE proname LIKE 'chat_append%' GROUP BY 1 ORDER BY 1",
    );
    // chat_append_messages (sql/functions/), and chat_append_batch (010) and chat_append (005, 008) for earlier versions' nodes.
    assert.deepEqual(fns, [
      { proname: "chat_append", n: 1 },
      { proname: "chat_append_batch", n: 1 },
      { proname: "chat_append_messages", n: 1 },
    ]);
  });

  test("a database migrated by 0.1.0 needs the migrations after 006 (users, threads, partitions) and then has the fresh schema", async () => {
    const old = await pgDatabase("schema-0.1.0.sql");
    await assert.rejects(requireCurrentSchema(old.db), (e: Error) => e instanceof SchemaError && /pending: .*009_partition_messages/.test(e.message));
    assert.deepEqual(await migrate(old.db), NAMES.slice(6));
    assert.equal(dump(old.t.url), dump(fresh.t.url));
    assert.deepEqual(await snapshot(old.db), await snapshot(fresh.db));
  });

  test("a database 0.1.0 left at 003 (the first chat_append) upgrades to the fresh schema", async () => {
    const old = await pgDatabase("schema-0.1.0-at-003.sql");
    await assert.rejects(requireCurrentSchema(old.db), (e: Error) => e instanceof SchemaError && /older .*pending: 004_legacy_rooms/.test(e.message));
    assert.deepEqual(await migrate(old.db), NAMES.slice(3));
    assert.equal(dump(old.t.url), dump(fresh.t.url));
    assert.deepEqual(await snapshot(old.db), await snapshot(fresh.db));
  });

  test("replicas migrating at once apply each migration exactly once (advisory lock)", async () => {
    const { t } = await pgDatabase();
    const racers = Array.from({ length: 4 }, () => createPgDb(t.url, 2, () => {}));
    open.push(...racers);
    const applied = await Promise.all(racers.map((d) => migrate(d)));
    assert.deepEqual(applied.flat().sort(), NAMES);
  });

  test("a schema newer than this build knows is refused by migrate and by the check", async () => {
    const { db } = await pgDatabase();
    await migrate(db);
    await db.query("INSERT INTO schema_migrations (name) VALUES ('999_from_the_future')");
    const newer = (e: Error) => e instanceof SchemaError && /newer than this version knows .*999_from_the_future/.test(e.message);
    await assert.rejects(migrate(db), newer);
    await assert.rejects(requireCurrentSchema(db), newer);
  });

  test("an empty database is older than needed: the check names npm run migrate", async () => {
    const { db } = await pgDatabase();
    await assert.rejects(requireCurrentSchema(db), (e: Error) => e instanceof SchemaError && /older.*npm run migrate/.test(e.message));
  });
});

test("PGlite: the same migrations give the same schema as PostgreSQL", async () => {
  const lite = await createPgliteDb(undefined);
  open.push(lite);
  assert.deepEqual(await migrate(lite), NAMES);
  assert.deepEqual(await migrate(lite), []);
  const { db } = await pgDatabase();
  await migrate(db);
  assert.deepEqual(await snapshot(lite), await snapshot(db));
});

test("migration files must be named NNN_name.sql, numbered once", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "chat-mig-"));
  try {
    writeFileSync(path.join(dir, "001_a.sql"), "SELECT 1;");
    assert.deepEqual(loadMigrations(dir).map((m) => m.name), ["001_a"]);
    writeFileSync(path.join(dir, "001_b.sql"), "SELECT 1;");
    assert.throws(() => loadMigrations(dir), /two migrations are numbered 001/);
    rmSync(path.join(dir, "001_b.sql"));
    writeFileSync(path.join(dir, "2_b.sql"), "SELECT 1;");
    assert.throws(() => loadMigrations(dir), /2_b.sql is not named NNN_name.sql/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
