/**
 * The write path: appends messages to room logs with group commit.
 *
 * Sends that arrive while a batch is being written wait and go together into the next
 * batch: one statement, one lock, one seq allocation and one INSERT per batch, whatever
 * its size.
 *
 * Why positions stay contiguous and are never filled in behind a reader: a writer locks the
 * room's row (`SELECT ... FOR UPDATE`) before it reads `last_seq`, and holds the lock until it
 * commits. Writers of one room, on any node, therefore commit one after another in seq order,
 * and a message is broadcast only after its commit: whoever sees seq N can already read every
 * position below N.
 */
import { mentionTargets, type Message } from "../shared/protocol.js";
import { prepared, type Db, type Prepared, type Queryable } from "./db.js";
import { toMessage, type MessageRow, type StoredAttachment } from "./rows.js";

export interface AppendRequest {
  room: string;
  user: string;
  body: string;
  clientId: string;
  /** A reply: the `seq` it answers (a reply's seq attaches to that reply's root). */
  threadOf?: number;
  /** Uploads this send has claimed (chat/attachments.ts), kept with the message. */
  attachments?: StoredAttachment[];
}
export interface AppendResult {
  message: Message;
  /** false when the (room, user, clientId) was stored before: nothing new to broadcast. */
  created: boolean;
  /** A new reply's root after the reply: its change takes the position after the reply. */
  root?: { message: Message; updateSeq: number };
}

/** A reply whose parent or root does not exist or is deleted: nothing was stored. */
export class MissingThreadRoot extends Error {
  override name = "MissingThreadRoot";
}

/** The call each batch's statement makes (sql/functions/chat_append_messages.sql). */
export const APPEND_BATCH =
  "chat_append_messages($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::bigint[], $8::jsonb[])";

/**
 * A read another module adds to every batch, in the batch's transaction after
 * chat_append_messages has locked its rooms: it sees every commit that came before the locks,
 * and whatever commits later under one of those locks waits for the batch's commit. node.ts
 * passes one only for a module that is on; without one the statement is APPEND_BATCH alone.
 */
export interface AfterLockRead {
  /**
   * The batch's statement with the read: APPEND_BATCH's rows in its order, each with a
   * boolean `after_lock`. The read must take its input from those rows (so it runs after the
   * locks) and query through a VOLATILE function (so with a snapshot taken then: the
   * statement's own was taken before the locks). Example: store/legacy-rooms.ts.
   */
  readonly statement: string;
  /** Each stored (or retried) append, with its row's `after_lock`; before the append resolves. */
  seen(result: AppendResult, afterLock: boolean): void;
}

export interface WriterOptions {
  /** Largest number of messages in one transaction. @default 500 */
  maxBatch?: number;
  /** Batches in flight at once; rooms are locked in name order, so they never deadlock. @default 2 */
  concurrency?: number;
  /** Called with each transaction's duration and size. */
  onBatch?: (seconds: number, size: number, ok: boolean) => void;
  /** What another module reads in each batch after the room locks; none by default. */
  afterLock?: AfterLockRead;
}

interface Pending extends AppendRequest {
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

export class MessageWriter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private readonly busyRooms = new Set<string>();
  private idle: (() => void)[] = [];
  private readonly maxBatch: number;
  private readonly concurrency: number;
  private readonly statement: Prepared;

  constructor(
    private readonly db: Db,
    private readonly opts: WriterOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 500;
    this.concurrency = opts.concurrency ?? 2;
    // Prepared (db.ts): the after-lock read's wrapper is planned once per connection, not per batch.
    this.statement = prepared(opts.afterLock?.statement ?? `SELECT * FROM ${APPEND_BATCH}`);
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
      const results = await writeBatch(this.db, this.statement, batch);
      this.opts.onBatch?.((performance.now() - started) / 1000, batch.length, true);
      batch.forEach((p, i) => {
        const r = results[i]!;
        if (r === "refused") {
          p.reject(new MissingThreadRoot(`${p.room} has no message ${p.threadOf} to reply to`));
        } else {
          this.opts.afterLock?.seen(r.result, r.afterLock);
          p.resolve(r.result);
        }
      });
    } catch (err) {
      this.opts.onBatch?.((performance.now() - started) / 1000, batch.length, false);
      for (const p of batch) p.reject(err);
    }
  }
}

/** SQLSTATE chat_append_messages raises when a room of the batch does not exist yet. */
const MISSING_ROOMS = "CH001";

interface AppendRow {
  i: number;
  seq: number;
  created: boolean;
  body: string;
  created_at: Date | string;
  edited_at: Date | string | null;
  deleted: boolean;
  update_seq: number | null;
  reactions: Record<string, string[]> | null;
  thread_of: number | null;
  reply_count: number;
  last_reply_at: Date | string | null;
  repliers: string[] | null;
  refused: boolean;
  root: MessageRow | null;
  attachments: StoredAttachment[] | null;
  /** The AfterLockRead's answer for this row (absent without one). */
  after_lock?: boolean;
}

/**
 * One batch in one statement (`chat_append_messages`, sql/functions/chat_append_messages.sql): lock
 * the rooms, find retried clientIds, allocate positions, insert the messages and their
 * mentions, move last_seq. It runs as its own transaction, so the room locks last only as
 * long as the database works, not across round trips to this node.
 */
async function writeBatch(
  db: Queryable,
  statement: Prepared,
  batch: AppendRequest[],
): Promise<({ result: AppendResult; afterLock: boolean } | "refused")[]> {
  const mentionIdx: number[] = [];
  const mentionUser: string[] = [];
  batch.forEach((b, k) => {
    for (const u of mentionTargets(b.room, b.user, b.body)) {
      mentionIdx.push(k + 1);
      mentionUser.push(u);
    }
  });
  const rooms = batch.map((b) => b.room);
  const call = () =>
    db.query<AppendRow>(statement, [
      rooms,
      batch.map((b) => b.user),
      batch.map((b) => b.body),
      batch.map((b) => b.clientId),
      mentionIdx,
      mentionUser,
      batch.map((b) => b.threadOf ?? null),
      batch.map((b) => (b.attachments?.length ? JSON.stringify(b.attachments) : null)),
    ]);
  let rows: AppendRow[];
  try {
    rows = await call();
  } catch (err) {
    if ((err as { code?: string }).code !== MISSING_ROOMS) throw err;
    // Create them in a statement of their own, holding no other lock, then try again.
    await db.query("INSERT INTO rooms (name) SELECT DISTINCT unnest($1::text[]) ON CONFLICT DO NOTHING", [rooms]);
    rows = await call();
  }
  return rows.map((r, k) => {
    const b = batch[k]!;
    if (r.refused) return "refused";
    const message = toMessage({
      room: b.room,
      seq: r.seq,
      user_name: b.user,
      body: r.body,
      client_id: b.clientId,
      created_at: r.created_at,
      edited_at: r.edited_at,
      deleted: r.deleted,
      update_seq: r.update_seq,
      reactions: r.reactions,
      thread_of: r.thread_of,
      reply_count: r.reply_count,
      last_reply_at: r.last_reply_at,
      repliers: r.repliers,
      attachments: r.attachments,
    });
    // The root's change has the position right after this reply (chat_append_messages).
    const root = r.root ? { message: toMessage(r.root), updateSeq: r.seq + 1 } : undefined;
    return { result: { message, created: r.created, root }, afterLock: r.after_lock === true };
  });
}
