/**
 * npm run bench -- [--only S1,S3] [--quick] [--no-baseline] [--cpu-prof] [--adapter classic|sharded] [--workers N]
 *                   [--client lean|socket.io] [--s1-runs N] [--socketio] [--node PATH] [--out DIR]
 *
 * Starts a local 2-node chat cluster (scripts/cluster startCluster, nodes addressed
 * directly: the load tester spreads clients over them round-robin, so HAProxy's CPU is
 * not in the numbers) on PostgreSQL and Redis, runs the scenarios, samples each server
 * process's CPU time and RSS from /proc, then does the same with the ws relay baseline
 * (loadtest/baselines/ws-relay.ts) and prints a markdown table with chat-cluster as a
 * ratio to the baseline. docs/benchmarks.md records the results.
 *
 * `--client` picks the load tester's client for chat-cluster: `lean` (the default,
 * loadtest/lean-conn.ts) costs the tester about what the baseline's ws client does per
 * delivery; `socket.io` (socket.io-client) 1.3–1.4 times that, CPU taken from the servers
 * on a shared machine. The table's header names the one used.
 *
 * `--s1-runs N` (default 3, 1 with --quick) runs S1 N times per target, alternating the
 * targets, and reports each row as the median of a target's runs, with every pair's CPU
 * ratio under the table: on these VMs the speed of the machine drifts by 15 % between
 * runs, which one pair cannot tell from a difference between the targets.
 *
 * `--socketio` adds a third target to S1's alternation and to S4: a plain Socket.IO cluster
 * with the Redis adapter that stores nothing (loadtest/baselines/socketio-relay.ts), driven
 * by the same client as chat-cluster. The issue's targets take its ratio to the ws relay (about
 * 0.8×) as given; this measures it on the machine at hand, in the notes under the table.
 *
 * `--node PATH` runs the servers (chat nodes and references) on another Node.js binary, e.g.
 * the LTS the production image uses; the load tester stays on the Node that runs the bench.
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; the
 * bench creates a fresh database next to it and drops it afterwards), REDIS_URL (default
 * redis://127.0.0.1:6379; keys under a unique prefix, deleted afterwards).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { deleteKeysByPrefix } from "./redis-keys.js";
import { startCluster, type Cluster } from "../scripts/cluster.js";
import { machineCpu, sample, scrapeSums, type ProcSample } from "./procstat.js";
import { runLoad, type LoadOptions, type LoadReport } from "./run.js";
import type { ClientKind } from "./conn.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

type TargetName = "chat" | "baseline";
/** A server the bench can start: the two table columns, or the plain Socket.IO reference. */
type ServerName = TargetName | "socketio";

interface BenchContext {
  quick: boolean;
  databaseUrl: string;
  redisUrl: string;
  runTag: string;
  cpuProfDir?: string;
  /** REDIS_ADAPTER of the chat nodes; unset: the server's default. */
  adapter?: string;
  /** Load-generator processes per scenario run (loadtest/workers.ts). */
  workers: number;
  /** The load tester's client for the chat target. */
  client: ClientKind;
  /** S1 runs per target, interleaved. */
  s1Runs: number;
  /** S1 also measures the plain Socket.IO cluster (--socketio). */
  socketio: boolean;
  /** The servers' Node.js binary (--node); the bench's own by default. */
  nodeBin: string;
  log(line: string): void;
}

interface Nodes {
  urls: string[];
  procs: { pid: number; url: string }[];
  cluster: Cluster;
}

let clusterCount = 0;
const prefixes: string[] = [];

const SERVER_ENTRY: Record<ServerName, string> = {
  chat: "src/main.ts",
  baseline: "loadtest/baselines/ws-relay.ts",
  socketio: "loadtest/baselines/socketio-relay.ts",
};

