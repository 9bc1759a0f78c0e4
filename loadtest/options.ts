/**
 * What a load run is asked to do (`LoadOptions`), its defaults and checks, and the
 * thresholds its report is judged by. Shared by the CLI, the workers and the benchmark.
 */
import { randomBytes } from "node:crypto";
import type { ClientKind, Target, Transport } from "./conn.js";

export type TransportOption = Transport | "mixed";

/** One progress tick of a run (the report's timeline, the `tick` hook). */
export interface TimelinePoint {
  t: number;
  phase: string;
  connected: number;
  sent: number;
  acked: number;
  delivered: number;
  ackP99Ms: number;
  deliveryP50Ms: number;
  deliveryP99Ms: number;
}

export interface LoadOptions {
  target: Target;
  /** One URL (a load balancer) or several (nodes; clients spread round-robin). */
  urls: string[];
  clients: number;
  rooms: number;
  /** Clients that send; the first `senders` clients, so they spread over the rooms. */
  senders: number;
  /** Messages per second in total (open loop). 0 with `window` 0 means idle clients. */
  rate: number;
  /** Closed loop instead of `rate`: each sender keeps this many sends in flight. */
  window: number;
  /** Seconds of sending (or of holding idle connections). */
  duration: number;
  /** Seconds over which the clients connect. */
  ramp: number;
  /**
   * Longest wait, in seconds, after every client has joined and before sending starts, for
   * the presence:join fan-out of the joins to die down (it stops when no presence event has
   * arrived for 500 ms). Filling a room of N members costs N²/2 presence events.
   */
  settle: number;
  /** Longest wait, in seconds, for in-flight acks and deliveries after sending stops. */
  drain: number;
  transport: TransportOption;
  /**
   * The chat target's client: `lean` (loadtest/lean-conn.ts) costs the tester about what the
   * baseline's ws client does; `socket.io` is socket.io-client, the stock client, at 1.3–1.4
   * times the CPU per message. Long-polling clients always use socket.io-client.
   */
  client: ClientKind;
  bodyBytes: number;
  /**
   * What fills a body after its timestamp: `pad` (one run of "x", one token) or `words`
   * (English words, about one per 6 bytes), which costs a server with a full-text index
   * what real messages do.
   */
  bodyText: "pad" | "words";
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  /** Connections being opened at once, at most. */
  connectConcurrency: number;
  /** Prefix of room and user names; unique per run unless given. */
  runId: string;
  /** Fraction of expected deliveries that may be lost (0 = none). Unset: not checked. */
  maxLoss?: number;
  /** Fraction of expected deliveries that may arrive twice. */
  maxDup?: number;
  /** Errors allowed: failed connects, joins and sends (timeouts included). */
  maxErrors?: number;
  /** true: progress lines to stderr; a function receives them instead. */
  progress: boolean | ((line: string) => void);
  /**
   * Load-generator processes (loadtest/workers.ts). Each runs every N-th client; they
   * start sending together, agree on each room's final seq before the accounting, and the
   * coordinator merges their samples into one report. 1: this process only.
   */
  workers: number;
  /** Awaited at phase boundaries; the benchmark samples server CPU and memory here. */
  hooks?: {
    connected?(): Promise<void> | void;
    sendingDone?(): Promise<void> | void;
    /** Workers only: given this process's final seq per room, returns the run-wide ones. */
    exchangeFinals?(local: number[]): Promise<number[]>;
    /** Workers only: each progress point as it is made. */
    tick?(point: TimelinePoint): void;
  };
  /** Stops the run early (e.g. the caller's own deadline). */
  signal?: AbortSignal;
  /** Workers only: this process runs clients whose index % count === index. */
  shard?: { index: number; count: number };
  /** Workers only: keep every latency sample for the coordinator (LoadReport.raw). */
  keepRaw?: boolean;
}

export const DEFAULT_OPTIONS: LoadOptions = {
  target: "chat",
  urls: ["http://127.0.0.1:3000"],
  clients: 100,
  rooms: 10,
  senders: 10,
  rate: 10,
  window: 0,
  duration: 10,
  ramp: 2,
  settle: 10,
  drain: 5,
  transport: "websocket",
  client: "lean",
  bodyBytes: 64,
  bodyText: "pad",
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 20_000,
  connectConcurrency: 200,
  runId: "",
  progress: false,
  workers: 1,
};

export function resolveOptions(partial: Partial<LoadOptions>): LoadOptions {
  const o: LoadOptions = { ...DEFAULT_OPTIONS, ...stripUndefined(partial) };
  if (!o.runId) o.runId = `lt${randomBytes(4).toString("hex")}`;
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(o.runId)) throw new Error("runId must match ^[a-z0-9][a-z0-9-]{0,30}$");
  if (o.urls.length === 0) throw new Error("no URL given");
  if (!(o.clients >= 1)) throw new Error("clients must be >= 1");
  if (!(o.rooms >= 1)) throw new Error("rooms must be >= 1");
  if (o.rooms > o.clients) throw new Error("rooms must not exceed clients");
  if (!(o.senders >= 0 && o.senders <= o.clients)) throw new Error("senders must be between 0 and clients");
  if (o.bodyBytes < 24) throw new Error("body-bytes must be >= 24 (the body carries the send timestamp)");
  if (o.rate < 0 || o.window < 0 || o.duration < 0 || o.ramp < 0 || o.drain < 0) throw new Error("negative value");
  if (o.client !== "lean" && o.client !== "socket.io") throw new Error("client must be lean or socket.io");
  if (o.bodyText !== "pad" && o.bodyText !== "words") throw new Error("body-text must be pad or words");
  if (!(Number.isInteger(o.workers) && o.workers >= 1 && o.workers <= 64)) throw new Error("workers must be 1 to 64");
  if (o.workers > o.clients) throw new Error("workers must not exceed clients");
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Where progress lines go: the caller's function, stderr (`true`), or nowhere. */
export function progressLog(progress: LoadOptions["progress"]): ((line: string) => void) | null {
  if (typeof progress === "function") return progress;
  return progress ? (l: string) => process.stderr.write(`${l}\n`) : null;
}

/** Loss and duplicate ratios of a run, and the thresholds (`--max-*`) they exceed. */
export function checkThresholds(
  o: Pick<LoadOptions, "maxLoss" | "maxDup" | "maxErrors">,
  c: { expected: number; lost: number; duplicates: number; errors: number },
): { lossRatio: number; dupRatio: number; failures: string[] } {
  const lossRatio = c.expected > 0 ? c.lost / c.expected : 0;
  const dupRatio = c.expected > 0 ? c.duplicates / c.expected : 0;
  const failures: string[] = [];
  if (o.maxLoss !== undefined && lossRatio > o.maxLoss)
    failures.push(`loss ${c.lost}/${c.expected} (${(lossRatio * 100).toFixed(3)}%) exceeds --max-loss ${o.maxLoss}`);
  if (o.maxDup !== undefined && dupRatio > o.maxDup)
    failures.push(`duplicates ${c.duplicates}/${c.expected} (${(dupRatio * 100).toFixed(3)}%) exceed --max-dup ${o.maxDup}`);
  if (o.maxErrors !== undefined && c.errors > o.maxErrors) failures.push(`errors ${c.errors} exceed --max-errors ${o.maxErrors}`);
  return { lossRatio, dupRatio, failures };
}
