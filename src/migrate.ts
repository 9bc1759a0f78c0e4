/**
 * `node dist/main.js migrate` (`npm run migrate`): applies the pending migrations under the
 * same advisory lock as a starting node, then exits. Run before new nodes start (the
 * Kubernetes Job, the compose service) so that no node's startup waits on a long migration.
 */
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import { openDb } from "./store/db.js";
import { migrate } from "./store/migrations.js";

/** Resolves with the exit code: 0 when the schema is current afterwards. */
export async function runMigrate(config: Config, log: Logger): Promise<number> {
  let db;
  try {
    db = await openDb(config, (err) => log.warn({ err }, "idle database client failed"));
    const applied = await migrate(db);
    log.info({ applied }, applied.length > 0 ? "migrations applied" : "schema is current; nothing to apply");
    return 0;
  } catch (err) {
    log.fatal({ err }, `migration failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await db?.close().catch(() => {});
  }
}