async function withNodes<T>(ctx: BenchContext, target: ServerName, count: number, fn: (n: Nodes) => Promise<T>) {
  const prefix = `${ctx.runTag}c${clusterCount++}`;
  prefixes.push(prefix);
  // Both targets are profiled, into a folder each, so that their profiles compare.
  const nodeArgs = ctx.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${path.join(ctx.cpuProfDir, target)}`] : [];
  const command = [ctx.nodeBin, ...nodeArgs, "--import", "tsx", SERVER_ENTRY[target]];
  const cluster = await startCluster({
    nodes: count,
    port: 0,
    haproxy: false,
    cwd: ROOT,
    command,
    env: {
      DATABASE_URL: ctx.databaseUrl,
      REDIS_URL: ctx.redisUrl,
      REDIS_KEY_PREFIX: prefix,
      // The abuse limits are not what is measured: a closed-loop sender may exceed them.
      RATE_LIMIT_SENDS: "1000000",
      RATE_LIMIT_WINDOW_MS: "1000",
      EVENT_RATE_LIMIT: "0",
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
      ...(ctx.adapter ? { REDIS_ADAPTER: ctx.adapter } : {}),
    },
    log: (source, line) => {
      if (/error|fatal|warn/i.test(line)) ctx.log(`  [${target} ${source}] ${line.slice(0, 300)}`);
    },
  });
  try {
    const procs = cluster.nodes.map((n) => ({ pid: n.pid!, url: n.url }));
    return await fn({ urls: cluster.nodes.map((n) => n.url), procs, cluster });
  } finally {
    await cluster.stop();
  }
}

interface Measured {
  report: LoadReport;
  /** Server CPU-seconds (all nodes) during the sending window. */
  serverCpu: number;
  /**
   * CPU-seconds per second the machine spent outside the servers and this load generator
   * while sending: PostgreSQL, Redis, and whatever else ran (other people's tests).
   */
  otherCores: number;
  /** chat only: the store's group commit while sending (from the nodes' /metrics). */
  store?: { batches: number; meanBatchSize: number; meanWriteMs: number };
  /** Per node: RSS and heap before connecting and once everyone had joined. */
  before: ProcSample[];
  connected: ProcSample[];
}

async function measure(ctx: BenchContext, nodes: Nodes, opts: Partial<LoadOptions>, label: string): Promise<Measured> {
  const before = await sample(nodes.procs);
  let connected: ProcSample[] = before;
  let atEnd: ProcSample[] = before;
  let n = 0;
  let m0 = machineCpu();
  let m1 = m0;
  const STORE = [
    "chat_store_write_duration_seconds_sum",
    "chat_store_write_duration_seconds_count",
    "chat_store_batch_size_sum",
    "chat_store_batch_size_count",
  ];
  let st0: Record<string, number> = {};
  let st1: Record<string, number> = {};
  const report = await runLoad({
    ...opts,
    workers: ctx.workers,
    client: ctx.client,
    urls: nodes.urls,
    progress: (line) => {
      if (n++ % 5 === 0) ctx.log(`  ${label} ${line}`);
    },
    hooks: {
      connected: async () => {
        connected = await sample(nodes.procs);
        st0 = await scrapeSums(nodes.urls, STORE);
        m0 = machineCpu();
      },
      sendingDone: async () => {
        m1 = machineCpu();
        atEnd = await sample(nodes.procs);
        st1 = await scrapeSums(nodes.urls, STORE);
      },
    },
  });
  const serverCpu = atEnd.reduce((s, p, i) => s + (p.cpu - connected[i]!.cpu), 0);
  const secs = Math.max(report.seconds.sending, 0.001);
  const otherCores = Math.max(0, (m1.busy - m0.busy - serverCpu - report.loadgen.cpuSeconds) / secs);
  ctx.log(
    `  ${label} done: acked ${report.send.acked}/${report.send.attempted}, delivered ${report.delivery.received}/${report.delivery.expected}` +
      ` lost ${report.delivery.lost}, delivery p99 ${report.delivery.latency.p99Ms} ms, ack p99 ${report.send.ackLatency.p99Ms} ms,` +
      ` server CPU ${serverCpu.toFixed(2)} s, load generator CPU ${report.loadgen.cpuSeconds} s,` +
      ` everything else ${otherCores.toFixed(2)} cores`,
  );
  const d = (k: string) => (st1[k] ?? 0) - (st0[k] ?? 0);
  const batches = d("chat_store_batch_size_count");
  const store =
    batches > 0
      ? {
          batches,
          meanBatchSize: d("chat_store_batch_size_sum") / batches,
          meanWriteMs: (d("chat_store_write_duration_seconds_sum") / Math.max(1, d("chat_store_write_duration_seconds_count"))) * 1000,
        }
      : undefined;
  if (store) {
    ctx.log(`  ${label} store: ${batches} transactions, mean ${store.meanBatchSize.toFixed(1)} messages each, mean ${store.meanWriteMs.toFixed(1)} ms`);
  }
  return { report, serverCpu, otherCores, store, before, connected };
}

interface Row {
  scenario: string;
  metric: string;
  chat?: number;
  baseline?: number;
  target?: string;
  /** For the ratio column: whether bigger is better. */
  higherIsBetter?: boolean;
}

interface ScenarioResult {
  rows: Row[];
  raw: Record<string, unknown>;
  /** Lines printed under the table. */
  notes?: string[];
}

type Scenario = (ctx: BenchContext, targets: TargetName[]) => Promise<ScenarioResult>;

const q = <T>(ctx: BenchContext, full: T, quick: T) => (ctx.quick ? quick : full);

function steadyShape(ctx: BenchContext): Partial<LoadOptions> {
  return {
    clients: q(ctx, 1000, 200),
    rooms: q(ctx, 10, 4),
    senders: q(ctx, 100, 20),
    rate: q(ctx, 50, 20),
    duration: q(ctx, 30, 8),
    ramp: q(ctx, 10, 3),
    drain: 5,
    bodyBytes: 64,
  };
}

const deliveriesPerCpuSecond = (m: Measured) => (m.report.delivery.perSecond * m.report.seconds.sending) / Math.max(m.serverCpu, 0.01);

const S1: Scenario = async (ctx, targets) => {
  const rows: Row[] = [];
  const runs: Record<ServerName, Measured[]> = { chat: [], baseline: [], socketio: [] };
  const count = ctx.quick ? 1 : ctx.s1Runs;
  const servers: ServerName[] = ctx.socketio ? [...targets, "socketio"] : targets;
  // Alternating the targets: a drift of the machine's speed then shows in every column.
  for (let i = 0; i < count; i++) {
    for (const t of servers) {
      const label = count > 1 ? `S1 ${t} #${i + 1}` : `S1 ${t}`;
      // The plain Socket.IO cluster speaks chat-cluster's contract: the same client drives it.
      const target: TargetName = t === "socketio" ? "chat" : t;
      runs[t].push(await withNodes(ctx, t, 2, (n) => measure(ctx, n, { ...steadyShape(ctx), target }, label)));
    }
  }
  const pick = (f: (m: Measured) => number) => ({ chat: median(runs.chat.map(f)), baseline: median(runs.baseline.map(f)) });
  const notes: string[] = [];
  if (count > 1) {
    const ratios = runs.chat.map((m, i) => runs.baseline[i] && deliveriesPerCpuSecond(m) / deliveriesPerCpuSecond(runs.baseline[i]!));
    const shown = ratios.filter((r): r is number => r !== undefined).map((r) => `${r.toFixed(2)}×`);
    notes.push(
      `S1: ${count} runs per target, alternating; each S1 row is the median of a target's runs.` +
        (shown.length > 0 ? ` Deliveries per server CPU-s, chat-cluster / baseline, pair by pair: ${shown.join(", ")}.` : ""),
    );
  }
  const s = steadyShape(ctx);
  const name = `S1 steady (${s.clients} clients, ${s.rooms} rooms, ${s.rate} msg/s)`;
  rows.push({ scenario: name, metric: "delivery p50 (ms)", ...pick((m) => m.report.delivery.latency.p50Ms) });
  rows.push({ scenario: name, metric: "delivery p99 (ms)", ...pick((m) => m.report.delivery.latency.p99Ms), target: "≤ 15" });
  rows.push({ scenario: name, metric: "ack p99 (ms)", ...pick((m) => m.report.send.ackLatency.p99Ms), target: "≤ 15" });
  rows.push({ scenario: name, metric: "deliveries/s", ...pick((m) => m.report.delivery.perSecond), higherIsBetter: true });
  rows.push({ scenario: name, metric: "server CPU-s per s (2 nodes)", ...pick((m) => m.serverCpu / m.report.seconds.sending) });
  rows.push({
    scenario: name,
    metric: "deliveries per server CPU-s",
    ...pick(deliveriesPerCpuSecond),
    target: "≥ 0.8× baseline",
    higherIsBetter: true,
  });
  rows.push({ scenario: name, metric: "lost / duplicated deliveries", ...pick((m) => m.report.delivery.lost + m.report.delivery.duplicates) });
  rows.push({ scenario: name, metric: "errors (failed connects, joins, sends)", ...pick((m) => m.report.errors) });
  rows.push({ scenario: name, metric: "load generator event-loop delay p99 (ms)", ...pick((m) => m.report.loadgen.eventLoopDelayP99Ms) });
  rows.push(otherRow(name, pick));
  if (runs.socketio.length > 0) notes.push(socketIoNote(runs));
  return { rows, raw: runs, notes };
};

