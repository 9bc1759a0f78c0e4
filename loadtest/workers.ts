/**
 * `--workers N`: one run spread over N load-generator processes, for when one process
 * cannot absorb the deliveries (the lean client costs the tester 9–27 µs of CPU per
 * delivered event, socket.io-client 1.3–1.4 times that: 35,000–110,000/s per core).
 *
 * Worker i runs every N-th client (loadtest/worker.ts); the names, rooms, senders and rate
 * shares are those of the single-process run. The coordinator holds the phase barriers
 * (every worker has connected and settled before any sends; the caller's hooks run once,
 * at those barriers), hands out the run-wide final seq of every room before the
 * accounting (a receiver in one worker must be counted against messages sent from
 * another), and merges the reports: counts add up, latency samples go into one HDR
 * histogram. Send times travel in message bodies as CLOCK_MONOTONIC µs, which every
 * process on the machine shares, so cross-process latencies are exact.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkThresholds, progressLog, round3, type LoadOptions } from "./options.js";
import type { LoadReport, TimelinePoint } from "./report.js";
import { Latency, type LatencySummary } from "./stats.js";

/** Coordinator → worker. */
export type ToWorker =
  | { type: "start"; options: Omit<LoadOptions, "hooks" | "signal" | "progress">; shard: { index: number; count: number } }
  | { type: "release"; barrier: string }
  | { type: "finals"; finals: number[] }
  | { type: "abort" };

/** Worker → coordinator. */
export type FromWorker =
  | { type: "barrier"; barrier: string }
  | { type: "finals"; finals: number[] }
  | { type: "tick"; point: TimelinePoint }
  | { type: "done"; report: LoadReport }
  | { type: "failed"; error: string };

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), "worker.ts");

export async function runLoadWorkers(o: LoadOptions): Promise<LoadReport> {
  const n = o.workers;
  const log = progressLog(o.progress);
  const { hooks, signal, progress: _p, ...plain } = o;
  const children: ChildProcess[] = [];
  const waiting = new Map<string, number>();
  const finals: number[][] = [];
  const ticks: TimelinePoint[][] = Array.from({ length: n }, () => []);
  const timeline: TimelinePoint[] = [];
  const reports: LoadReport[] = [];
  const t0 = Date.now();

  const broadcast = (m: ToWorker) => {
    for (const c of children) if (c.connected) c.send(m);
  };
  const onAbort = () => broadcast({ type: "abort" });
  signal?.addEventListener("abort", onAbort);

  async function barrier(name: string): Promise<void> {
    const count = (waiting.get(name) ?? 0) + 1;
    waiting.set(name, count);
    if (count < n) return;
    if (name === "connected") await hooks?.connected?.();
    if (name === "sendingDone") await hooks?.sendingDone?.();
    broadcast({ type: "release", barrier: name });
  }

  /** A progress line once every worker has reported the same second. */
  function onTick(index: number, point: TimelinePoint): void {
    ticks[index]!.push(point);
    const k = timeline.length;
    if (!ticks.every((t) => t.length > k)) return;
    const points = ticks.map((t) => t[k]!);
    const merged: TimelinePoint = {
      t: Math.round((Date.now() - t0) / 1000),
      phase: points[0]!.phase,
      connected: sum(points, "connected"),
      sent: sum(points, "sent"),
      acked: sum(points, "acked"),
      delivered: sum(points, "delivered"),
      // Per-second percentiles do not add up; the worst worker's is shown.
      ackP99Ms: Math.max(...points.map((p) => p.ackP99Ms)),
      deliveryP50Ms: Math.max(...points.map((p) => p.deliveryP50Ms)),
      deliveryP99Ms: Math.max(...points.map((p) => p.deliveryP99Ms)),
    };
    timeline.push(merged);
    log?.(
      `t=${String(merged.t).padStart(4)}s ${merged.phase.padEnd(10)} conn ${merged.connected}/${o.clients}` +
        ` sent ${merged.sent}/s acked ${merged.acked}/s deliv ${merged.delivered}/s` +
        ` | worst worker: ack p99 ${merged.ackP99Ms}ms deliv p99 ${merged.deliveryP99Ms}ms | ${n} workers`,
    );
  }

  try {
    await Promise.all(
      Array.from({ length: n }, (_, index) => {
        const child = fork(WORKER, [], {
          execArgv: ["--import", "tsx"],
          serialization: "advanced",
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        });
        children.push(child);
        return new Promise<void>((resolve, reject) => {
          child.on("message", (m: FromWorker) => {
            if (m.type === "barrier") void barrier(m.barrier).catch(reject);
            else if (m.type === "tick") onTick(index, m.point);
            else if (m.type === "finals") {
              finals.push(m.finals);
              if (finals.length === n) {
                const merged = finals[0]!.map((_, r) => Math.max(...finals.map((f) => f[r]!)));
                broadcast({ type: "finals", finals: merged });
              }
            } else if (m.type === "done") {
              reports[index] = m.report;
              resolve();
            } else if (m.type === "failed") reject(new Error(`load worker ${index}: ${m.error}`));
          });
          // Messages can still be in the channel when "exit" fires; "disconnect" comes after them.
          child.on("disconnect", () => {
            if (!reports[index]) reject(new Error(`load worker ${index} ended without a report (exit code ${child.exitCode})`));
          });
          child.send({ type: "start", options: plain, shard: { index, count: n } } satisfies ToWorker);
        });
      }),
    );
  } finally {
    signal?.removeEventListener("abort", onAbort);
    for (const c of children) if (c.exitCode === null) c.kill();
  }
  return mergeReports(o, reports, timeline);
}

