/** A load run's report: its shape, and the end-of-run summary table. */
import type { LoadOptions, TimelinePoint } from "./options.js";

export type { TimelinePoint } from "./options.js";
import type { LatencySummary } from "./stats.js";

export interface LoadReport {
  version: 1;
  startedAt: string;
  options: Omit<LoadOptions, "progress" | "hooks" | "signal">;
  seconds: { connect: number; settle: number; sending: number; drain: number; total: number };
  connect: {
    attempted: number;
    connected: number;
    failed: number;
    /** connect_error events, retries included. */
    connectErrors: number;
    disconnects: number;
    reconnects: number;
    /** Clients still connected when sending stopped. */
    connectedAtEnd: number;
    latency: LatencySummary;
    joinLatency: LatencySummary;
    joinFailed: number;
    /** presence:join/leave events received (chat target), all phases. */
    presenceEvents: number;
  };
  send: {
    attempted: number;
    acked: number;
    failed: number;
    failuresByCode: Record<string, number>;
    /** Acked messages per second of the sending window. */
    ackedPerSecond: number;
    ackLatency: LatencySummary;
  };
  delivery: {
    /** Sum over receivers of (room's final seq - the receiver's join lastSeq). */
    expected: number;
    /** Distinct entries received live. */
    received: number;
    /** Distinct entries received through `room:join { since }` after a reconnect. */
    recovered: number;
    lost: number;
    duplicates: number;
    outOfOrder: number;
    /** Live deliveries of entries the join already covered (not errors). */
    preJoin: number;
    lossRatio: number;
    dupRatio: number;
    /** Distinct live deliveries per second of the sending window. */
    perSecond: number;
    latency: LatencySummary;
  };
  errors: number;
  loadgen: { cpuSeconds: number; eventLoopDelayP99Ms: number; eventLoopDelayMaxMs: number };
  timeline: TimelinePoint[];
  thresholds: { maxLoss?: number; maxDup?: number; maxErrors?: number };
  failures: string[];
  passed: boolean;
  /** Workers only: every latency sample in µs, for the coordinator to merge. */
  raw?: { connect: number[]; join: number[]; ack: number[]; delivery: number[] };
}

const lat = (l: LatencySummary) =>
  l.count === 0
    ? "-"
    : `p50 ${l.p50Ms}  p90 ${l.p90Ms}  p99 ${l.p99Ms}  p99.9 ${l.p999Ms}  max ${l.maxMs} ms  (n=${l.count})`;

/** Which client drove the chat target: polling clients are socket.io-client whatever `client` says. */
function clientOf(o: LoadReport["options"]): string {
  if (o.transport === "polling") return "socket.io";
  if (o.transport === "mixed") return o.client === "lean" ? "lean (websocket) + socket.io (polling)" : "socket.io";
  return o.client;
}

export function formatSummary(r: LoadReport): string {
  const o = r.options;
  const rows: [string, string][] = [
    ["target", `${o.target} ${o.urls.join(",")} (${o.transport}${o.target === "chat" ? `, client ${clientOf(o)}` : ""})`],
    [
      "shape",
      `${o.clients} clients, ${o.rooms} rooms, ${o.senders} senders, ` +
        (o.window > 0 ? `closed loop window ${o.window}` : `${o.rate} msg/s`) +
        `, ${o.duration}s, body ${o.bodyBytes} B${o.bodyText === "words" ? " of words" : ""}`,
    ],
    [
      "connect",
      `${r.connect.connected}/${r.connect.attempted} ok, ${r.connect.failed} failed, ` +
        `${r.connect.joinFailed} joins failed, ${r.connect.reconnects} reconnects, ` +
        `${r.connect.disconnects} disconnects, ${r.connect.connectErrors} connect_errors in ${r.seconds.connect}s` +
        (r.connect.presenceEvents ? `; ${r.connect.presenceEvents} presence events, settled in ${r.seconds.settle}s` : ""),
    ],
    ["connect latency", lat(r.connect.latency)],
    ["join latency", lat(r.connect.joinLatency)],
    [
      "sends",
      `${r.send.attempted} sent, ${r.send.acked} acked (${r.send.ackedPerSecond}/s), ${r.send.failed} failed` +
        (Object.keys(r.send.failuresByCode).length ? ` ${JSON.stringify(r.send.failuresByCode)}` : ""),
    ],
    ["ack latency", lat(r.send.ackLatency)],
    [
      "deliveries",
      `${r.delivery.received}/${r.delivery.expected} live (${r.delivery.perSecond}/s), ` +
        `${r.delivery.recovered} recovered by join since, ${r.delivery.lost} lost, ` +
        `${r.delivery.duplicates} duplicates, ${r.delivery.outOfOrder} out of order`,
    ],
    ["delivery latency", lat(r.delivery.latency)],
    [
      "load generator",
      `${r.loadgen.cpuSeconds} CPU-s while sending, event loop delay p99 ${r.loadgen.eventLoopDelayP99Ms} ms ` +
        `max ${r.loadgen.eventLoopDelayMaxMs} ms`,
    ],
    ["result", r.passed ? "PASS" : `FAIL: ${r.failures.join("; ")}`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n");
}
