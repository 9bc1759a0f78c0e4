/**
 * The bench's machinery: starting a target's servers (the chat nodes or a reference) on
 * the configured PostgreSQL and Redis, running one load against them while sampling their
 * CPU, memory and store metrics, and the types scenarios share.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startCluster, type Cluster } from "../../scripts/cluster/index.js";
import type { ClientKind } from "../conn.js";
import { machineCpu, sample, scrapeSums, type ProcSample } from "../procstat.js";
import { runLoad, type LoadOptions, type LoadReport } from "../run.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export type TargetName = "chat" | "baseline";
/** A server the bench can start: the two table columns, or the plain Socket.IO reference. */
export type ServerName = TargetName | "socketio";

export interface BenchContext {
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
  /** S1 and S4 runs per server, alternating (--runs); each row is the median. */
  runs: number;
  /** S1 to S4 also measure the plain Socket.IO cluster (--socketio). */
  socketio: boolean;
  /** What fills the bodies after their timestamp (--body-text): the load tester's `bodyText`. */
  bodyText: "pad" | "words";
  /** SEARCH's stored messages (--search-messages); unset: its default. */
  searchMessages?: number;
  /** The servers' Node.js binary (--node); the bench's own by default. */
  nodeBin: string;
  /** Patches the chat nodes run without (--without): preloads under loadtest/bench/without/. */
  without: string[];
  /** The chat nodes run dist/main.js (built; what the image runs) or src/main.ts through tsx (--chat-entry). */
  chatEntry: "dist" | "src";
  log(line: string): void;
}

export interface Nodes {
  urls: string[];
  procs: { pid: number; url: string }[];
  cluster: Cluster;
}

let clusterCount = 0;
export const prefixes: string[] = [];

const SERVER_ENTRY: Record<ServerName, string> = {
  chat: "src/main.ts",
  baseline: "loadtest/baselines/ws-relay.ts",
  socketio: "loadtest/baselines/socketio-relay.ts",
};

export async function withNodes<T>(ctx: BenchContext, target: ServerName, count: number, fn: (n: Nodes) => Promise<T>) {
  const prefix = `${ctx.runTag}c${clusterCount++}`;
  prefixes.push(prefix);
  // Both targets are profiled, into a folder each, so that their profiles compare.
  const nodeArgs = ctx.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${path.join(ctx.cpuProfDir, target)}`] : [];
  const without = target === "chat" ? ctx.without.flatMap((w) => ["--import", path.join(ROOT, "loadtest/bench/without", `${w}.ts`)]) : [];
  // tsx only for TypeScript: the built chat node needs it just for the --without preloads.
  const fromDist = target === "chat" && ctx.chatEntry === "dist";
  const tsx = fromDist && without.length === 0 ? [] : ["--import", "tsx"];
  const command = [ctx.nodeBin, ...nodeArgs, ...tsx, ...without, fromDist ? "dist/main.js" : SERVER_ENTRY[target]];
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

export interface Measured {
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

export async function measure(ctx: BenchContext, nodes: Nodes, opts: Partial<LoadOptions>, label: string): Promise<Measured> {
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
    bodyText: ctx.bodyText,
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

export interface Row {
  scenario: string;
  metric: string;
  chat?: number;
  baseline?: number;
  /** The plain Socket.IO cluster (--socketio). */
  socketio?: number;
  target?: string;
  /** For the ratio column: whether bigger is better. */
  higherIsBetter?: boolean;
}

export interface ScenarioResult {
  rows: Row[];
  raw: Record<string, unknown>;
  /** Lines printed under the table. */
  notes?: string[];
}

export type Scenario = (ctx: BenchContext, targets: TargetName[]) => Promise<ScenarioResult>;

/** The servers a scenario runs: its targets, then the plain Socket.IO reference with --socketio. */
export function serversOf(ctx: BenchContext, targets: TargetName[]): ServerName[] {
  return ctx.socketio ? [...targets, "socketio"] : targets;
}

/** The protocol the load tester speaks to a server: the Socket.IO reference speaks chat-cluster's. */
export function protocolOf(server: ServerName): TargetName {
  return server === "socketio" ? "chat" : server;
}

export const q = <T>(ctx: BenchContext, full: T, quick: T) => (ctx.quick ? quick : full);

/** The middle value (the mean of the two middle ones for an even count); undefined for none. */
export function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const v = [...xs].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1]! + v[mid]!) / 2;
}

/** A row's three columns from each server's measured runs: the median of each server's. */
export type Picker = (f: (m: Measured) => number) => Pick<Row, ServerName>;

export function medianPicker(runs: Partial<Record<ServerName, Measured[]>>): Picker {
  return (f) => ({
    chat: median((runs.chat ?? []).map(f)),
    baseline: median((runs.baseline ?? []).map(f)),
    socketio: median((runs.socketio ?? []).map(f)),
  });
}

/**
 * `count` rounds, each measuring every server once in turn: a drift of the machine's speed
 * (15 % between runs on these VMs) then shows in every column rather than in one.
 */
export async function alternate(
  servers: ServerName[],
  count: number,
  run: (server: ServerName, label: string) => Promise<Measured>,
  scenario: string,
): Promise<Record<ServerName, Measured[]>> {
  const runs: Record<ServerName, Measured[]> = { chat: [], baseline: [], socketio: [] };
  for (let i = 0; i < count; i++) {
    for (const t of servers) runs[t].push(await run(t, count > 1 ? `${scenario} ${t} #${i + 1}` : `${scenario} ${t}`));
  }
  return runs;
}

/** `f(a[i]) / f(b[i])` for every alternating pair both servers completed, as "0.85×, 0.87×". */
export function pairRatios(a: Measured[], b: Measured[], f: (m: Measured) => number): string {
  return a.flatMap((m, i) => (b[i] ? [`${(f(m) / f(b[i]!)).toFixed(2)}×`] : [])).join(", ");
}

export function otherRow(name: string, pick: Picker): Row {
  return { scenario: name, metric: "other CPU on the machine (cores: PG, Redis, other jobs)", ...pick((m) => m.otherCores) };
}

/**
 * Per process, over `count` samples `everyMs` apart: the lowest heap, the last CPU, and the
 * last RSS or, with `rss: "lowest"`, the lowest (S3's hold, where V8 returns pages late).
 */
export async function sampleMin(
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
