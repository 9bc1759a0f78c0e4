/**
 * A room's outgoing messages: written here and not yet stored by the server, pending or
 * failed, in the order they were written. RoomLog (roomLog.ts) holds one; the sending
 * itself is outbox.ts's.
 */
import type { UploadedFile } from "./attachments.js";
import type { ClientError } from "./format.js";

export type SendStatus = "pending" | "failed";

export interface Outgoing {
  clientId: string;
  body: string;
  status: SendStatus;
  error?: ClientError;
  /** When the person pressed Enter (ISO-8601), to order and show the bubble. */
  createdAt: string;
  /** Send attempts so far; a retry reuses the clientId. */
  attempts: number;
  /** Rate-limited: sent again by itself at this time (epoch ms). */
  retryAt?: number;
  /** A reply: its thread's root (sent as `threadOf`). */
  threadOf?: number;
  /** Files uploaded for it, linked by `attachments` when it is sent. */
  files?: UploadedFile[];
}

export class OutgoingQueue {
  /** Outgoing messages not yet stored, in the order they were written. */
  private readonly items = new Map<string, Outgoing>();

  /** `changed`: the log's, so views re-render. */
  constructor(private readonly changed: () => void) {}

  /** The message with that clientId was stored (its ack or its own `message:new`). */
  delete(clientId: string | undefined): boolean {
    return clientId !== undefined && this.items.delete(clientId);
  }

  addOutgoing(clientId: string, body: string, now: Date, threadOf?: number): Outgoing {
    const o: Outgoing = { clientId, body, status: "pending", createdAt: now.toISOString(), attempts: 0 };
    if (threadOf !== undefined) o.threadOf = threadOf;
    this.items.set(clientId, o);
    this.changed();
    return o;
  }

  /** Marks a send attempt started (pending). Returns the entry, or undefined if it is settled. */
  attempt(clientId: string): Outgoing | undefined {
    const o = this.items.get(clientId);
    if (!o) return undefined;
    o.status = "pending";
    o.error = undefined;
    o.retryAt = undefined;
    o.attempts++;
    this.changed();
    return o;
  }

  /** Puts a failed message back in the queue (a retry keeps its clientId and its place). */
  requeue(clientId: string) {
    const o = this.items.get(clientId);
    if (!o || o.status === "pending") return;
    o.status = "pending";
    o.error = undefined;
    this.changed();
  }

  /** The server said `rate_limited`: still pending, sent again at `at` (epoch ms). */
  waitOutgoing(clientId: string, at: number) {
    const o = this.items.get(clientId);
    if (!o) return;
    o.status = "pending";
    o.retryAt = at;
    this.changed();
  }

  failOutgoing(clientId: string, error: ClientError) {
    const o = this.items.get(clientId);
    if (!o) return;
    o.status = "failed";
    o.error = error;
    this.changed();
  }

  discardOutgoing(clientId: string) {
    if (this.items.delete(clientId)) this.changed();
  }

  outgoing(): Outgoing[] {
    return [...this.items.values()];
  }
}
