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
import { createConn, RequestError, type Conn, type Delivered, type Transport } from "./conn.js";
import { checkThresholds, progressLog, resolveOptions, round3, type LoadOptions } from "./options.js";
import type { LoadReport, TimelinePoint } from "./report.js";
import { Latency, SeqTracker, summarize } from "./stats.js";

export type { LoadOptions } from "./options.js";
export type { LoadReport } from "./report.js";

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

const WORDS =
  "the team is shipping a new build to staging this afternoon so please check the sidebar and the search before lunch " +
  "we found two bugs in the login flow yesterday and fixed one of them already thanks everyone for the quick reviews ";
/** `bytes` of English words, for bodies that cost a full-text index what real text does. */
function wordsOf(bytes: number): string {
  const text = WORDS.repeat(Math.ceil(bytes / WORDS.length)).slice(0, bytes);
  // The server trims bodies: a last space would be stored one byte short.
  return text.endsWith(" ") ? `${text.slice(0, -1)}s` : text;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const nowUs = () => process.hrtime.bigint() / 1000n;

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

  const bodyPad = o.bodyText === "words" ? wordsOf(o.bodyBytes) : "x".repeat(o.bodyBytes);
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

  await drive(senders, sendOne, { window: o.window, rate, sendStart, sendEnd, aborted });
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
  const { expected, lost, duplicates, outOfOrder, preJoin, recovered } = account(clients, roomFinal);
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

/**
 * The sending phase. Closed loop (`window` > 0): every sender keeps `window` sends in
 * flight until the end. Open loop: the aggregate `rate` is kept whatever the latency,
 * senders taking turns. Neither: idle clients are held until the end.
 */
async function drive(
  senders: Client[],
  sendOne: (c: Client) => Promise<void>,
  p: { window: number; rate: number; sendStart: number; sendEnd: number; aborted: () => boolean },
): Promise<void> {
  if (senders.length > 0 && p.window > 0) {
    const loops: Promise<void>[] = [];
    for (const c of senders) {
      for (let w = 0; w < p.window; w++) {
        loops.push(
          (async () => {
            while (performance.now() < p.sendEnd && !p.aborted()) {
              await sendOne(c);
              if (!c.conn.connected || c.rejoining) await sleep(50);
            }
          })(),
        );
      }
    }
    await Promise.all(loops);
  } else if (senders.length > 0 && p.rate > 0) {
    let sent = 0;
    while (!p.aborted()) {
      const now = performance.now();
      if (now >= p.sendEnd) break;
      const due = Math.floor(((now - p.sendStart) / 1000) * p.rate);
      while (sent < due) {
        void sendOne(senders[sent % senders.length]!);
        sent++;
      }
      await sleep(Math.max(1, Math.min(10, 1000 / p.rate)));
    }
  } else {
    while (!p.aborted() && performance.now() < p.sendEnd) await sleep(50);
  }
}

/** Every receiver's accounting against its room's final seq, summed. */
function account(clients: Client[], roomFinal: number[]) {
  const sum = { expected: 0, lost: 0, duplicates: 0, outOfOrder: 0, preJoin: 0, recovered: 0 };
  for (const c of clients) {
    if (!c.tracker) continue;
    const fin = roomFinal[c.room]!;
    sum.expected += c.tracker.expected(fin);
    sum.lost += c.tracker.lost(fin);
    sum.duplicates += c.tracker.duplicates;
    sum.outOfOrder += c.tracker.outOfOrder;
    sum.preJoin += c.tracker.preJoin;
    sum.recovered += c.tracker.recovered;
  }
  return sum;
}