/** S1's plain Socket.IO runs against the ws relay's and chat-cluster's, pair by pair. */
function socketIoNote(runs: Record<ServerName, Measured[]>): string {
  const sio = runs.socketio.map(deliveriesPerCpuSecond);
  const per = (other: Measured[]) =>
    sio.flatMap((x, i) => (other[i] ? [`${(x / deliveriesPerCpuSecond(other[i]!)).toFixed(2)}×`] : [])).join(", ");
  const p99 = median(runs.socketio.map((m) => m.report.delivery.latency.p99Ms));
  const lost = runs.socketio.reduce((n, m) => n + m.report.delivery.lost + m.report.errors, 0);
  return (
    `S1, plain Socket.IO cluster (loadtest/baselines/socketio-relay.ts, stores nothing), median of ${sio.length} run(s):` +
    ` ${fmt(median(sio))} deliveries per server CPU-s, delivery p99 ${fmt(p99)} ms, ${lost} lost or failed.` +
    (runs.baseline.length > 0 ? ` Its ratio to the ws relay, pair by pair: ${per(runs.baseline)}.` : "") +
    (runs.chat.length > 0 ? ` chat-cluster / plain Socket.IO, pair by pair: ${runs.chat.map((m, i) => (sio[i] ? `${(deliveriesPerCpuSecond(m) / sio[i]!).toFixed(2)}×` : "–")).join(", ")}.` : "")
  );
}

