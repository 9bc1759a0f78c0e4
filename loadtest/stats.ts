/**
 * Measurement primitives: HDR histograms (node's perf_hooks.createHistogram, recorded in
 * microseconds) and per-receiver sequence accounting.
 */
import { createHistogram, type RecordableHistogram } from "node:perf_hooks";

export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/**
 * A latency histogram in microseconds, with a per-interval twin for progress lines.
 * `keepRaw` also keeps every value, so that a load-generator worker can hand its samples
 * to the coordinating process, which merges them into one histogram (HDR histograms do
 * not cross processes).
 */
export class Latency {
  readonly total: RecordableHistogram = createHistogram();
  readonly interval: RecordableHistogram = createHistogram();
  readonly raw: number[] | undefined;
  constructor(keepRaw = false) {
    this.raw = keepRaw ? [] : undefined;
  }
  /** Records a duration given in nanoseconds (hrtime.bigint differences). */
  recordNs(ns: bigint) {
    this.recordUs(Number(ns / 1000n));
  }
  recordUs(us: number) {
    if (us < 1) us = 1;
    this.total.record(us);
    this.interval.record(us);
    this.raw?.push(us);
  }
  summary(): LatencySummary {
    return summarize(this.total);
  }
}

const ms = (us: number) => Math.round(us) / 1000;

export function summarize(h: RecordableHistogram): LatencySummary {
  if (h.count === 0) return { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  return {
    count: h.count,
    minMs: ms(h.min),
    meanMs: ms(h.mean),
    p50Ms: ms(h.percentile(50)),
    p90Ms: ms(h.percentile(90)),
    p99Ms: ms(h.percentile(99)),
    p999Ms: ms(h.percentile(99.9)),
    maxMs: ms(h.max),
  };
}

/**
 * What one receiver got in one room. It should get every seq from its join's
 * lastSeq + 1 to the room's final seq, each exactly once, in order.
 * Memory stays small: a contiguous watermark plus the few seqs received above a gap.
 */
export class SeqTracker {
  /** Every seq up to here has been received (or was before the join). */
  watermark: number;
  readonly joinSeq: number;
  private above = new Set<number>();
  maxSeen: number;
  unique = 0;
  duplicates = 0;
  outOfOrder = 0;
  /** Live deliveries of entries at or before the join's lastSeq (not an error). */
  preJoin = 0;
  /** Entries that arrived through a join with `since` after a reconnect. */
  recovered = 0;

  constructor(joinLastSeq: number) {
    this.joinSeq = joinLastSeq;
    this.watermark = joinLastSeq;
    this.maxSeen = joinLastSeq;
  }

  /** Returns true when this seq is new for this receiver. */
  add(seq: number, viaHistory = false): boolean {
    if (seq <= this.joinSeq) {
      this.preJoin++;
      return false;
    }
    if (seq <= this.watermark || this.above.has(seq)) {
      if (!viaHistory) this.duplicates++;
      return false;
    }
    if (!viaHistory && seq < this.maxSeen) this.outOfOrder++;
    if (seq > this.maxSeen) this.maxSeen = seq;
    this.unique++;
    if (viaHistory) this.recovered++;
    if (seq === this.watermark + 1) {
      this.watermark = seq;
      while (this.above.delete(this.watermark + 1)) this.watermark++;
    } else {
      this.above.add(seq);
    }
    return true;
  }

  /** Entries this receiver should have got, given the room's final seq. */
  expected(finalSeq: number): number {
    return Math.max(0, finalSeq - this.joinSeq);
  }

  /** Missing entries up to finalSeq. */
  lost(finalSeq: number): number {
    let got = Math.min(this.watermark, finalSeq) - this.joinSeq;
    for (const s of this.above) if (s <= finalSeq) got++;
    return Math.max(0, this.expected(finalSeq) - got);
  }
}
