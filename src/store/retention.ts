/**
 * Upkeep of the weekly partitions of `messages` (migration 007): the coming weeks' partitions
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
const COLUMNS = "room, seq, user_name, body, client_id, created_at, edited_at, deleted, update_seq, reactions, id";

export interface UpkeepResult {
  /** Another node held the lock: this run did nothing. */
  skipped: boolean;
  created: string[];
  dropped: string[];
}

interface Week {
  name: string;
  from: string;
  to: string;
}

export function maintainPartitions(db: Db, retentionDays: number | undefined): Promise<UpkeepResult> {
  return db.transaction(async (tx) => {
    const result: UpkeepResult = { skipped: false, created: [], dropped: [] };
    const [lock] = await tx.query<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS ok", [UPKEEP_LOCK]);
    if (!lock?.ok) return { ...result, skipped: true };
    // Weeks start on Monday 00:00 UTC, as in the migration. Waiting long for the table's
    // lock would stall every send queued behind this run: give up and retry next run.
    await tx.query("SET LOCAL TimeZone = 'UTC'");
    await tx.query("SET LOCAL lock_timeout = '2s'");
    // Drops first: they lock room rows (in name order, as writers do) before taking the
    // table's lock, never the other way round, which could deadlock with a writer.
    if (retentionDays !== undefined) {
      for (const expired of await expiredPartitions(tx, retentionDays)) {
        await dropPartition(tx, expired);
        result.dropped.push(expired.name);
      }
    }
    for (const week of await missingWeeks(tx)) {
      await createPartition(tx, week);
      result.created.push(week.name);
    }
    return result;
  });
}

interface Expired {
  name: string;
  /** Where the partition's week ends. */
  upper: string;
}

/** Weekly partitions whose whole week is older than the retention, oldest first. */
async function expiredPartitions(tx: Queryable, retentionDays: number): Promise<Expired[]> {
  return tx.query<Expired>(
    `SELECT name, upper::text AS upper FROM (
       SELECT c.relname AS name, (to_date(substr(c.relname, 10), 'YYYYMMDD') + 7)::timestamptz AS upper
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'messages'::regclass AND c.relname ~ '^messages_[0-9]{8}$') p
      WHERE upper <= now() - $1 * interval '1 day'
      ORDER BY name LIMIT $2`,
    [retentionDays, MAX_DROPS_PER_RUN],
  );
}

/**
 * Raises each room's first_seq past the partition's positions, then drops it. created_at
 * follows seq only to within a commit's duration, so a position just below the new
 * first_seq may lie in the next day's rows: deleted with it, so that nothing is stored below
 * first_seq (reads hide it regardless). Rooms are locked in name order, as writers lock them.
 */
async function dropPartition(tx: Queryable, { name, upper }: Expired): Promise<void> {
  const part = quoteIdent(name);
  await tx.query(`CREATE TEMP TABLE expired_tops ON COMMIT DROP AS SELECT room, max(seq) AS top FROM ${part} GROUP BY room`);
  await tx.query(
    `WITH locked AS MATERIALIZED (
       SELECT r.name, t.top FROM rooms r JOIN expired_tops t ON t.room = r.name ORDER BY r.name FOR UPDATE OF r
     )
     UPDATE rooms SET first_seq = greatest(rooms.first_seq, locked.top + 1)
       FROM locked WHERE rooms.name = locked.name`,
  );
  await tx.query(
    `DELETE FROM messages m USING expired_tops t
      WHERE m.room = t.room AND m.seq <= t.top AND m.created_at >= $1 AND m.created_at < $1::timestamptz + interval '1 day'`,
    [upper],
  );
  await tx.query("DELETE FROM mentions m USING expired_tops t WHERE m.room = t.room AND m.seq <= t.top");
  await tx.query("DROP TABLE expired_tops");
  await tx.query(`DROP TABLE ${part}`);
}

/**
 * Weeks that need a partition: the current one and WEEKS_AHEAD more, and a few weeks of
 * rows that landed in the default partition (none unless upkeep did not run for weeks).
 */
async function missingWeeks(tx: Queryable): Promise<Week[]> {
  return tx.query<Week>(
    `WITH weeks AS (
       SELECT generate_series(date_trunc('week', now()), date_trunc('week', now()) + $1 * interval '1 week', interval '1 week') AS w
       UNION
       (SELECT DISTINCT date_trunc('week', created_at) FROM messages_default ORDER BY 1 LIMIT $2)
     )
     SELECT 'messages_' || to_char(w, 'YYYYMMDD') AS name, w::text AS "from", (w + interval '1 week')::text AS "to"
       FROM weeks
      WHERE to_regclass('messages_' || to_char(w, 'YYYYMMDD')) IS NULL
      ORDER BY w`,
    [WEEKS_AHEAD, MAX_ADOPTS_PER_RUN],
  );
}

/**
 * Creates a week's partition. Rows of that week in the default partition would make the
 * creation fail: the default is detached, they move into the new partition, and it comes back.
 */
async function createPartition(tx: Queryable, week: Week): Promise<void> {
  const create = `CREATE TABLE ${quoteIdent(week.name)} PARTITION OF messages FOR VALUES FROM ('${week.from}') TO ('${week.to}')`;
  const stray = await tx.query(
    "SELECT 1 FROM messages_default WHERE created_at >= $1 AND created_at < $2 LIMIT 1",
    [week.from, week.to],
  );
  if (stray.length === 0) {
    await tx.query(create);
    return;
  }
  await tx.query("ALTER TABLE messages DETACH PARTITION messages_default");
  await tx.query(create);
  await tx.query(
    `WITH moved AS (DELETE FROM messages_default WHERE created_at >= $1 AND created_at < $2 RETURNING ${COLUMNS})
     INSERT INTO messages (${COLUMNS}) OVERRIDING SYSTEM VALUE SELECT ${COLUMNS} FROM moved`,
    [week.from, week.to],
  );
  await tx.query("ALTER TABLE messages ATTACH PARTITION messages_default DEFAULT");
}

/** Partition names are made here (messages_YYYYMMDD); quoted all the same. */
function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
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