/** The middle value (the mean of the two middle ones for an even count); undefined for none. */
function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const v = [...xs].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1]! + v[mid]!) / 2;
}

const S2: Scenario = async (ctx, targets) => {
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const rates = q(ctx, [50, 100, 200, 400, 800, 1600, 3200], [20, 40, 80, 160, 320]);
  const s = steadyShape(ctx);
  const name = `S2 saturation (S1 shape, rate doubled per step)`;
  const sustained: Partial<Record<TargetName, number>> = {};
  const deliveriesAt: Partial<Record<TargetName, number>> = {};
  for (const t of targets) {
    const steps: unknown[] = [];
    await withNodes(ctx, t, 2, async (n) => {
      for (const rate of rates) {
        const m = await measure(ctx, n, { ...s, target: t, rate, duration: q(ctx, 10, 4), ramp: q(ctx, 5, 2) }, `S2 ${t} ${rate}/s`);
        const r = m.report;
        const ok =
          r.delivery.latency.p99Ms <= 200 && r.delivery.lost === 0 && r.errors === 0 && r.send.acked >= r.send.attempted * 0.99;
        steps.push({
          rate,
          ok,
          deliveryP99Ms: r.delivery.latency.p99Ms,
          ackP99Ms: r.send.ackLatency.p99Ms,
          deliveriesPerSecond: r.delivery.perSecond,
          lost: r.delivery.lost,
          errors: r.errors,
          serverCpuPerSecond: m.serverCpu / r.seconds.sending,
          loadgenCpuPerSecond: r.loadgen.cpuSeconds / r.seconds.sending,
        });
        if (!ok) break;
        sustained[t] = rate;
        deliveriesAt[t] = r.delivery.perSecond;
      }
    });
    raw[t] = steps;
  }
  // 0: not even the first step held.
  for (const t of targets) sustained[t] ??= 0;
  rows.push({ scenario: name, metric: `highest rate with p99 ≤ 200 ms, no loss (msg/s; 0 = not even ${rates[0]})`, ...sustained, higherIsBetter: true });
  rows.push({ scenario: name, metric: "deliveries/s at that rate", ...deliveriesAt, higherIsBetter: true });
  return { rows, raw };
};

