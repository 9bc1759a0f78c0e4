/**
 * Chaos harness: many gap-filling Readers spread over a cluster's nodes, a paced stream of
 * sends (each retried with its clientId until acked, as the contract allows), and a final
 * audit against PostgreSQL. Processes it starts itself: redis-server and a private
 * PostgreSQL (initdb + pg_ctl as the postgres user), so that the shared ones are never hurt.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import pg from "pg";
import { startCluster, type Cluster } from "../../scripts/cluster/index.js";
import { call, closeAll, eventually, sleep } from "../helpers/client.js";
import { clusterEnv } from "../helpers/node.js";
import { Reader } from "../helpers/reader.js";

/** CHAOS_LONG=1 (npm run test:chaos) runs the big variants; npm test runs short ones. */
export const LONG = process.env.CHAOS_LONG === "1";

export interface Shape {
  clients: number;
  rooms: number;
  /** Messages per second, in total. */
  rate: number;
}

export function shape(short: Shape, long: Shape): Shape {
  return LONG ? long : short;
}

/** No HAProxy: Traffic spreads readers over the nodes itself. Sends unlimited: the stream outruns a user's limit. */
export function startChaosCluster(nodes: number, databaseUrl: string, prefix: string, extra: Record<string, string>): Promise<Cluster> {
  return startCluster({ nodes, haproxy: false, env: clusterEnv(databaseUrl, prefix, { RATE_LIMIT_SENDS: "1000000", ...extra }) });
}

/** Traffic in `rooms` rooms `${roomLabel}-0..`; readers go to whichever nodes are running. */
export function clusterTraffic(label: string, roomLabel: string, rooms: number, cluster: Cluster): Traffic {
  const names = Array.from({ length: rooms }, (_, i) => `${roomLabel}-${i}`);
  return new Traffic(label, names, () => cluster.nodes.filter((n) => n.running).map((n) => n.url));
}

/** The chaos tests' cleanup: readers stop first, so none reconnects while the nodes go down. */
export async function stopChaos(traffic: Traffic | undefined, cluster: Cluster | undefined): Promise<void> {
  traffic?.stopReaders();
  closeAll();
  await cluster?.stop();
}

export interface Acked {
  room: string;
  seq: number;
  user: string;
  clientId: string;
}

/** Traffic over readers: who joined where, what was sent and acked, which errors came back. */
export class Traffic {
  readonly readers: Reader[] = [];
  readonly acked = new Map<string, Acked>();
  readonly failures = new Map<string, number>();
  /** ok acks received while `window` was open (set by the PostgreSQL test). */
  sent = 0;
  private pending = new Set<Promise<void>>();
  private sending = false;
  private loop: Promise<void> | undefined;
  private seq = 0;
  /** Called with each ack (ok or not) and the time it came back. */
  onAck: ((ack: { ok: boolean; code?: string; clientId: string }) => void) | undefined;

  constructor(
    readonly label: string,
    readonly rooms: string[],
    private readonly urls: () => string[],
  ) {}

  roomOf(i: number): string {
    return this.rooms[i % this.rooms.length]!;
  }

  /** Connects `n` readers, each in one room, spread over the nodes; 25 at a time. */
  async connect(n: number): Promise<void> {
    for (let i = 0; i < n; i += 25) {
      const batch: Reader[] = [];
      for (let j = i; j < Math.min(n, i + 25); j++) {
        batch.push(new Reader(`${this.label}${j}`, this.urls, [this.roomOf(j)], j));
      }
      await Promise.all(batch.map((r) => r.start()));
      this.readers.push(...batch);
    }
  }

  /** Starts sending `rate` messages per second from the readers, round robin. */
  start(rate: number, retryForMs = 60_000): void {
    this.sending = true;
    const gap = 1000 / rate;
    this.loop = (async () => {
      const began = Date.now();
      for (let k = 0; this.sending; k++) {
        const r = this.readers[k % this.readers.length]!;
        const p = this.sendOne(r, retryForMs).finally(() => this.pending.delete(p));
        this.pending.add(p);
        const next = began + (k + 1) * gap;
        await sleep(Math.max(0, next - Date.now()));
      }
    })();
  }

