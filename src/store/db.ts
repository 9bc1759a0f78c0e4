/**
 * One database interface over PostgreSQL (`pg`) and the embedded PGlite, so that the same
 * SQL and migrations serve the laptop default and production.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import pg from "pg";
import type { PGlite as PGliteType } from "@electric-sql/pglite";
import { lockDataDir } from "./datadir-lock.js";

/**
 * A statement each PostgreSQL connection parses and plans once and then reuses (a named
 * prepared statement), for the reads every connect and send makes. An unnamed statement is
 * planned at each execution, and planning one over the partitioned `messages` costs more
 * than running it (docs/benchmarks.md). Only for key-driven statements, whose one generic
 * plan fits every parameter, and with a fixed result (no `*` of a table whose columns a
 * migration may add). PGlite runs the text.
 */
export interface Prepared {
  readonly name: string;
  readonly text: string;
}
export type Sql = string | Prepared;

/** The statement, named after its text: one text, one name, on every connection. */
export function prepared(text: string): Prepared {
  return { name: `cc_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`, text };
}

const textOf = (sql: Sql) => (typeof sql === "string" ? sql : sql.text);

export interface Queryable {
  query<T = Record<string, unknown>>(sql: Sql, params?: unknown[]): Promise<T[]>;
}

/** A transaction's handle: queries, and scripts of several statements (migrations). */
export interface Transaction extends Queryable {
  exec(sql: string): Promise<void>;
}

export interface Db extends Transaction {
  readonly kind: "pg" | "pglite";
  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** PostgreSQL's connection pool right now (metrics); PGlite has none. */
  poolStats?(): { total: number; idle: number; waiting: number; max: number };
}

const INT8_OID = 20;

/** int8 columns (seq, counts) arrive as JS numbers: every seq stays below 2^53. */
const pgTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid === INT8_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as "text");
  },
};

/** PostgreSQL when a URL is set, else the embedded PGlite under dataDir (the laptop default). */
export async function openDb(
  c: { databaseUrl?: string; databasePoolMax: number; databasePreparedStatements: boolean; dataDir: string },
  onIdleError: (err: Error) => void,
): Promise<Db> {
  return c.databaseUrl
    ? createPgDb(c.databaseUrl, c.databasePoolMax, onIdleError, { prepared: c.databasePreparedStatements })
    : createPgliteDb(c.dataDir);
}

export function createPgDb(
  url: string,
  poolMax: number,
  onError: (err: Error) => void,
  opts: {
    statementTimeoutMs?: number;
    name?: string;
    /** Run `prepared()` statements as named ones (DATABASE_PREPARED_STATEMENTS). @default true */
    prepared?: boolean;
  } = {},
): Db {
  const statement = opts.prepared === false ? textOf : (sql: Sql) => sql;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    types: pgTypes as pg.CustomTypesConfig,
    // A send must fail fast with `unavailable` when the database is gone, not hang.
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: opts.statementTimeoutMs ?? 15_000,
    application_name: opts.name ?? "chat-cluster",
  });
  // An idle client losing its connection emits here; without a listener it would crash the process.
  pool.on("error", onError);
  return {
    kind: "pg",
    async query<T>(sql: Sql, params?: unknown[]) {
      const r = await pool.query(statement(sql), params as unknown[]);
      return r.rows as T[];
    },
    async transaction<T>(fn: (tx: Transaction) => Promise<T>) {
      const client = await pool.connect();
      let broken = false;
      // A checked-out client whose connection dies emits "error"; unheard, that would crash
      // the process. The failing query rejects on its own, which is what the caller sees.
      const onClientError = () => {
        broken = true;
      };
      client.on("error", onClientError);
      try {
        await client.query("BEGIN");
        const tx: Transaction = {
          async query<R>(sql: Sql, params?: unknown[]) {
            const r = await client.query(statement(sql), params as unknown[]);
            return r.rows as R[];
          },
          // Without parameters pg uses the simple protocol, which takes several statements.
          async exec(sql: string) {
            await client.query(sql);
          },
        };
        const result = await fn(tx);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true; // the connection itself failed: do not hand it out again
        }
        throw err;
      } finally {
        client.off("error", onClientError);
        client.release(broken);
      }
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async close() {
      await pool.end();
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: poolMax }),
  };
}

export async function createPgliteDb(dataDir: string | undefined): Promise<Db> {
  const { PGlite } = await import("@electric-sql/pglite");
  // Migration 013's window index keys rows by a bigint: PGlite ships btree_gin as a contrib module.
  const { btree_gin } = await import("@electric-sql/pglite/contrib/btree_gin");
  let release = () => {};
  if (dataDir) {
    fs.mkdirSync(dataDir, { recursive: true });
    release = lockDataDir(dataDir);
  }
  let db: PGliteType;
  try {
    db = await PGlite.create(dataDir ?? "memory://", {
      parsers: { [INT8_OID]: (v: string) => Number(v) },
      extensions: { btree_gin },
    });
  } catch (err) {
    release();
    throw err;
  }
  const wrap = (q: Pick<PGliteType, "query" | "exec">): Transaction => ({
    async query<R>(sql: Sql, params?: unknown[]) {
      const r = await q.query<R>(textOf(sql), params);
      return r.rows;
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });
  return {
    kind: "pglite",
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    async close() {
      try {
        await db.close();
      } finally {
        release();
      }
    },
  };
}