const S3: Scenario = async (ctx, targets) => {
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const clients = q(ctx, 10_000, 1000);
  const name = `S3 connections (${clients} idle, 2 nodes)`;
  const rssPer: Partial<Record<TargetName, number>> = {};
  const rssEarlyPer: Partial<Record<TargetName, number>> = {};
  const holdSeconds = q(ctx, 90, 12);
  const heapPer: Partial<Record<TargetName, number>> = {};
  const connectP99: Partial<Record<TargetName, number>> = {};
  const cpuPerConnect: Partial<Record<TargetName, number>> = {};
  const holdCpu: Partial<Record<TargetName, number>> = {};
  const errors: Partial<Record<TargetName, number>> = {};
  for (const t of targets) {
    await withNodes(ctx, t, 2, async (n) => {
      // The JS heap grows and shrinks with garbage: take the lowest of several samples
      // (the state after a GC) before connecting and during the hold. The connect storm
      // leaves garbage that V8 collects (and gives back to the OS) only once the node is
      // quiet, when its memory reducer runs: 20-30 s later in some runs, not within 60 s in
      // others (2026-11-25 14:43, 2026-12-01 08:18). RSS is read 2 s after the last connect
      // (what the storm left) and, for what idle connections cost, as the lowest of samples
      // every 2 s through the second half of a 90 s hold.
      const before = await sampleMin(n.procs, 6, 250);
      let early: ProcSample[] = [];
      let mid: ProcSample[] = [];
      let held: ProcSample[] = [];
      let midAt = 0;
      let heldAt = 0;
      let holding: Promise<ProcSample[]> | undefined;
      const report = await runLoad({
        workers: ctx.workers,
        client: ctx.client,
        target: t,
        urls: n.urls,
        clients,
        rooms: q(ctx, 100, 10),
        senders: 0,
        rate: 0,
        duration: holdSeconds,
        ramp: q(ctx, 40, 5),
        settle: 60,
        connectConcurrency: 200,
        progress: (line) => ctx.log(`  S3 ${t} ${line}`),
        hooks: {
          connected: () => {
            holding = (async () => {
              await sleep(2000);
              early = await sample(n.procs);
              await sleep((holdSeconds / 2 - 2) * 1000);
              mid = await sample(n.procs);
              midAt = performance.now();
              const min = await sampleMin(n.procs, Math.floor((holdSeconds / 2 - 3) / 2) + 1, 2000, { rss: "lowest" });
              heldAt = performance.now(); // the CPU figures are the last sample's
              return min;
            })();
          },
          sendingDone: async () => {
            held = await holding!;
          },
        },
      });
      const perNode = clients / n.procs.length;
      const rssDelta = held.reduce((s, p, i) => s + (p.rss - before[i]!.rss), 0) / n.procs.length;
      const earlyDelta = early.reduce((s, p, i) => s + (p.rss - before[i]!.rss), 0) / n.procs.length;
      rssEarlyPer[t] = earlyDelta / perNode / 1024;
      const heapDelta =
        held.every((p) => p.heap !== undefined) && before.every((p) => p.heap !== undefined)
          ? held.reduce((s, p, i) => s + (p.heap! - before[i]!.heap!), 0) / n.procs.length
          : undefined;
      rssPer[t] = rssDelta / perNode / 1024;
      if (heapDelta !== undefined) heapPer[t] = heapDelta / perNode / 1024;
      connectP99[t] = report.connect.latency.p99Ms;
      // Connect + join + holding (pings): CPU-ms per connection on its node.
      cpuPerConnect[t] = (held.reduce((s, p, i) => s + (p.cpu - before[i]!.cpu), 0) / clients) * 1000;
      // Holding only (heartbeats, timers, GC), over the hold's second half, as for RSS: the
      // first half still collects the connect storm's garbage.
      const holdCpuSeconds = held.reduce((s, p, i) => s + (p.cpu - mid[i]!.cpu), 0);
      holdCpu[t] = (holdCpuSeconds * 1000) / ((heldAt - midAt) / 1000) / (clients / 1000);
      errors[t] = report.errors;
      raw[t] = { report, before, early, held };
      ctx.log(
        `  S3 ${t}: ${report.connect.connected}/${clients} connected, RSS +${(rssDelta / 1048576).toFixed(1)} MB per node, ` +
          `${rssPer[t]!.toFixed(2)} KB RSS per connection`,
      );
    });
  }
  rows.push({ scenario: name, metric: `RSS per connection after a ${holdSeconds} s hold (KB)`, ...rssPer, target: "≤ 12" });
  rows.push({ scenario: name, metric: "RSS per connection 2 s after the last connect (KB)", ...rssEarlyPer });
  rows.push({ scenario: name, metric: "JS heap per connection (KB)", ...heapPer });
  rows.push({ scenario: name, metric: "connect p99 (ms, during ramp)", ...connectP99 });
  rows.push({ scenario: name, metric: "server CPU-ms per connection (connect, join, hold)", ...cpuPerConnect });
  rows.push({ scenario: name, metric: "server CPU while holding, per 1,000 connections (ms/s, 2nd half of the hold)", ...holdCpu });
  rows.push({ scenario: name, metric: "errors (failed connects, joins)", ...errors });
  return { rows, raw };
};

