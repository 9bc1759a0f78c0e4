/**
 * Upkeep of the weekly partitions of `messages` (migration 008): the coming weeks' partitions
 * created ahead, rows that fell into the default partition moved into their week's, and,
 * with MESSAGE_RETENTION_DAYS, weeks wholly older than the retention dropped. Dropping a
 * partition is instant and leaves no bloat, unlike DELETE.
 *
 * One node at a time (a transaction-scoped advisory lock: another node's run skips), and
 * each run does bounded work; whatever is left waits for the next run.
 */
import type { Db, Queryable } from "./db.js";

/** Arbitrary constant shared by every node: "chat-cluster partition upkeep". */
const UPKEEP_LOCK = 7_312_004_812;
/** Weeks created ahead of the current one: nodes may all be down this long without rows landing in the default partition. */
export const WEEKS_AHEAD = 4;
const MAX_DROPS_PER_RUN = 4;
const MAX_ADOPTS_PER_RUN = 2;

export interface UpkeepResult {
  /** Another node held the lock: this run did nothing. */
  skipped: boolean;
  created: string[];
  dropped: string[];
}

/**
 * One run. The partitions are made and dropped by SQL functions (sql/functions/
 * chat_partitions.sql), which name and quote them: nothing here builds SQL text.
 */
export function maintainPartitions(db: Db, retentionDays: number | undefined): Promise<UpkeepResult> {
  return db.transaction(async (tx) => {
    const result: UpkeepResult = { skipped: false, created: [], dropped: [] };
    const [lock] = await tx.query<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS ok", [UPKEEP_LOCK]);
    if (!lock?.ok) return { ...result, skipped: true };
    // Waiting long for the table's lock would stall every send queued behind this run:
    // give up and retry at the next run.
    await tx.query("SET LOCAL lock_timeout = '2s'");
    // Drops first: chat_expire_week locks room rows before the table, as writers do; a
    // partition created earlier in this transaction would hold the table's lock already.
    if (retentionDays !== undefined) {
      for (const name of await expiredPartitions(tx, retentionDays)) {
        await tx.query("SELECT chat_expire_week($1)", [name]);
        result.dropped.push(name);
      }
    }
    for (const week of await neededWeeks(tx)) {
      const [made] = await tx.query<{ name: string | null }>("SELECT chat_week_partition($1) AS name", [week]);
      if (made?.name) result.created.push(made.name);
    }
    return result;
  });
}

/** Weekly partitions whose whole week is older than the retention, oldest first. */
async function expiredPartitions(tx: Queryable, retentionDays: number): Promise<string[]> {
  const rows = await tx.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'messages'::regclass AND c.relname ~ '^messages_[0-9]{8}$'
        AND (to_date(substr(c.relname, 10), 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC') + interval '7 days'
            <= now() - $1 * interval '1 day'
      ORDER BY c.relname LIMIT $2`,
    [retentionDays, MAX_DROPS_PER_RUN],
  );
  return rows.map((r) => r.name);
}

/**
 * Weeks that need a partition (chat_week_partition skips those that have one): the current
 * one and WEEKS_AHEAD more, and a few weeks of rows that landed in the default partition
 * (none unless upkeep did not run for weeks).
 */
async function neededWeeks(tx: Queryable): Promise<string[]> {
  const rows = await tx.query<{ w: string }>(
    `SELECT w::text AS w FROM (
       SELECT generate_series(now(), now() + $1 * interval '7 days', interval '7 days') AS w
       UNION ALL
       (SELECT DISTINCT date_trunc('week', created_at, 'UTC') FROM messages_default ORDER BY 1 LIMIT $2)
     ) weeks ORDER BY w`,
    [WEEKS_AHEAD, MAX_ADOPTS_PER_RUN],
  );
  return rows.map((r) => r.w);
}

export interface UpkeepTimer {
  stop(): void;
}

/** Upkeep runs at startup and then hourly: a week's partitions need nothing more often. */
const UPKEEP_INTERVAL_MS = 3_600_000;

/** What upkeep reports through (the node's pino logger). */
export interface UpkeepLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Runs upkeep now and then every hour, one run at a time. A failed run (database down,
 * lock timeout) is logged and retried at the next tick; it never throws.
 */
export function startPartitionUpkeep(db: Db, retentionDays: number | undefined, log: UpkeepLog, intervalMs = UPKEEP_INTERVAL_MS): UpkeepTimer {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const r = await maintainPartitions(db, retentionDays);
      if (r.created.length > 0 || r.dropped.length > 0) log.info(r, "message partitions kept");
    } catch (err) {
      log.warn({ err }, "partition upkeep failed; retrying at the next run");
    } finally {
      running = false;
    }
  };
  void run();
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
