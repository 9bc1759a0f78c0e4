/** S3 (idle connections: memory and CPU per connection), S4 (the write path), S5 (one big room). */
import { spawnSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import {
  alternate,
  measure,
  median,
  medianPicker,
  otherRow,
  pairRatios,
  protocolOf,
  q,
  sampleMin,
  serversOf,
  withNodes,
  type Measured,
  type Row,
  type Scenario,
  type ServerName,
  type TargetName,
} from "./harness.js";
import { sample, type ProcSample } from "../procstat.js";
import { runLoad } from "../run.js";

/** This shell's limit on open files (`ulimit -n`), which the servers and the tester inherit. */
function openFileLimit(): number {
  const n = Number(spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).stdout.trim());
  return Number.isFinite(n) && n > 0 ? n : Infinity;
}

/** Idle connections on one node each of chat-cluster, the ws relay and (--socketio) plain Socket.IO. */
export const S3: Scenario = async (ctx, targets) => {
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  // Issue 23's shape: every connection on one node, as a node behind a balancer holds them;
  // fewer where the file limit (one descriptor per connection, in the node and the tester) is lower.
  const clients = q(ctx, Math.min(20_000, openFileLimit() - 500), 1000);
  const name = `S3 connections (${clients} idle, 1 node)`;
  const rssPer: Partial<Record<ServerName, number>> = {};
  const rssEarlyPer: Partial<Record<ServerName, number>> = {};
  const holdSeconds = q(ctx, 90, 12);
  const heapPer: Partial<Record<ServerName, number>> = {};
  const connectP99: Partial<Record<ServerName, number>> = {};
  const cpuPerConnect: Partial<Record<ServerName, number>> = {};
  const holdCpu: Partial<Record<ServerName, number>> = {};
  const errors: Partial<Record<ServerName, number>> = {};
  for (const t of serversOf(ctx, targets)) {
    await withNodes(ctx, t, 1, async (n) => {
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
        target: protocolOf(t),
        urls: n.urls,
        clients,
        rooms: q(ctx, 200, 10), // 100 per room: filling them is 100 × 100²/2 presence events
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
  rows.push({ scenario: name, metric: `RSS per connection after a ${holdSeconds} s hold (KB)`, ...rssPer, target: "≤ 6" });
  rows.push({ scenario: name, metric: "RSS per connection 2 s after the last connect (KB)", ...rssEarlyPer });
  rows.push({ scenario: name, metric: "JS heap per connection (KB)", ...heapPer });
  rows.push({ scenario: name, metric: "connect p99 (ms, during ramp)", ...connectP99 });
  rows.push({ scenario: name, metric: "server CPU-ms per connection (connect, join, hold)", ...cpuPerConnect });
  rows.push({ scenario: name, metric: "server CPU while holding, per 1,000 connections (ms/s, 2nd half of the hold)", ...holdCpu });
  rows.push({ scenario: name, metric: "errors (failed connects, joins)", ...errors });
  return { rows, raw };
};

export const S4: Scenario = async (ctx, targets) => {
  const rows: Row[] = [];
  const n = q(ctx, 1000, 200);
  const name = `S4 write path (${n} rooms, ${n} senders, closed loop)`;
  const count = ctx.quick ? 1 : ctx.runs;
  const runs = await alternate(serversOf(ctx, targets), count, (t, label) =>
    withNodes(ctx, t, 2, (nodes) =>
      measure(
        ctx,
        nodes,
        { target: protocolOf(t), clients: n, rooms: n, senders: n, window: 1, rate: 0, duration: q(ctx, 20, 6), ramp: q(ctx, 5, 2) },
        label,
      ),
    ), "S4");
  const pick = medianPicker(runs);
  const acked = (m: Measured) => m.report.send.ackedPerSecond;
  rows.push({ scenario: name, metric: "messages acked (stored) per s", ...pick(acked), target: "≥ 1.0× plain SIO", higherIsBetter: true });
  rows.push({ scenario: name, metric: "ack p50 (ms)", ...pick((m) => m.report.send.ackLatency.p50Ms) });
  rows.push({ scenario: name, metric: "ack p99 (ms)", ...pick((m) => m.report.send.ackLatency.p99Ms), target: "≤ 100" });
  rows.push({ scenario: name, metric: "server CPU-s per s (2 nodes)", ...pick((m) => m.serverCpu / m.report.seconds.sending) });
  rows.push({ scenario: name, metric: "server CPU-µs per acked message (2 nodes)", ...pick((m) => (m.serverCpu * 1e6) / Math.max(acked(m) * m.report.seconds.sending, 1)) });
  rows.push({ scenario: name, metric: "store: messages per transaction (mean)", chat: median(runs.chat.flatMap((m) => m.store?.meanBatchSize ?? [])) });
  rows.push({ scenario: name, metric: "store: transaction time (mean ms)", chat: median(runs.chat.flatMap((m) => m.store?.meanWriteMs ?? [])) });
  rows.push({ scenario: name, metric: "errors (failed connects, joins, sends)", ...pick((m) => m.report.errors) });
  rows.push({ scenario: name, metric: "load generator event-loop delay p99 (ms)", ...pick((m) => m.report.loadgen.eventLoopDelayP99Ms) });
  rows.push(otherRow(name, pick));
  const notes: string[] = [];
  if (count > 1 && runs.socketio.length > 0) {
    const pairs = pairRatios(runs.chat, runs.socketio, acked);
    notes.push(`S4: ${count} runs per server, alternating; each row is the median of a server's runs. Messages acked per s, chat-cluster / plain Socket.IO, pair by pair: ${pairs}.`);
  }
  return { rows, raw: runs, notes };
};

export const S5: Scenario = async (ctx, targets) => {
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