const S4: Scenario = async (ctx, targets) => {
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const n = q(ctx, 1000, 200);
  const name = `S4 write path (${n} rooms, ${n} senders, closed loop)`;
  const per: Partial<Record<ServerName, Measured>> = {};
  for (const t of ctx.socketio ? [...targets, "socketio" as const] : targets) {
    per[t] = await withNodes(ctx, t, 2, (nodes) =>
      measure(
        ctx,
        nodes,
        {
          target: t === "socketio" ? "chat" : t,
          clients: n,
          rooms: n,
          senders: n,
          window: 1,
          rate: 0,
          duration: q(ctx, 20, 6),
          ramp: q(ctx, 5, 2),
        },
        `S4 ${t}`,
      ),
    );
    raw[t] = per[t];
  }
  const pick = (f: (m: Measured) => number) => ({ chat: per.chat && f(per.chat), baseline: per.baseline && f(per.baseline) });
  rows.push({ scenario: name, metric: "messages acked (stored) per s", ...pick((m) => m.report.send.ackedPerSecond), target: "≥ 20,000", higherIsBetter: true });
  rows.push({ scenario: name, metric: "ack p50 (ms)", ...pick((m) => m.report.send.ackLatency.p50Ms) });
  rows.push({ scenario: name, metric: "ack p99 (ms)", ...pick((m) => m.report.send.ackLatency.p99Ms), target: "≤ 50" });
  rows.push({ scenario: name, metric: "server CPU-s per s (2 nodes)", ...pick((m) => m.serverCpu / m.report.seconds.sending) });
  rows.push({ scenario: name, metric: "store: messages per transaction (mean)", chat: per.chat?.store?.meanBatchSize });
  rows.push({ scenario: name, metric: "store: transaction time (mean ms)", chat: per.chat?.store?.meanWriteMs });
  rows.push({ scenario: name, metric: "errors (failed connects, joins, sends)", ...pick((m) => m.report.errors) });
  rows.push({ scenario: name, metric: "load generator event-loop delay p99 (ms)", ...pick((m) => m.report.loadgen.eventLoopDelayP99Ms) });
  rows.push(otherRow(name, pick));
  const sio = per.socketio;
  const notes = sio
    ? [
        `S4, plain Socket.IO cluster (stores nothing): ${fmt(sio.report.send.ackedPerSecond)} messages acked per s,` +
          ` ack p99 ${fmt(sio.report.send.ackLatency.p99Ms)} ms, server CPU ${fmt(sio.serverCpu / sio.report.seconds.sending)} cores,` +
          ` ${sio.report.errors} errors` +
          (per.chat ? `; chat-cluster stored ${(per.chat.report.send.ackedPerSecond / sio.report.send.ackedPerSecond).toFixed(2)}× its rate.` : "."),
      ]
    : [];
  return { rows, raw, notes };
};

const S5: Scenario = async (ctx, targets) => {
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const clients = q(ctx, 2000, 400);
  const rate = q(ctx, 20, 10);
  const name = `S5 big room (${clients} members, ${rate} msg/s)`;
  const per: Partial<Record<TargetName, Measured>> = {};
  for (const t of targets) {
    per[t] = await withNodes(ctx, t, 2, (nodes) =>
      measure(
        ctx,
        nodes,
        { target: t, clients, rooms: 1, senders: q(ctx, 20, 10), rate, duration: q(ctx, 20, 6), ramp: q(ctx, 30, 3), settle: 120 },
        `S5 ${t}`,
      ),
    );
    raw[t] = per[t];
  }
  const pick = (f: (m: Measured) => number) => ({ chat: per.chat && f(per.chat), baseline: per.baseline && f(per.baseline) });
  rows.push({ scenario: name, metric: "delivery p50 (ms)", ...pick((m) => m.report.delivery.latency.p50Ms) });
  rows.push({ scenario: name, metric: "delivery p99 (ms)", ...pick((m) => m.report.delivery.latency.p99Ms), target: "≤ 50" });
  rows.push({ scenario: name, metric: "deliveries/s", ...pick((m) => m.report.delivery.perSecond), higherIsBetter: true });
  rows.push({ scenario: name, metric: "server CPU-s per s (2 nodes)", ...pick((m) => m.serverCpu / m.report.seconds.sending) });
  rows.push({ scenario: name, metric: "load generator CPU-s per s", ...pick((m) => m.report.loadgen.cpuSeconds / m.report.seconds.sending) });
  rows.push({ scenario: name, metric: "presence events while the room filled", ...pick((m) => m.report.connect.presenceEvents) });
  rows.push({ scenario: name, metric: "seconds until the join fan-out settled", ...pick((m) => m.report.seconds.connect + m.report.seconds.settle) });
  rows.push({ scenario: name, metric: "lost / duplicated deliveries", ...pick((m) => m.report.delivery.lost + m.report.delivery.duplicates) });
  rows.push({ scenario: name, metric: "errors (failed connects, joins, sends)", ...pick((m) => m.report.errors) });
  rows.push({ scenario: name, metric: "load generator event-loop delay p99 (ms)", ...pick((m) => m.report.loadgen.eventLoopDelayP99Ms) });
  rows.push(otherRow(name, pick));
  return { rows, raw };
};

