/**
 * The load tester as a library: `runLoad(options)` connects the simulated users, sends
 * at the configured rate, waits for in-flight deliveries, and returns the report.
 * The CLI (loadtest/cli.ts), the benchmark (loadtest/bench.ts) and the tests call it.
 *
 * Timing: send and delivery timestamps come from process.hrtime (CLOCK_MONOTONIC), in
 * microseconds. The send time travels in the message body (`<µs> <padding>`), so a
 * delivery's latency needs no lookup and would stay correct across processes on the
 * same machine.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import { createConn, RequestError, type ClientKind, type Conn, type Delivered, type Target, type Transport } from "./conn.js";
import { Latency, SeqTracker, summarize, type LatencySummary } from "./stats.js";

export type TransportOption = Transport | "mixed";

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
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 20_000,
  connectConcurrency: 200,
  runId: "",
  progress: false,
  workers: 1,
};

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

interface Client {
  index: number;
  conn: Conn;
  room: number;
  roomName: string;
  tracker?: SeqTracker;
  /** Deliveries that arrived before the join's ack, replayed once it is known. */
  early?: Delivered[];
  joined: boolean;
  rejoining: boolean;
  sentCount: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const nowUs = () => process.hrtime.bigint() / 1000n;

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
  if (!(Number.isInteger(o.workers) && o.workers >= 1 && o.workers <= 64)) throw new Error("workers must be 1 to 64");
  if (o.workers > o.clients) throw new Error("workers must not exceed clients");
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export async function runLoad(partial: Partial<LoadOptions>): Promise<LoadReport> {
  const o = resolveOptions(partial);
  if (o.workers > 1 && !o.shard) return (await import("./workers.js")).runLoadWorkers(o);
  const startedAt = new Date();
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const log = progressLog(o.progress);

  const roomNames = Array.from({ length: o.rooms }, (_, i) => `${o.runId}-r${i}`);
  const roomFinal = new Array<number>(o.rooms).fill(0);
  const roomIndex = new Map(roomNames.map((r, i) => [r, i]));

  const keep = o.keepRaw === true;
  const connectLat = new Latency(keep);
  const joinLat = new Latency(keep);
  const ackLat = new Latency(keep);
  const deliveryLat = new Latency(keep);
  const failuresByCode: Record<string, number> = {};
  const counters = {
    connected: 0,
    connectFailed: 0,
    connectErrors: 0,
    presence: 0,
    disconnects: 0,
    reconnects: 0,
    joinFailed: 0,
    sent: 0,
    acked: 0,
    sendFailed: 0,
    inflight: 0,
    delivered: 0, // distinct, live
    deliveredInterval: 0,
    sentInterval: 0,
    ackedInterval: 0,
  };
  let phase = "connecting";
  let closing = false;

  const fail = (code: string) => {
    failuresByCode[code] = (failuresByCode[code] ?? 0) + 1;
  };

  const bodyPad = "x".repeat(o.bodyBytes);
  const makeBody = () => {
    const head = `${nowUs()} `;
    return head + bodyPad.slice(head.length);
  };

  function onDelivered(c: Client, m: Delivered, viaHistory: boolean) {
    const ri = roomIndex.get(m.room);
    if (ri === undefined) return;
    if (m.seq > roomFinal[ri]!) roomFinal[ri] = m.seq;
    if (!c.tracker) {
      (c.early ??= []).push(m);
      return;
    }
    if (c.tracker.add(m.seq, viaHistory) && !viaHistory) {
      counters.delivered++;
      counters.deliveredInterval++;
      const sp = m.body.indexOf(" ");
      if (sp > 0) {
        const sentUs = BigInt(m.body.slice(0, sp));
        deliveryLat.recordNs((nowUs() - sentUs) * 1000n);
      }
    }
  }

  async function rejoin(c: Client) {
    if (c.rejoining || closing) return;
    c.rejoining = true;
    try {
      for (let page = 0; page < 20; page++) {
        const since = o.target === "chat" && c.tracker ? c.tracker.watermark : undefined;
        const r = await c.conn.join(c.roomName, since, o.requestTimeoutMs);
        if (!c.tracker) c.tracker = new SeqTracker(r.lastSeq);
        for (const m of r.messages) onDelivered(c, m, true);
        if (!r.hasMore) break;
      }
    } catch (e) {
      fail(`rejoin_${e instanceof RequestError ? e.code : "error"}`);
    } finally {
      c.rejoining = false;
    }
  }

  const clients: Client[] = [];
  for (let i = 0; i < o.clients; i++) {
    if (o.shard && i % o.shard.count !== o.shard.index) continue;
    const transport: Transport =
      o.transport === "mixed" ? (i % 2 === 0 ? "websocket" : "polling") : (o.transport as Transport);
    const room = i % o.rooms;
    const c: Client = {
      index: i,
      room,
      roomName: roomNames[room]!,
      joined: false,
      rejoining: false,
      sentCount: 0,
      conn: undefined as unknown as Conn,
    };
    c.conn = createConn({
      target: o.target,
      url: o.urls[i % o.urls.length]!,
      user: `${o.runId}_u${i}`,
      transport,
      client: o.client,
      reconnect: true,
      events: {
        onMessage: (m) => onDelivered(c, m, false),
        onReconnect: () => {
          if (closing) return;
          counters.reconnects++;
          if (c.joined) void rejoin(c);
        },
        onDisconnect: () => {
          if (!closing) counters.disconnects++;
        },
        onConnectError: () => {
          counters.connectErrors++;
        },
        onPresence: () => {
          counters.presence++;
        },
      },
    });
    clients.push(c);
  }

  // Event loop delay and CPU of this process: when these are high, the numbers measure
  // the load tester rather than the server.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const loopDelayTick = monitorEventLoopDelay({ resolution: 10 });
  loopDelayTick.enable();

  const timeline: TimelinePoint[] = [];
  let lastTick = performance.now();
  const progressTimer = setInterval(() => {
    const now = performance.now();
    const dt = (now - lastTick) / 1000;
    lastTick = now;
    const connectedNow = clients.reduce((n, c) => n + (c.conn.connected ? 1 : 0), 0);
    const ack = summarize(ackLat.interval);
    const del = summarize(deliveryLat.interval);
    const point: TimelinePoint = {
      t: Math.round(elapsed()),
      phase,
      connected: connectedNow,
      sent: counters.sentInterval,
      acked: counters.ackedInterval,
      delivered: counters.deliveredInterval,
      ackP99Ms: ack.p99Ms,
      deliveryP50Ms: del.p50Ms,
      deliveryP99Ms: del.p99Ms,
    };
    timeline.push(point);
    o.hooks?.tick?.(point);
    ackLat.interval.reset();
    deliveryLat.interval.reset();
    counters.sentInterval = counters.ackedInterval = counters.deliveredInterval = 0;
    log?.(
      `t=${String(point.t).padStart(4)}s ${phase.padEnd(10)} conn ${connectedNow}/${o.clients}` +
        ` sent ${Math.round(point.sent / dt)}/s acked ${Math.round(point.acked / dt)}/s` +
        ` deliv ${Math.round(point.delivered / dt)}/s` +
        ` | ack p99 ${ack.p99Ms}ms deliv p50 ${del.p50Ms}ms p99 ${del.p99Ms}ms` +
        ` | err ${counters.connectFailed + counters.joinFailed + counters.sendFailed} reconn ${counters.reconnects}` +
        ` inflight ${counters.inflight} lag ${Math.max(0, loopDelayTick.max / 1e6 - 10).toFixed(0)}ms`,
    );
    loopDelayTick.reset();
  }, 1000);
  progressTimer.unref();

  const aborted = () => o.signal?.aborted === true;

  // ---- connect and join, spread over the ramp ----
  const connectStart = performance.now();
  let inflightConnects = 0;
  const connectDone: Promise<void>[] = [];
  for (const c of clients) {
    if (aborted()) break;
    const due = connectStart + (o.clients > 1 ? (c.index / (o.clients - 1)) * o.ramp * 1000 : 0);
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    while (inflightConnects >= o.connectConcurrency) await sleep(5);
    inflightConnects++;
    connectDone.push(
      (async () => {
        const start = process.hrtime.bigint();
        try {
          await c.conn.connect(o.connectTimeoutMs);
          connectLat.recordNs(process.hrtime.bigint() - start);
          counters.connected++;
        } catch {
          counters.connectFailed++;
          c.conn.close();
          return;
        } finally {
          inflightConnects--;
        }
        const js = process.hrtime.bigint();
        try {
          const r = await c.conn.join(c.roomName, undefined, o.requestTimeoutMs);
          joinLat.recordNs(process.hrtime.bigint() - js);
          c.tracker = new SeqTracker(r.lastSeq);
          c.joined = true;
          const early = c.early ?? [];
          c.early = undefined;
          for (const m of early) onDelivered(c, m, false);
        } catch (e) {
          counters.joinFailed++;
          fail(`join_${e instanceof RequestError ? e.code : "error"}`);
        }
      })(),
    );
  }
  await Promise.all(connectDone);
  const connectSeconds = (performance.now() - connectStart) / 1000;
  phase = "settling";
  const settleStart = performance.now();
  let lastPresence = -1;
  let quietSince = performance.now();
  while (!aborted() && performance.now() - settleStart < o.settle * 1000) {
    if (counters.presence !== lastPresence) {
      lastPresence = counters.presence;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= 500) break;
    await sleep(50);
  }
  const settleSeconds = (performance.now() - settleStart) / 1000;
  await o.hooks?.connected?.();

  // ---- send ----
  phase = o.rate > 0 || o.window > 0 ? "sending" : "holding";
  const cpuBefore = process.cpuUsage();
  loopDelay.reset();
  const sendStart = performance.now();
  const sendEnd = sendStart + o.duration * 1000;
  const senders = clients.filter((c) => c.index < o.senders && c.joined);
  // A worker keeps its share of the aggregate rate: its sender slots over all of them.
  const slots = o.shard ? clients.filter((c) => c.index < o.senders).length : o.senders;
  const rate = o.senders > 0 ? (o.rate * slots) / o.senders : 0;
  let sendSeq = 0;

  const sendOne = (c: Client): Promise<void> => {
    counters.sent++;
    counters.sentInterval++;
    if (!c.conn.connected || c.rejoining) {
      // Socket.IO would buffer the emit until a reconnect; count it as failed instead. A send
      // racing its own rejoin would reach the node before the membership does and come back
      // not_joined, which says nothing about the server: it is counted as "rejoining".
      counters.sendFailed++;
      fail(c.conn.connected ? "rejoining" : "disconnected");
      return Promise.resolve();
    }
    const clientId = `${o.runId}-${c.index}-${c.sentCount++}`;
    const start = process.hrtime.bigint();
    counters.inflight++;
    return c.conn.send(c.roomName, makeBody(), clientId, o.requestTimeoutMs).then(
      (seq) => {
        counters.inflight--;
        ackLat.recordNs(process.hrtime.bigint() - start);
        counters.acked++;
        counters.ackedInterval++;
        if (seq > roomFinal[c.room]!) roomFinal[c.room] = seq;
      },
      (e) => {
        counters.inflight--;
        counters.sendFailed++;
        fail(e instanceof RequestError ? e.code : "error");
      },
    );
  };

  if (senders.length > 0 && o.window > 0) {
    // Closed loop: every sender keeps `window` sends in flight until the end.
    const loops: Promise<void>[] = [];
    for (const c of senders) {
      for (let w = 0; w < o.window; w++) {
        loops.push(
          (async () => {
            while (performance.now() < sendEnd && !aborted()) {
              await sendOne(c);
              if (!c.conn.connected || c.rejoining) await sleep(50);
            }
          })(),
        );
      }
    }
    await Promise.all(loops);
  } else if (senders.length > 0 && rate > 0) {
    // Open loop: the aggregate rate is kept whatever the latency; senders take turns.
    while (!aborted()) {
      const now = performance.now();
      if (now >= sendEnd) break;
      const due = Math.floor(((now - sendStart) / 1000) * rate);
      while (sendSeq < due) {
        void sendOne(senders[sendSeq % senders.length]!);
        sendSeq++;
      }
      await sleep(Math.max(1, Math.min(10, 1000 / rate)));
    }
  } else {
    while (!aborted() && performance.now() < sendEnd) await sleep(50);
  }
  const sendingSeconds = (performance.now() - sendStart) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const connectedAtEnd = clients.reduce((n, c) => n + (c.conn.connected ? 1 : 0), 0);
  await o.hooks?.sendingDone?.();

  // ---- drain: wait for in-flight acks and deliveries ----
  phase = "draining";
  const expectedNow = () => {
    let exp = 0;
    let got = 0;
    for (const c of clients) {
      if (!c.tracker) continue;
      exp += c.tracker.expected(roomFinal[c.room]!);
      got += c.tracker.unique;
    }
    return got >= exp;
  };
  const drainStart = performance.now();
  const drainUntil = async () => {
    while (!aborted() && performance.now() - drainStart < o.drain * 1000) {
      if (counters.inflight === 0 && expectedNow()) break;
      await sleep(50);
    }
  };
  await drainUntil();
  if (o.hooks?.exchangeFinals) {
    // Another worker's sender may have written past what reached this one's receivers:
    // that shortfall is loss, counted against the run-wide final seq of each room.
    const finals = await o.hooks.exchangeFinals([...roomFinal]);
    finals.forEach((f, i) => (roomFinal[i] = Math.max(roomFinal[i]!, f)));
    await drainUntil();
  }
  const drainSeconds = (performance.now() - drainStart) / 1000;

  // ---- account ----
  closing = true;
  clearInterval(progressTimer);
  loopDelay.disable();
  loopDelayTick.disable();
  let expected = 0;
  let lost = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let preJoin = 0;
  let recovered = 0;
  for (const c of clients) {
    if (!c.tracker) continue;
    const fin = roomFinal[c.room]!;
    expected += c.tracker.expected(fin);
    lost += c.tracker.lost(fin);
    duplicates += c.tracker.duplicates;
    outOfOrder += c.tracker.outOfOrder;
    preJoin += c.tracker.preJoin;
    recovered += c.tracker.recovered;
  }
  for (const c of clients) c.conn.close();

  const errors = counters.connectFailed + counters.joinFailed + counters.sendFailed;
  const { lossRatio, dupRatio, failures } = checkThresholds(o, { expected, lost, duplicates, errors });

  const { progress: _p, hooks: _h, signal: _s, ...recordedOptions } = o;
  return {
    version: 1,
    startedAt: startedAt.toISOString(),
    options: recordedOptions,
    seconds: {
      connect: round3(connectSeconds),
      settle: round3(settleSeconds),
      sending: round3(sendingSeconds),
      drain: round3(drainSeconds),
      total: round3(elapsed()),
    },
    connect: {
      attempted: clients.length,
      connected: counters.connected,
      failed: counters.connectFailed,
      connectErrors: counters.connectErrors,
      disconnects: counters.disconnects,
      reconnects: counters.reconnects,
      connectedAtEnd,
      latency: connectLat.summary(),
      joinLatency: joinLat.summary(),
      joinFailed: counters.joinFailed,
      presenceEvents: counters.presence,
    },
    send: {
      attempted: counters.sent,
      acked: counters.acked,
      failed: counters.sendFailed,
      failuresByCode,
      ackedPerSecond: sendingSeconds > 0 ? round3(counters.acked / sendingSeconds) : 0,
      ackLatency: ackLat.summary(),
    },
    delivery: {
      expected,
      received: counters.delivered,
      recovered,
      lost,
      duplicates,
      outOfOrder,
      preJoin,
      lossRatio,
      dupRatio,
      perSecond: sendingSeconds > 0 ? round3(counters.delivered / sendingSeconds) : 0,
      latency: deliveryLat.summary(),
    },
    errors,
    loadgen: {
      cpuSeconds: round3((cpu.user + cpu.system) / 1e6),
      eventLoopDelayP99Ms: round3(loopDelay.count > 0 ? Math.max(0, loopDelay.percentile(99) / 1e6 - 10) : 0),
      eventLoopDelayMaxMs: round3(loopDelay.count > 0 ? Math.max(0, loopDelay.max / 1e6 - 10) : 0),
    },
    timeline,
    thresholds: { maxLoss: o.maxLoss, maxDup: o.maxDup, maxErrors: o.maxErrors },
    failures,
    passed: failures.length === 0,
    ...(keep ? { raw: { connect: connectLat.raw!, join: joinLat.raw!, ack: ackLat.raw!, delivery: deliveryLat.raw! } } : {}),
  };
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
