/** A node's database at startup: connected, and migrated or checked, before it serves. */
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { openDb, type Db } from "./db.js";
import { migrate, requireCurrentSchema, SchemaError } from "./migrations.js";

const DB_RETRY_MS = 2000;

/** Connects and migrates (or checks the schema), retrying while the database is unreachable. */
export async function connectDb(config: Config, log: Logger, stopping: () => boolean): Promise<Db> {
  for (;;) {
    if (stopping()) throw new Error("shut down while connecting to the database");
    let db: Db | undefined;
    try {
      db = await openDb(config, (err) => log.warn({ err }, "idle database client failed"));
      if (config.migrateOnStart) {
        const applied = await migrate(db);
        if (applied.length > 0) log.info({ applied }, "migrations applied");
      } else {
        await requireCurrentSchema(db);
      }
      return db;
    } catch (err) {
      await db?.close().catch(() => {});
      // Neither the embedded database nor a schema this version cannot serve changes by waiting.
      if (!config.databaseUrl || err instanceof SchemaError) throw err;
      log.warn({ err }, `database not reachable; retrying in ${DB_RETRY_MS} ms`);
      await new Promise((r) => setTimeout(r, DB_RETRY_MS));
    }
  }
}
