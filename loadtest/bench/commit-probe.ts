/**
 * How long the bench's PostgreSQL takes to commit, sampled all through the run. Every
 * chat-cluster ack waits for a commit and every commit for the WAL's fsync, while the
 * references store nothing; so a disk whose fsync stalls now and then (seen on a cloud
 * machine: a few fsyncs of 200+ ms among tens of thousands of 0.1 ms ones) shows in
 * chat-cluster's tail and in none of theirs. The probe commits one-row inserts on a
 * connection of its own, one at a time, ten a second, so that a scenario's tail can be
 * read against what the disk (and, when the cores are full, the scheduler) did meanwhile.
 */
import { createHistogram, type RecordableHistogram } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { summarize } from "../stats.js";

export interface CommitStats {
  /** Commits made since the last `take()`. */
  commits: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Commits that took more than 50 ms. */
  over50Ms: number;
}

export class CommitProbe {
  private hist: RecordableHistogram = createHistogram();
  private over50Ms = 0;
  /** Aborts the wait between commits, so stop() never waits out an interval. */
  private readonly stopping = new AbortController();
  private done?: Promise<void>;
  private readonly loop: Promise<void>;

  private constructor(
    private readonly client: pg.Client,
    private readonly table: string,
    intervalMs: number,
  ) {
    this.loop = this.run(intervalMs);
  }

  /** Starts probing `url` every `intervalMs` (into a table of its own, dropped by destroy()). */
  static async start(url: string, intervalMs = 100): Promise<CommitProbe> {
    const client = new pg.Client({ connectionString: url });
    // A lost connection ends the probe (its figures stop growing), never the bench.
    client.on("error", () => {});
    await client.connect();
    const table = `commit_probe_${process.pid}`;
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())`);
    return new CommitProbe(client, table, intervalMs);
  }

  private async run(intervalMs: number): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      const t = process.hrtime.bigint();
      try {
        await this.client.query(`INSERT INTO ${this.table} DEFAULT VALUES`);
      } catch {
        return;
      }
      // In µs, as every latency histogram of the load tester (stats.ts).
      const us = Number(process.hrtime.bigint() - t) / 1000;
      this.hist.record(Math.max(1, Math.round(us)));
      if (us > 50_000) this.over50Ms++;
      const waitMs = intervalMs - us / 1000;
      if (waitMs > 0) await sleep(waitMs, undefined, { signal }).catch(() => {});
    }
  }

  /** The figures since the last take() (or the start), then counting starts afresh. */
  take(): CommitStats {
    const { count, p50Ms, p99Ms, maxMs } = summarize(this.hist);
    const stats = { commits: count, p50Ms, p99Ms, maxMs, over50Ms: this.over50Ms };
    this.hist = createHistogram();
    this.over50Ms = 0;
    return stats;
  }

  /**
   * Stops probing once the commit in flight (if any) is recorded: after it, take() holds
   * every commit not taken yet and nothing more comes. Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopping.abort();
    return this.loop;
  }

  /** Stops probing and drops the table; safe to call twice. */
  destroy(): Promise<void> {
    this.done ??= (async () => {
      await this.stop();
      await this.client.query(`DROP TABLE IF EXISTS ${this.table}`).catch(() => {});
      await this.client.end().catch(() => {});
    })();
    return this.done;
  }
}

/** One line for the report: "p50 0.21 ms, p99 0.6 ms, max 235 ms, 2 of 300 over 50 ms". */
export function describeCommits(p: CommitStats): string {
  if (p.commits === 0) return "no commits";
  return `p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, max ${p.maxMs} ms, ${p.over50Ms} of ${p.commits.toLocaleString("en-US")} over 50 ms`;
}
