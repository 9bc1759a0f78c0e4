/**
 * Numbered SQL migrations (sql/migrations/NNN_name.sql), applied in order inside one
 * transaction under an advisory lock, so that any number of replicas (or `migrate` runs)
 * starting together apply each one exactly once. Each applied file is recorded by name in
 * schema_migrations. Never edit a migration that has shipped: add the next one. Functions
 * live in sql/functions/, one current definition each, which migrations apply with `\ir`.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Db, Queryable } from "./db.js";

export interface Migration {
  name: string;
  sql: string;
}

/** The schema does not match this build: newer than it knows, or older than it needs. */
export class SchemaError extends Error {
  override name = "SchemaError";
}

/** Next to this module in src/ and in dist/ (the build copies src/store/sql). */
export const MIGRATIONS_DIR = fileURLToPath(new URL("./sql/migrations/", import.meta.url));

const FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;
/** psql's "include relative to this file", so a migration also runs as is under `psql -f`. */
const INCLUDE = /^\\ir\s+(\S+)\s*$/gm;

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
  if (files.length === 0) throw new Error(`no migrations in ${dir}: was src/store/sql copied into the build?`);
  const seen = new Set<string>();
  return files.map((f) => {
    const number = FILE.exec(f)?.[1];
    if (!number) throw new Error(`migration file ${f} is not named NNN_name.sql`);
    if (seen.has(number)) throw new Error(`two migrations are numbered ${number}`);
    seen.add(number);
    const file = path.join(dir, f);
    const sql = readFileSync(file, "utf8").replace(INCLUDE, (_, rel: string) =>
      readFileSync(path.resolve(path.dirname(file), rel), "utf8"),
    );
    return { name: f.slice(0, -".sql".length), sql };
  });
}

export interface SchemaState {
  applied: string[];
  /** Known to this build, not applied yet: the schema is older than it needs. */
  pending: string[];
  /** Applied, unknown to this build: the schema was migrated by a newer version. */
  unknown: string[];
}

export async function schemaState(db: Queryable, migrations = loadMigrations()): Promise<SchemaState> {
  const [{ exists } = { exists: false }] = await db.query<{ exists: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS exists",
  );
  const applied = exists
    ? (await db.query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY name")).map((r) => r.name)
    : [];
  const known = new Set(migrations.map((m) => m.name));
  const done = new Set(applied);
  return {
    applied,
    pending: migrations.filter((m) => !done.has(m.name)).map((m) => m.name),
    unknown: applied.filter((n) => !known.has(n)),
  };
}

function newerError(unknown: string[]): SchemaError {
  return new SchemaError(
    `the database schema is newer than this version knows (applied by a newer version: ${unknown.join(", ")}); ` +
      "run the version that migrated it, or a newer one (docs/deploy.md, upgrades)",
  );
}

/** For a node that does not migrate: the schema must be exactly the one this build knows. */
export async function requireCurrentSchema(db: Queryable, migrations = loadMigrations()): Promise<void> {
  const state = await schemaState(db, migrations);
  if (state.unknown.length > 0) throw newerError(state.unknown);
  if (state.pending.length > 0) {
    throw new SchemaError(
      `the database schema is older than this version needs (pending: ${state.pending.join(", ")}); ` +
        "run `npm run migrate` (`node dist/main.js migrate`: the migrate initContainer or compose service) first, " +
        "or start with MIGRATE_ON_START=true",
    );
  }
}

/** Arbitrary constant shared by every replica: "chat-cluster migrations". */
const MIGRATION_LOCK = 7_312_004_811;

/** Applies the pending migrations; returns their names (none when the schema is current). */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const state = await schemaState(tx, migrations);
    if (state.unknown.length > 0) throw newerError(state.unknown);
    for (const name of state.pending) {
      const m = migrations.find((x) => x.name === name)!;
      // One script per migration: the simple protocol takes several statements and
      // dollar-quoted function bodies as they are.
      await tx.exec(m.sql);
      await tx.query("INSERT INTO schema_migrations (name) VALUES ($1)", [m.name]);
    }
    return state.pending;
  });
}
