/**
 * Reads that may be served by a streaming replica (DATABASE_REPLICA_URL).
 *
 * A read goes to the replica only when it has replayed the primary's WAL up to where the
 * primary stood when the read began. Whatever a client saw before asking (a `seq` pushed
 * to it, its own acked send) was committed by then, so the page holds it: read-your-writes
 * without tracking positions per room or per client. Otherwise, or when the replica fails,
 * the read goes to the primary. When the primary cannot be reached, to the replica: writes
 * are refused then anyway, and a page from the replica beats an error.
 */
import type { Db, Queryable, Sql } from "./db.js";
import { isUnavailableError } from "./errors.js";

export type ReadTarget = "primary" | "replica";

export interface ReplicaReadsOptions {
  /** Called once per read with where it went (a metric). */
  onRead?(target: ReadTarget): void;
  /**
   * The replica failed a query and the read went to the primary (a log line): at most
   * once per 10 s, since a replica that is down would otherwise report every read.
   */
  onReplicaError?(err: unknown): void;
}

export interface ReplicaReads extends Queryable {
  close(): Promise<void>;
}

/** A WAL position ("16/B374D848") as one comparable number. */
export function parseLsn(text: string): bigint {
  const [hi, lo] = text.split("/");
  if (hi === undefined || lo === undefined) throw new Error(`not a WAL position: ${text}`);
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

// On a replica the replay position; on a server not in recovery (a promoted replica) the
// write position, since everything it has is readable.
const REPLICA_POSITION = `SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
  ELSE pg_current_wal_lsn() END)::text AS lsn`;

export function createReplicaReads(primary: Queryable, replica: Db, opts: ReplicaReadsOptions = {}): ReplicaReads {
  /** The replica's position at its last check: reads needing no more skip the check. */
  let replayed = -1n;
  let reportedAt = 0;

  async function primaryPosition(): Promise<bigint | undefined> {
    try {
      const [row] = await primary.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
      return parseLsn(row!.lsn);
    } catch (err) {
      if (isUnavailableError(err)) return undefined;
      throw err;
    }
  }

  async function replicaHas(needed: bigint): Promise<boolean> {
    if (replayed >= needed) return true;
    const [row] = await replica.query<{ lsn: string | null }>(REPLICA_POSITION);
    if (row?.lsn) replayed = parseLsn(row.lsn);
    return replayed >= needed;
  }

  async function onReplica<T>(sql: Sql, params?: unknown[]): Promise<T[]> {
    const rows = await replica.query<T>(sql, params);
    opts.onRead?.("replica");
    return rows;
  }

  async function onPrimary<T>(sql: Sql, params?: unknown[]): Promise<T[]> {
    const rows = await primary.query<T>(sql, params);
    opts.onRead?.("primary");
    return rows;
  }

  return {
    async query<T>(sql: Sql, params?: unknown[]): Promise<T[]> {
      const needed = await primaryPosition();
      if (needed === undefined) return onReplica<T>(sql, params);
      try {
        if (await replicaHas(needed)) return await onReplica<T>(sql, params);
      } catch (err) {
        if (Date.now() - reportedAt >= 10_000) {
          reportedAt = Date.now();
          opts.onReplicaError?.(err);
        }
      }
      return onPrimary<T>(sql, params);
    },
    close: () => replica.close(),
  };
}
