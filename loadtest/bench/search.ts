/**
 * SEARCH (`--only search`): messages:search over a large store, and what searching costs
 * other users' sends. chat-cluster only: the references store nothing to search.
 *
 * The store is seeded by PostgreSQL itself (search-seed.ts: `--search-messages`, default
 * 1,000,000, in 10 rooms), then three phases on a 2-node cluster with the server's default
 * search limits: search latency, one search at a time spread over 50 users; 10 users
 * sending 10 messages a second each, alone; the same sends while 20 more users search as
 * fast as they are allowed (a `rate_limited` answer's `retryAfterMs` is waited out).
 */
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { io, type Socket } from "socket.io-client";
import { Latency } from "../stats.js";
import { q, withNodes, type Row, type Scenario } from "./harness.js";
import { seedMessages, VOCABULARY } from "./search-seed.js";

const ROOMS = Array.from({ length: 10 }, (_, i) => `search-r${i}`);
/** The 20 most frequent words are in a large share of all messages; "matched" draws from the rest. */
const COMMON = 20;
const SENDERS = 10;
const SEND_RATE = 10;
const SEARCHERS = 20;

type Kind = "matched" | "prefix" | "unmatched" | "common";

function queryOf(kind: Kind, i: number): { query: string; room?: string } {
  const room = i % 2 === 0 ? ROOMS[i % ROOMS.length] : undefined;
  const word = VOCABULARY[COMMON + ((i * 7919) % (VOCABULARY.length - COMMON))]!;
  if (kind === "matched") return { query: word, room };
  if (kind === "prefix") return { query: word.slice(0, Math.max(3, word.length - 2)), room };
  if (kind === "common") return { query: VOCABULARY[i % 3]!, room };
  return { query: `zq${i.toString(36)}xv`, room };
}