function otherRow(name: string, pick: (f: (m: Measured) => number) => { chat?: number; baseline?: number }): Row {
  return { scenario: name, metric: "other CPU on the machine (cores: PG, Redis, other jobs)", ...pick((m) => m.otherCores) };
}

/**
 * Per process, over `count` samples `everyMs` apart: the lowest heap, the last CPU, and the
 * last RSS or, with `rss: "lowest"`, the lowest (S3's hold, where V8 returns pages late).
 */
async function sampleMin(
  procs: { pid: number; url: string }[],
  count: number,
  everyMs: number,
  o: { rss: "last" | "lowest" } = { rss: "last" },
): Promise<ProcSample[]> {
  let best = await sample(procs);
  for (let i = 1; i < count; i++) {
    await new Promise((r) => setTimeout(r, everyMs));
    const next = await sample(procs);
    best = next.map((p, j) => ({
      ...p,
      rss: o.rss === "lowest" ? Math.min(p.rss, best[j]!.rss) : p.rss,
      heap: minDefined(p.heap, best[j]!.heap),
    }));
  }
  return best;
}
const minDefined = (a?: number, b?: number) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

const SCENARIOS: Record<string, Scenario> = { S1, S2, S3, S4, S5 };

/** The header's wording per `--client`, so a recorded run says what drove the chat target. */
const CLIENT_NOTE: Record<ClientKind, string> = {
  lean: "lean (Engine.IO + Socket.IO over a raw ws WebSocket, loadtest/lean-conn.ts)",
  "socket.io": "socket.io-client (1.3–1.4× the lean client's CPU per message, taken from the servers)",
};

