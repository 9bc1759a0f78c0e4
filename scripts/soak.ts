/**
 * npm run soak -- [--minutes N] [--nodes K] [--clients C] [--rate R] [--out DIR]
 *
 * A long run against a local cluster (child processes, no HAProxy): connection churn,
 * room joins and leaves, typing and sends, with every node's RSS and JS heap sampled from
 * /metrics every few seconds into a CSV and a PNG chart. After a warm-up the memory must
 * stay flat: the verdict compares the floor (lowest sample, i.e. just after a GC) of the
 * first and the last quarter of the post-warm-up period.
 *
 * Needs a PostgreSQL and a Redis (DATABASE_URL, REDIS_URL; default the local ones); a fresh
 * database is created and dropped, and the Redis keys use a unique prefix.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { Redis } from "ioredis";
import { io, type Socket } from "socket.io-client";
import { REPO_ROOT, startCluster } from "./cluster/index.js";
import { lineChart, type Series } from "./soak/png.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "30" },
    nodes: { type: "string", default: "2" },
    clients: { type: "string", default: "200" },
    rate: { type: "string", default: "20" },
    "sample-seconds": { type: "string", default: "5" },
    "warmup-fraction": { type: "string", default: "0.2" },
    out: { type: "string", default: path.join(REPO_ROOT, "scripts/soak/reports") },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("Usage: npm run soak -- [--minutes 30] [--nodes 2] [--clients 200] [--rate 20] [--sample-seconds 5] [--out DIR]");
  process.exit(0);
}
const minutes = Number(values.minutes);
const nodesN = Number(values.nodes);
const target = Number(values.clients);
const rate = Number(values.rate);
const sampleMs = Number(values["sample-seconds"]) * 1000;
const warmupFraction = Number(values["warmup-fraction"]);
const ROOMS = Array.from({ length: 30 }, (_, i) => `soak-${i}`);

const baseDb = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const tag = randomBytes(3).toString("hex");
const dbName = `chat_soak_${tag}`;
const prefix = `soak-${tag}`;

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: baseDb });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

interface Sample {
  t: number;
  node: string;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  sockets: number;
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, "m").exec(text);
  return m ? Number(m[1]) : NaN;
}

const counters = { connects: 0, disconnects: 0, joins: 0, leaves: 0, sent: 0, acked: 0, errors: 0, received: 0 };
const errorCodes: Record<string, number> = {};
function fail(code: string): void {
  counters.errors++;
  errorCodes[code] = (errorCodes[code] ?? 0) + 1;
}

interface SoakClient {
  socket: Socket;
  rooms: Set<string>;
}

function pick<T>(a: T[]): T {
  return a[Math.floor(Math.random() * a.length)]!;
}

async function main(): Promise<void> {
  const url = new URL(baseDb);
  url.pathname = `/${dbName}`;
  await admin(`CREATE DATABASE ${dbName}`);
  const cluster = await startCluster({
    nodes: nodesN,
    haproxy: false,
    env: {
      DATABASE_URL: url.toString(),
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_SENDS: "1000000",
      EVENT_RATE_LIMIT: "0",
      LOG_LEVEL: "warn",
    },
  });
  const clients = new Set<SoakClient>();
  const samples: Sample[] = [];
  let stopping = false;
  const started = Date.now();

  function connectOne(): void {
    const node = pick(cluster.nodes);
    const socket = io(node.url, {
      auth: { username: `soak${Math.floor(Math.random() * 1000)}` },
      transports: Math.random() < 0.2 ? ["polling"] : ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    const c: SoakClient = { socket, rooms: new Set() };
    clients.add(c);
    socket.on("message:new", () => counters.received++);
    socket.on("connect", () => {
      counters.connects++;
      for (let i = 0; i < 2; i++) void join(c, pick(ROOMS));
    });
    socket.on("connect_error", (err) => {
      fail(`connect:${err.message}`);
      clients.delete(c);
      socket.close();
    });
    socket.on("disconnect", () => {
      counters.disconnects++;
      clients.delete(c);
    });
  }

  async function join(c: SoakClient, room: string): Promise<void> {
    const a = await c.socket.timeout(10_000).emitWithAck("room:join", { room }).catch(() => undefined);
    if (a?.ok) {
      c.rooms.add(room);
      counters.joins++;
    } else fail(`join:${a?.error?.code ?? "timeout"}`);
  }

  // Churn: every 500 ms close ~2% of the clients and top the population back up.
  const churn = setInterval(() => {
    for (const c of [...clients]) if (Math.random() < 0.02) c.socket.close();
    while (clients.size < target) connectOne();
    // Room churn: a few clients leave one room and join another.
    for (const c of [...clients]) {
      if (!c.socket.connected || c.rooms.size === 0 || Math.random() > 0.02) continue;
      const room = pick([...c.rooms]);
      c.rooms.delete(room);
      counters.leaves++;
      void c.socket.timeout(10_000).emitWithAck("room:leave", { room }).catch(() => undefined);
      void join(c, pick(ROOMS));
    }
  }, 500);

  // Sends (and a typing event with each) at `rate` per second.
  let n = 0;
  const sender = setInterval(() => {
    const ready = [...clients].filter((c) => c.socket.connected && c.rooms.size > 0);
    if (ready.length === 0) return;
    const c = pick(ready);
    const room = pick([...c.rooms]);
    counters.sent++;
    c.socket.emit("typing", { room, typing: true });
    c.socket
      .timeout(10_000)
      .emitWithAck("message:send", { room, body: `soak ${n} ${"x".repeat(Math.floor(Math.random() * 200))}`, clientId: `${tag}-${n++}` })
      .then((a: { ok: boolean; error?: { code: string } }) => (a.ok ? counters.acked++ : fail(`send:${a.error?.code}`)))
      .catch(() => fail("send:timeout"));
  }, 1000 / rate);

  async function sample(): Promise<void> {
    const t = (Date.now() - started) / 60_000;
    for (const node of cluster.nodes) {
      try {
        const text = await (await fetch(`${node.url}/metrics`)).text();
        samples.push({
          t,
          node: node.id,
          rss: metric(text, "process_resident_memory_bytes"),
          heapUsed: metric(text, "nodejs_heap_size_used_bytes"),
          heapTotal: metric(text, "nodejs_heap_size_total_bytes"),
          sockets: metric(text, "chat_connected_sockets"),
        });
      } catch {
        // a node that does not answer: no sample
      }
    }
    const last = samples.slice(-cluster.nodes.length);
    process.stderr.write(
      `[${t.toFixed(1)} min] clients ${clients.size} ${JSON.stringify(counters)} ` +
        last.map((s) => `${s.node} rss ${(s.rss / 2 ** 20).toFixed(0)}M heap ${(s.heapUsed / 2 ** 20).toFixed(0)}M`).join(" ") +
        "\n",
    );
  }
  const sampler = setInterval(() => void sample(), sampleMs);
  const onSignal = () => {
    stopping = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const end = started + minutes * 60_000;
  while (!stopping && Date.now() < end) await new Promise((r) => setTimeout(r, 1000));
  clearInterval(churn);
  clearInterval(sender);
  clearInterval(sampler);
  await sample();
  for (const c of clients) c.socket.close();
  await cluster.stop();
  await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();

  report(samples, cluster.nodes.map((x) => x.id));
}

function report(samples: Sample[], nodes: string[]): void {
  mkdirSync(values.out!, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const base = path.join(values.out!, `soak-${stamp}`);
  const csv = ["minutes,node,rss_bytes,heap_used_bytes,heap_total_bytes,connected_sockets"]
    .concat(samples.map((s) => `${s.t.toFixed(3)},${s.node},${s.rss},${s.heapUsed},${s.heapTotal},${s.sockets}`))
    .join("\n");
  writeFileSync(`${base}.csv`, `${csv}\n`);
  const colors: [number, number, number][] = [
    [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75],
  ];
  const series: Series[] = [];
  nodes.forEach((node, i) => {
    const mine = samples.filter((s) => s.node === node);
    series.push({ label: `${node} RSS`, color: colors[(2 * i) % colors.length]!, points: mine.map((s) => [s.t, s.rss / 2 ** 20]) });
    series.push({ label: `${node} HEAP`, color: colors[(2 * i + 1) % colors.length]!, points: mine.map((s) => [s.t, s.heapUsed / 2 ** 20]) });
  });
  writeFileSync(`${base}.png`, lineChart(`SOAK ${minutes} MIN: MEMORY PER NODE`, series, "MINUTES", "MB"));

  // Verdict: after warm-up, the floor of the last quarter vs the floor of the first quarter.
  const total = Math.max(...samples.map((s) => s.t));
  const warm = total * warmupFraction;
  const q = (total - warm) / 4;
  const lines: string[] = [];
  let flat = true;
  for (const node of nodes) {
    const mine = samples.filter((s) => s.node === node && s.t >= warm);
    const first = mine.filter((s) => s.t < warm + q);
    const last = mine.filter((s) => s.t >= total - q);
    for (const key of ["heapUsed", "rss"] as const) {
      const a = Math.min(...first.map((s) => s[key]));
      const b = Math.min(...last.map((s) => s[key]));
      const growth = (b - a) / a;
      // Generous: a leak of this workload's size (thousands of sockets churned) shows far more.
      if (growth > 0.25) flat = false;
      lines.push(`${node} ${key}: floor ${(a / 2 ** 20).toFixed(1)} MB -> ${(b / 2 ** 20).toFixed(1)} MB (${(growth * 100).toFixed(1)}%)`);
    }
  }
  const summary = [
    `soak: ${minutes} min, ${nodes.length} nodes, ${target} clients churning, ${rate} msg/s; warm-up ${warm.toFixed(1)} min`,
    `traffic: ${JSON.stringify(counters)}`,
    `errors by kind: ${JSON.stringify(errorCodes)} (send:not_joined is a send racing the same client's room:leave)`,
    ...lines,
    `verdict: ${flat ? "FLAT (growth after warm-up within 25%)" : "GROWING"}`,
    `written ${base}.csv and ${base}.png`,
  ].join("\n");
  writeFileSync(`${base}.txt`, `${summary}\n`);
  console.log(summary);
  process.exitCode = flat ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