function sum<T>(items: T[], key: { [K in keyof T]: T[K] extends number ? K : never }[keyof T]): number {
  return items.reduce((s, x) => s + (x[key] as number), 0);
}

function merged(samples: number[][]): LatencySummary {
  const l = new Latency();
  for (const list of samples) for (const us of list) l.recordUs(us);
  return l.summary();
}

/** One report for the run: counts added, latencies re-histogrammed, thresholds re-checked. */
export function mergeReports(o: LoadOptions, reports: LoadReport[], timeline: TimelinePoint[]): LoadReport {
  const first = reports[0]!;
  const add = (f: (r: LoadReport) => number) => reports.reduce((s, r) => s + f(r), 0);
  const max = (f: (r: LoadReport) => number) => Math.max(...reports.map(f));
  const raw = (k: "connect" | "join" | "ack" | "delivery") => reports.map((r) => r.raw?.[k] ?? []);
  const sending = max((r) => r.seconds.sending);
  const failuresByCode: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.send.failuresByCode)) failuresByCode[k] = (failuresByCode[k] ?? 0) + v;
  const expected = add((r) => r.delivery.expected);
  const lost = add((r) => r.delivery.lost);
  const duplicates = add((r) => r.delivery.duplicates);
  const errors = add((r) => r.errors);
  const { lossRatio, dupRatio, failures } = checkThresholds(o, { expected, lost, duplicates, errors });
  const { progress: _p, hooks: _h, signal: _s, shard: _sh, keepRaw: _k, ...options } = o;
  return {
    version: 1,
    startedAt: first.startedAt,
    options,
    seconds: {
      connect: max((r) => r.seconds.connect),
      settle: max((r) => r.seconds.settle),
      sending,
      drain: max((r) => r.seconds.drain),
      total: max((r) => r.seconds.total),
    },
    connect: {
      attempted: add((r) => r.connect.attempted),
      connected: add((r) => r.connect.connected),
      failed: add((r) => r.connect.failed),
      connectErrors: add((r) => r.connect.connectErrors),
      disconnects: add((r) => r.connect.disconnects),
      reconnects: add((r) => r.connect.reconnects),
      connectedAtEnd: add((r) => r.connect.connectedAtEnd),
      latency: merged(raw("connect")),
      joinLatency: merged(raw("join")),
      joinFailed: add((r) => r.connect.joinFailed),
      presenceEvents: add((r) => r.connect.presenceEvents),
    },
    send: {
      attempted: add((r) => r.send.attempted),
      acked: add((r) => r.send.acked),
      failed: add((r) => r.send.failed),
      failuresByCode,
      ackedPerSecond: sending > 0 ? round3(add((r) => r.send.acked) / sending) : 0,
      ackLatency: merged(raw("ack")),
    },
    delivery: {
      expected,
      received: add((r) => r.delivery.received),
      recovered: add((r) => r.delivery.recovered),
      lost,
      duplicates,
      outOfOrder: add((r) => r.delivery.outOfOrder),
      preJoin: add((r) => r.delivery.preJoin),
      lossRatio,
      dupRatio,
      perSecond: sending > 0 ? round3(add((r) => r.delivery.received) / sending) : 0,
      latency: merged(raw("delivery")),
    },
    errors,
    loadgen: {
      cpuSeconds: round3(add((r) => r.loadgen.cpuSeconds)),
      // Each worker's own event loop: the worst one says when the tester fell behind.
      eventLoopDelayP99Ms: max((r) => r.loadgen.eventLoopDelayP99Ms),
      eventLoopDelayMaxMs: max((r) => r.loadgen.eventLoopDelayMaxMs),
    },
    timeline,
    thresholds: first.thresholds,
    failures,
    passed: failures.length === 0,
  };
}