function fmt(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return "–";
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function markdownTable(rows: Row[]): string {
  const out = [
    "| scenario | metric | chat-cluster | baseline (ws relay) | chat / baseline | target |",
    "|---|---|---:|---:|---:|---|",
  ];
  let last = "";
  for (const r of rows) {
    const ratio = r.chat !== undefined && r.baseline !== undefined && r.baseline !== 0 ? `${(r.chat / r.baseline).toFixed(2)}×` : "–";
    out.push(
      `| ${r.scenario === last ? "" : r.scenario} | ${r.metric} | ${fmt(r.chat)} | ${fmt(r.baseline)} | ${ratio} | ${r.target ?? ""} |`,
    );
    last = r.scenario;
  }
  return out.join("\n");
}

function machine() {
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

async function createDatabase(baseUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function dropDatabase(baseUrl: string, name: string) {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      quick: { type: "boolean" },
      "no-baseline": { type: "boolean" },
      "cpu-prof": { type: "boolean" },
      adapter: { type: "string" },
      workers: { type: "string" },
      client: { type: "string" },
      "s1-runs": { type: "string" },
      socketio: { type: "boolean" },
      node: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "Usage: npm run bench -- [--only S1,S3] [--quick] [--no-baseline] [--cpu-prof] [--adapter classic|sharded] [--workers N]" +
        " [--client lean|socket.io] [--s1-runs N] [--socketio] [--node PATH] [--out DIR]",
    );
    return;
  }
  const only = (values.only ?? "S1,S2,S3,S4,S5").split(",").map((s) => s.trim().toUpperCase());
  for (const s of only) if (!SCENARIOS[s]) throw new Error(`unknown scenario ${s}`);
  if (values.adapter !== undefined && !["classic", "sharded"].includes(values.adapter)) {
    throw new Error("--adapter must be classic or sharded");
  }
  const workers = Number(values.workers ?? 1);
  if (!(Number.isInteger(workers) && workers >= 1 && workers <= 64)) throw new Error("--workers must be 1 to 64");
  const s1Runs = Number(values["s1-runs"] ?? 3);
  if (!(Number.isInteger(s1Runs) && s1Runs >= 1 && s1Runs <= 20)) throw new Error("--s1-runs must be 1 to 20");
  const client = values.client ?? "lean";
  if (client !== "lean" && client !== "socket.io") throw new Error("--client must be lean or socket.io");
  const targets: TargetName[] = values["no-baseline"] ? ["chat"] : ["chat", "baseline"];
  const baseDb = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const runTag = `bench${randomBytes(3).toString("hex")}`;
  const dbName = `chat_lt_${runTag}`;
  const outDir = path.resolve(values.out ?? path.join(ROOT, "loadtest/reports"));
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const cpuProfDir = values["cpu-prof"] ? path.join(outDir, `cpuprof-${stamp}`) : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });

  const nodeBin = values.node ? path.resolve(values.node) : process.execPath;
  const serverNode = spawnSync(nodeBin, ["--version"], { encoding: "utf8" }).stdout?.trim();
  if (!serverNode) throw new Error(`--node: cannot run ${nodeBin}`);
  const startMachine = machine();
  console.error(`bench: ${only.join(",")}${values.quick ? " (quick)" : ""}, targets ${targets.join(",")}, chat client ${client}`);
  console.error(`machine: ${JSON.stringify(startMachine)}`);
  const databaseUrl = await createDatabase(baseDb, dbName);
  const ctx: BenchContext = {
    quick: !!values.quick,
    databaseUrl,
    redisUrl,
    runTag,
    cpuProfDir,
    adapter: values.adapter,
    workers,
    client,
    s1Runs,
    socketio: !!values.socketio,
    nodeBin,
    log: (l) => console.error(l),
  };
  const rows: Row[] = [];
  const notes: string[] = [];
  const raw: Record<string, unknown> = {};
  const started = new Date();
  try {
    for (const s of only) {
      console.error(`\n== ${s} ==`);
      const r = await SCENARIOS[s]!(ctx, targets);
      rows.push(...r.rows);
      notes.push(...(r.notes ?? []));
      raw[s] = r.raw;
    }
  } finally {
    await dropDatabase(baseDb, dbName).catch((e) => console.error(`drop database: ${(e as Error).message}`));
    await deleteKeysByPrefix(redisUrl, prefixes).catch((e) => console.error(`redis cleanup: ${(e as Error).message}`));
  }
  const endMachine = machine();
  const md = [
    `Run ${started.toISOString()} – ${new Date().toISOString()}${values.quick ? " (--quick)" : ""}` +
      (values.adapter ? `, REDIS_ADAPTER=${values.adapter}` : "") +
      (ctx.workers > 1 ? `, ${ctx.workers} load-generator processes` : ""),
    "",
    `Load tester's chat client: ${CLIENT_NOTE[client]}; the baseline is driven by a plain ws client.`,
    "",
    `Machine: ${startMachine.nproc} CPUs (${startMachine.cpuModel}), ${startMachine.memoryGiB} GiB, Node ${startMachine.node}` +
      (serverNode !== process.version ? ` (servers on Node ${serverNode}, ${nodeBin})` : "") +
      `, ${startMachine.kernel};` +
      ` load average before ${startMachine.loadavg.join(" / ")}, after ${endMachine.loadavg.join(" / ")}`,
    "",
    markdownTable(rows),
    "",
    ...notes.flatMap((n) => [n, ""]),
  ].join("\n");
  console.log(`\n${md}`);
  const base = path.join(outDir, `bench-${stamp}`);
  writeFileSync(`${base}.md`, md);
  writeFileSync(`${base}.json`, `${JSON.stringify({ machine: { start: startMachine, end: endMachine }, client, rows, raw }, null, 1)}\n`);
  console.error(`written ${base}.md and ${base}.json`);
  if (cpuProfDir) {
    for (const target of readdirSync(cpuProfDir)) {
      const dir = path.join(cpuProfDir, target);
      console.error(`CPU profiles (${target}): ${readdirSync(dir).join(", ")} in ${dir}`);
    }
  }
}

await main();
process.exit(0);
