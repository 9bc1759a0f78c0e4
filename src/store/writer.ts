/**
 * The write path: appends messages to room logs with group commit.
 *
 * Sends that arrive while a batch is being written wait and go together into the next
 * transaction: one lock, one seq allocation and one INSERT per batch, whatever its size.
 *
 * Why positions stay contiguous and are never filled in behind a reader: a writer locks the
 * room's row (`SELECT ... FOR UPDATE`) before it reads `last_seq`, and holds the lock until it
 * commits. Writers of one room, on any node, therefore commit one after another in seq order,
 * and a message is broadcast only after its commit: whoever sees seq N can already read every
 * position below N.
 */
import { mentionTargets, type Message } from "../shared/protocol.js";
import type { Db, Queryable } from "./db.js";
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from "./rows.js";

export interface AppendRequest {
  room: string;
  user: string;
  body: string;
  clientId: string;
}
export interface AppendResult {
  message: Message;
  /** false when the (room, user, clientId) was stored before: nothing new to broadcast. */
  created: boolean;
}

export interface WriterOptions {
  /** Largest number of messages in one transaction. @default 500 */
  maxBatch?: number;
  /** Transactions in flight at once; rooms are locked in name order, so they never deadlock. @default 2 */
  concurrency?: number;
  /** Called with each transaction's duration and size. */
  onBatch?: (seconds: number, size: number, ok: boolean) => void;
}

interface Pending extends AppendRequest {
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

const keyOf = (r: AppendRequest) => `${r.room}\u0000${r.user}\u0000${r.clientId}`;

export class MessageWriter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private readonly busyRooms = new Set<string>();
  private idle: (() => void)[] = [];
  private readonly maxBatch: number;
  private readonly concurrency: number;

  constructor(
    private readonly db: Db,
    private readonly opts: WriterOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 500;
    this.concurrency = opts.concurrency ?? 2;
  }

  /** Resolves after the message is committed. */
  append(req: AppendRequest): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...req, resolve, reject });
      this.pump();
    });
  }

  /**
   * The next batch: queued appends, oldest first, skipping rooms that a running batch
   * holds. A room is never in two batches at once, so one node writes each room's
   * messages in the order they arrived (a sender's messages keep their order), and its
   * own batches never wait for each other's room locks.
   */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    for (const p of this.queue) {
      if (batch.length < this.maxBatch && !this.busyRooms.has(p.room)) batch.push(p);
      else rest.push(p);
    }
    this.queue = rest;
    return batch;
  }

  /** Resolves when every accepted append has finished. */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.concurrency) {
      const batch = this.takeBatch();
      if (batch.length === 0) return; // every queued room is in a batch already
      const rooms = new Set(batch.map((p) => p.room));
      for (const r of rooms) this.busyRooms.add(r);
      this.inFlight++;
      void this.run(batch).finally(() => {
        for (const r of rooms) this.busyRooms.delete(r);
        this.inFlight--;
        this.pump();
        if (this.queue.length === 0 && this.inFlight === 0) {
          for (const f of this.idle.splice(0)) f();
        }
      });
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    const started = performance.now();
    try {
      const results = await this.db.transaction((tx) => writeBatch(tx, batch));
      this.opts.onBatch?.((performance.now() - started) / 1000, batch.length, true);
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (err) {
      this.opts.onBatch?.((performance.now() - started) / 1000, batch.length, false);
      for (const p of batch) p.reject(err);
    }
  }
}

/** One transaction: lock the rooms, find retried clientIds, allocate positions, insert. */
async function writeBatch(tx: Queryable, batch: AppendRequest[]): Promise<AppendResult[]> {
  const rooms = [...new Set(batch.map((b) => b.room))].sort();
  let locked = await lockRooms(tx, rooms);
  if (locked.size < rooms.length) {
    // A room that nobody joined through this database yet (rare: join creates it).
    await tx.query("INSERT INTO rooms (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", [
      rooms.filter((r) => !locked.has(r)),
    ]);
    locked = await lockRooms(tx, rooms);
  }

  // Retries of messages stored earlier. Checked under the room locks, so no other writer
  // can be inserting the same key at the same time.
  const existing = new Map<string, Message>();
  const found = await tx.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages
      WHERE (room, user_name, client_id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`,
    [batch.map((b) => b.room), batch.map((b) => b.user), batch.map((b) => b.clientId)],
  );
  for (const row of found) existing.set(keyOf({ room: row.room, user: row.user_name, clientId: row.client_id, body: "" }), toMessage(row));

  const next = new Map(locked);
  const fresh: (AppendRequest & { seq: number })[] = [];
  const freshByKey = new Map<string, number>();
  const plan = batch.map((b) => {
    const key = keyOf(b);
    if (existing.has(key)) return { kind: "old" as const, key };
    let idx = freshByKey.get(key);
    if (idx === undefined) {
      const seq = next.get(b.room)! + 1;
      next.set(b.room, seq);
      idx = fresh.push({ ...b, seq }) - 1;
      freshByKey.set(key, idx);
      return { kind: "new" as const, idx };
    }
    return { kind: "dup" as const, idx };
  });

  const inserted: Message[] = [];
  if (fresh.length > 0) {
    const rows = await tx.query<MessageRow>(
      `INSERT INTO messages (room, seq, user_name, body, client_id)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[])
       RETURNING ${MESSAGE_COLUMNS}`,
      [fresh.map((f) => f.room), fresh.map((f) => f.seq), fresh.map((f) => f.user), fresh.map((f) => f.body), fresh.map((f) => f.clientId)],
    );
    const bySeq = new Map(rows.map((r) => [`${r.room}\u0000${r.seq}`, toMessage(r)]));
    for (const f of fresh) inserted.push(bySeq.get(`${f.room}\u0000${f.seq}`)!);
    const mentions = fresh.flatMap((f) => mentionTargets(f.room, f.user, f.body).map((u) => [u, f.room, f.seq] as const));
    if (mentions.length > 0) {
      await tx.query(
        "INSERT INTO mentions (user_name, room, seq) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING",
        [mentions.map((m) => m[0]), mentions.map((m) => m[1]), mentions.map((m) => m[2])],
      );
    }
    const changed = rooms.filter((r) => next.get(r) !== locked.get(r));
    await tx.query(
      `UPDATE rooms SET last_seq = v.last_seq, last_message_at = now()
         FROM unnest($1::text[], $2::bigint[]) AS v(name, last_seq) WHERE rooms.name = v.name`,
      [changed, changed.map((r) => next.get(r))],
    );
  }

  return plan.map((p) => {
    if (p.kind === "old") return { message: existing.get(p.key)!, created: false };
    return { message: inserted[p.idx]!, created: p.kind === "new" };
  });
}

async function lockRooms(tx: Queryable, rooms: string[]): Promise<Map<string, number>> {
  const rows = await tx.query<{ name: string; last_seq: number }>(
    "SELECT name, last_seq FROM rooms WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE",
    [rooms],
  );
  return new Map(rows.map((r) => [r.name, r.last_seq]));
}