  /** Stops new sends and waits for those in flight to be acked (or to give up). */
  async stop(): Promise<void> {
    this.sending = false;
    await this.loop;
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async sendOne(r: Reader, retryForMs: number): Promise<void> {
    const clientId = `${this.label}-${++this.seq}`;
    const room = r.rooms[0]!;
    this.sent++;
    const end = Date.now() + retryForMs;
    while (Date.now() < end) {
      const s = r.socket;
      if (s?.connected) {
        const a = await call(s, "message:send", { room, body: `chaos ${clientId}`, clientId }, 5000).catch(() => undefined);
        if (a) this.onAck?.({ ok: a.ok, code: a.ok ? undefined : a.error?.code, clientId });
        if (a?.ok) {
          assert.equal(a.message.clientId, clientId);
          this.acked.set(clientId, { room, seq: a.message.seq, user: r.user, clientId });
          return;
        }
        const code = a ? String(a.error?.code) : "no_ack";
        this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
      }
      await sleep(150 + Math.random() * 150);
    }
  }

  stopReaders(): void {
    for (const r of this.readers) r.stop();
  }

  /**
   * The audit. Every acked message is in PostgreSQL at its acked position, stored once;
   * every reader (all survive: they move to live nodes) holds 1..top of its room without a
   * gap, each entry equal to the stored one, so each acked message exactly once. Prints one
   * summary line and returns the counts.
   */
  async audit(dbUrl: string, name: string, timeoutMs = 60_000): Promise<{ sent: number; acked: number; delivered: number; lost: number; duplicated: number }> {
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    let rows: { room: string; seq: string; user_name: string; client_id: string }[];
    try {
      rows = (
        await c.query("SELECT room, seq, user_name, client_id FROM messages WHERE room = ANY($1) ORDER BY room, seq", [this.rooms])
      ).rows;
    } finally {
      await c.end();
    }
    const stored = new Map<string, Map<number, string>>(); // room -> seq -> user/clientId
    const byClient = new Map<string, number>();
    for (const row of rows) {
      if (!stored.has(row.room)) stored.set(row.room, new Map());
      stored.get(row.room)!.set(Number(row.seq), `${row.user_name}/${row.client_id}`);
      const k = `${row.room}/${row.user_name}/${row.client_id}`;
      byClient.set(k, (byClient.get(k) ?? 0) + 1);
    }
    let lost = 0;
    let duplicated = [...byClient.values()].filter((n) => n > 1).length;
    const problems: string[] = [];
    for (const a of this.acked.values()) {
      if (stored.get(a.room)?.get(a.seq) !== `${a.user}/${a.clientId}`) {
        lost++;
        if (problems.length < 5) problems.push(`acked ${a.clientId} at ${a.room}#${a.seq} not stored there`);
      }
    }
    // Readers catch up to the room's stored top (they fetch gaps themselves).
    const top = (room: string) => Math.max(0, ...(stored.get(room)?.keys() ?? []));
    const deadline = Date.now() + timeoutMs;
    for (const r of this.readers) {
      const room = r.rooms[0]!;
      const want = top(room);
      while (r.contiguous(room) < want && Date.now() < deadline) {
        if (r.socket?.connected) await r.sync(room);
        await sleep(100);
      }
    }
    let delivered = 0;
    for (const r of this.readers) {
      const room = r.rooms[0]!;
      const log = r.log.get(room)!;
      const seen = new Map<string, number>();
      for (const m of log.values()) {
        const k = `${m.user}/${m.clientId}`;
        seen.set(k, (seen.get(k) ?? 0) + 1);
        if (stored.get(room)?.get(m.seq) !== k) {
          duplicated++;
          if (problems.length < 5) problems.push(`${r.user} holds ${k} at ${room}#${m.seq}, stored: ${stored.get(room)?.get(m.seq)}`);
        }
      }
      duplicated += [...seen.values()].filter((n) => n > 1).length;
      for (const a of this.acked.values()) {
        if (a.room !== room) continue;
        if (log.get(a.seq)?.clientId === a.clientId) delivered++;
        else {
          lost++;
          if (problems.length < 5) problems.push(`${r.user} lacks ${a.clientId} (${room}#${a.seq}); has 1..${r.contiguous(room)}`);
        }
      }
      const seqs = r.seqs(room);
      if (seqs.length !== r.contiguous(room)) problems.push(`${r.user}: gaps in ${room}`);
    }
    const fails = [...this.failures].map(([k, v]) => `${k}=${v}`).join(" ");
    console.log(
      `CHAOS ${name}: sent ${this.sent}, acked ${this.acked.size}, delivered ${delivered}, lost ${lost}, duplicated ${duplicated}` +
        ` (readers ${this.readers.length}, rooms ${this.rooms.length}, retried failures: ${fails || "none"})`,
    );
    assert.deepEqual(problems, [], problems.join("\n"));
    assert.equal(lost, 0);
    assert.equal(duplicated, 0);
    return { sent: this.sent, acked: this.acked.size, delivered, lost, duplicated };
  }

  /** Each room's `members` (asked on a live node) is exactly the users of its readers. */
  async assertPresence(timeoutMs = 20_000): Promise<void> {
    for (const room of this.rooms) {
      const want = this.readers.filter((r) => r.rooms[0] === room).map((r) => r.user).sort();
      const asker = this.readers.find((r) => r.rooms[0] === room)!;
      let last: string[] = [];
      await eventually(async () => {
        const s = asker.socket;
        if (!s?.connected) return false;
        const j = await call(s, "room:join", { room, since: 1e9 }).catch(() => undefined);
        last = j?.ok ? [...(j.members as string[])].sort() : [];
        return JSON.stringify(last) === JSON.stringify(want);
      }, timeoutMs, `presence of ${room}: want ${want.length} members, have ${last.length}`);
    }
  }

  /** Every reader is connected at the end. */
  async assertAllConnected(timeoutMs = 20_000): Promise<void> {
    await eventually(() => this.readers.every((r) => r.socket?.connected), timeoutMs, "every reader connected");
  }
}

export { startRedis } from "../helpers/redis.js";

export async function killProcess(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(signal);
  await exited;
}

export { PrivatePostgres } from "../helpers/postgres.js";