function connect(url: string, username: string): Promise<Socket> {
  const s = io(url, { auth: { username }, transports: ["websocket"], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
}

interface Answer {
  ok: boolean;
  error?: { code: string; retryAfterMs?: number };
}

/** The ack and how long it took; an ack that never came counts as the error `no_ack`. */
async function timed(s: Socket, event: string, payload: unknown): Promise<{ answer: Answer; us: number }> {
  const t0 = performance.now();
  const answer = (await s
    .timeout(30_000)
    .emitWithAck(event, payload)
    .catch(() => ({ ok: false, error: { code: "no_ack" } }))) as Answer;
  return { answer, us: Math.round((performance.now() - t0) * 1000) };
}

export const SEARCH: Scenario = async (ctx) => {
  const messages = ctx.searchMessages ?? q(ctx, 1_000_000, 100_000);
  const perKind = q(ctx, 300, 100);
  const seconds = q(ctx, 20, 8);
  const name = `SEARCH (${messages.toLocaleString("en")} stored messages, 2 nodes)`;
  return withNodes(ctx, "chat", 2, async (nodes) => {
    const db = new pg.Client({ connectionString: ctx.databaseUrl });
    await db.connect();
    const t0 = performance.now();
    try {
      await seedMessages(db, { rooms: ROOMS, messages, progress: (n) => ctx.log(`  SEARCH seeded ${n} messages`) });
    } finally {
      await db.end();
    }
    const seedSeconds = (performance.now() - t0) / 1000;
    const sockets: Socket[] = [];
    const open = async (i: number, user: string) => {
      const s = await connect(nodes.urls[i % nodes.urls.length]!, user);
      sockets.push(s);
      return s;
    };
    try {
      // 1. Latency, one search at a time; 50 users keep each one under its limit.
      const readers = await Promise.all(Array.from({ length: 50 }, (_, i) => open(i, `reader${i}`)));
      const latency: Record<Kind, Latency> = { matched: new Latency(), prefix: new Latency(), unmatched: new Latency(), common: new Latency() };
      const failed: Record<string, number> = {};
      let n = 0;
      // Warm-up, not measured: the first reads after seeding bring the index into memory.
      for (let i = 0; i < 20; i++) await timed(readers[i]!, "messages:search", queryOf(i % 2 ? "matched" : "unmatched", perKind + i));
      for (let i = 0; i < perKind; i++) {
        for (const kind of ["matched", "prefix", "unmatched", "common"] as Kind[]) {
          if (kind === "common" && i >= perKind / 5) continue;
          const { answer, us } = await timed(readers[n++ % readers.length]!, "messages:search", queryOf(kind, i));
          if (answer.ok) latency[kind].recordUs(us);
          else failed[answer.error!.code] = (failed[answer.error!.code] ?? 0) + 1;
        }
      }
      ctx.log(`  SEARCH latency: ${JSON.stringify(Object.fromEntries(Object.entries(latency).map(([k, l]) => [k, l.summary()])))}`);

      // 2 and 3. Sends alone, then with 20 searchers.
      const senders = await Promise.all(Array.from({ length: SENDERS }, (_, i) => open(i, `sender${i}`)));
      await Promise.all(senders.map((s, i) => s.emitWithAck("room:join", { room: `search-send${i}` })));
      const searchers = await Promise.all(Array.from({ length: SEARCHERS }, (_, i) => open(i, `searcher${i}`)));
      const sendPhase = async (label: string, withSearchers: boolean) => {
        const acks = new Latency();
        const errors: Record<string, number> = {};
        const outcomes: Record<string, number> = {};
        const end = performance.now() + seconds * 1000;
        const search = async (s: Socket, who: number) => {
          for (let i = who; performance.now() < end; i += SEARCHERS) {
            const kind = (["matched", "prefix", "unmatched", "common"] as Kind[])[i % 4]!;
            const { answer } = await timed(s, "messages:search", queryOf(kind, i));
            const outcome = answer.ok ? "ok" : answer.error!.code;
            outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
            if (answer.error?.retryAfterMs) await sleep(Math.min(answer.error.retryAfterMs, end - performance.now()));
          }
        };
        const send = async (s: Socket, who: number) => {
          for (let i = 0; performance.now() < end; i++) {
            const due = performance.now() + 1000 / SEND_RATE;
            const { answer, us } = await timed(s, "message:send", { room: `search-send${who}`, body: `${label} ${i} from sender ${who}`, clientId: `${label}-${i}` });
            if (answer.ok) acks.recordUs(us);
            else errors[answer.error!.code] = (errors[answer.error!.code] ?? 0) + 1;
            await sleep(Math.max(0, due - performance.now()));
          }
        };
        await Promise.all([...senders.map(send), ...(withSearchers ? searchers.map(search) : [])]);
        const s = acks.summary();
        ctx.log(`  SEARCH ${label}: send ack p50 ${s.p50Ms} ms p99 ${s.p99Ms} ms (${s.count} acked), errors ${JSON.stringify(errors)}, searches ${JSON.stringify(outcomes)}`);
        return { ack: s, errors, outcomes };
      };
      const alone = await sendPhase("alone", false);
      const busy = await sendPhase("searching", true);

      const rows: Row[] = [];
      const row = (metric: string, chat: number | undefined, target?: string) => rows.push({ scenario: name, metric, chat, target });
      const kinds: [Kind, string][] = [
        ["matched", `a word outside the ${COMMON} most common`],
        ["prefix", "a prefix of such a word"],
        ["unmatched", "a word in no message"],
        ["common", "one of the 3 most common words"],
      ];
      for (const [kind, what] of kinds) {
        const s = latency[kind].summary();
        row(`search p50, ${what} (ms)`, s.p50Ms, kind === "common" ? undefined : "≤ 20");
        row(`search p99, ${what} (ms)`, s.p99Ms, kind === "common" ? undefined : "≤ 100");
      }
      row("search errors (latency phase)", Object.values(failed).reduce((a, b) => a + b, 0));
      row(`send ack p99, ${SENDERS} users × ${SEND_RATE} msg/s, nobody searching (ms)`, alone.ack.p99Ms);
      row(`send ack p99, the same with ${SEARCHERS} users searching as fast as allowed (ms)`, busy.ack.p99Ms, "≤ 50");
      row("send errors while searching", Object.values(busy.errors).reduce((a, b) => a + b, 0));
      row("searches answered ok while searching (per s)", (busy.outcomes.ok ?? 0) / seconds);
      const notes = [
        `SEARCH: ${messages.toLocaleString("en")} messages of 6-15 words from a ${VOCABULARY.length}-word vocabulary, seeded by INSERT ... SELECT in ` +
          `${seedSeconds.toFixed(0)} s; half the searches name one of the ${ROOMS.length} rooms, half search every room; ` +
          `${perKind} searches per kind, one at a time (the 3 most common words ${Math.ceil(perKind / 5)} times). ` +
          `While searching: ${JSON.stringify(busy.outcomes)} answers to the searchers, send errors ${JSON.stringify(busy.errors)}.`,
      ];
      return { rows, notes, raw: { messages, seedSeconds, latency: Object.fromEntries(Object.entries(latency).map(([k, l]) => [k, l.summary()])), failed, alone, busy } };
    } finally {
      for (const s of sockets) s.close();
    }
  });
};
