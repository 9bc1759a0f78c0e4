/**
 * File attachments (docs/protocol.md, attachments): uploads streamed into the configured
 * store with their limits, the link to a message at send time, downloads, and the sweep
 * that removes what no message kept. http/files.ts is its HTTP face; messages.ts and
 * rich.ts call `claim`/`linked` and `purgeSoon`.
 */
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import type { AttachmentsConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { dmParticipants, isWellFormedText, type UploadResult } from "../shared/protocol.js";
import * as records from "../store/attachments.js";
import type { Db } from "../store/db.js";
import type { StoredAttachment } from "../store/rows.js";
import { postgresStore, type BlobStore, type StoreKind } from "../store/blobs/store.js";
import { s3Store } from "../store/blobs/s3.js";
import { mayAccess } from "./access.js";
import { ChatError } from "./errors.js";
import { sniffType, thumbnail } from "./file-types.js";

/** An upload never linked to a message within this time is removed. */
export const UNLINKED_TTL_MS = 60 * 60 * 1000;
/** Bytes read before the type is decided: enough for file-type to look inside office files. */
const SNIFF_BYTES = 64 * 1024;

export interface AttachmentsDeps {
  config: AttachmentsConfig;
  /** The primary database, once the node has connected (undefined before). */
  db: () => Db | undefined;
  log: Logger;
  /** MESSAGE_RETENTION_DAYS: the files of expired messages go with them. */
  retentionDays?: number;
}

export class Attachments {
  private readonly inFlight = new Map<string, number>();
  private readonly stores: Partial<Record<StoreKind, BlobStore>> = {};
  private sweeping: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: AttachmentsDeps) {
    this.stores.postgres = postgresStore({ query: (sql, params) => this.db().query(sql, params) });
    const s3 = deps.config.s3;
    if (s3) this.stores.s3 = s3Store({ ...s3, prefix: "attachments/" });
  }

  get config(): AttachmentsConfig {
    return this.deps.config;
  }

  private db(): Db {
    const db = this.deps.db();
    if (!db) throw Object.assign(new Error("database not connected yet"), { code: "ECONNREFUSED" });
    return db;
  }

  private store(kind: StoreKind): BlobStore {
    const s = this.stores[kind];
    if (!s) throw new Error(`attachment store ${kind} is not configured (S3_BUCKET)`);
    return s;
  }

  /** Members only: a DM's two users; a public room's users who joined it. */
  async assertMember(user: string, room: string): Promise<void> {
    const ok = dmParticipants(room) ? mayAccess(user, room) : await records.isMember(this.db(), user, room);
    if (!ok) throw new ChatError("forbidden", "only members of the room may upload or download its files");
  }

  /** Counts an upload in progress for the user on this node, or refuses it; call the result when done. */
  enter(user: string): () => void {
    const max = this.config.maxInFlightPerUser;
    const n = this.inFlight.get(user) ?? 0;
    if (max > 0 && n >= max) throw new ChatError("rate_limited", `at most ${max} uploads at once`, 1000);
    this.inFlight.set(user, n + 1);
    return () => {
      const left = (this.inFlight.get(user) ?? 1) - 1;
      if (left > 0) this.inFlight.set(user, left);
      else this.inFlight.delete(user);
    };
  }

  /** The bytes the user may still upload now: the size cap, lowered by the day's quota. */
  async allowance(user: string): Promise<{ cap: number; byQuota: boolean }> {
    const { maxUploadBytes: max, quotaBytesPerDay: quota } = this.config;
    if (quota === 0) return { cap: max, byQuota: false };
    const left = quota - (await records.usedToday(this.db(), user));
    if (left <= 0) throw quotaError();
    return left < max ? { cap: left, byQuota: true } : { cap: max, byQuota: false };
  }

  /**
   * Streams one file into the store. The type is sniffed from its first bytes before any is
   * stored; past `cap` the stream is cut off. On any failure nothing is kept.
   */
  async upload(user: string, room: string, rawName: string | undefined, file: Readable, allowance: { cap: number; byQuota: boolean }): Promise<UploadResult> {
    const db = this.db();
    const id = randomBytes(16).toString("base64url");
    const name = cleanName(rawName);
    const kind = this.config.store;
    const store = this.store(kind);
    await records.createUpload(db, { id, room, user, name, store: kind });
    let type = "application/octet-stream";
    let thumbSize: number | undefined;
    try {
      const allowed = this.config.allowedTypes;
      const size = await store.put(
        id,
        limited(file, allowance.cap, async (head) => {
          type = await sniffType(head);
          if (!allowed.has(type)) throw new ChatError("unsupported_type", `files of type ${type} may not be uploaded here`);
        }),
      );
      if (size === 0) throw new ChatError("invalid_payload", "the file is empty");
      let dims: { width: number; height: number } | undefined;
      if (type.startsWith("image/")) {
        const t = await thumbnail(await store.get(id)).catch((err: unknown) => {
          this.deps.log.info({ err, type }, "no thumbnail: the image did not decode");
          return undefined;
        });
        if (t) {
          await store.put(`${id}/thumb`, [t.thumb]);
          thumbSize = t.thumb.byteLength;
          dims = { width: t.width, height: t.height };
        }
      }
      if (this.config.quotaBytesPerDay > 0 && !(await records.spendQuota(db, user, size, this.config.quotaBytesPerDay))) {
        throw quotaError();
      }
      await records.finishUpload(db, id, { size, type, ...dims, thumbSize });
      return { id, name, size, type, ...dims };
    } catch (err) {
      file.resume(); // whatever is left of the part is read and dropped
      await this.remove(kind, id, true).catch((e: unknown) => this.deps.log.warn({ err: e, id }, "removing a refused upload failed"));
      await records.forgetUpload(db, id).catch(() => {});
      if (err instanceof TooLarge) throw this.overAllowance(allowance);
      throw err;
    }
  }

  /** The answer to a file longer than the allowance: too large, or past the day's quota. */
  overAllowance(allowance: { byQuota: boolean }): ChatError {
    return allowance.byQuota ? quotaError() : new ChatError("too_large", `files may be at most ${this.config.maxUploadBytes} bytes`);
  }

  /** message:send: the uploads it names, claimed for its clientId; not_found when any is not the sender's free upload in that room. */
  async claim(room: string, user: string, clientId: string, ids: string[]): Promise<StoredAttachment[]> {
    const claimed = await records.claimUploads(this.db(), room, user, clientId, ids);
    if (!claimed) throw new ChatError("not_found", "an attachment is not an upload of yours to this room, or is already sent");
    return claimed;
  }

  /** After the message's commit. A failure here is repaired by the sweep, so it is only logged. */
  linked(room: string, user: string, clientId: string, seq: number): void {
    records.linkUploads(this.db(), room, user, clientId, seq).catch((err: unknown) => this.deps.log.warn({ err, room, seq }, "linking attachments failed; the sweep will"));
  }

  /** A file for download: its record, when it exists and may be served to this user. */
  async find(user: string, id: string): Promise<records.AttachmentRow> {
    const row = await records.findAttachment(this.db(), id);
    if (!row || !row.ready || row.gone) throw new ChatError("not_found", "no such file");
    await this.assertMember(user, row.room);
    return row;
  }

  read(row: records.AttachmentRow, thumb: boolean, range?: { start: number; end: number }): Promise<Readable> {
    return this.store(row.store).get(thumb ? `${row.id}/thumb` : row.id, range);
  }

  /** An upload refused after it was stored (a second part): gone at once, its bytes purged soon. */
  discard(id: string): void {
    records.markGone(this.db(), id).then(
      () => this.purgeSoon(),
      (err: unknown) => this.deps.log.warn({ err, id }, "discarding an upload failed; the sweep will"),
    );
  }

  /** Removes the bytes of gone files (deleted messages') soon: one sweep at a time per node. */
  purgeSoon(): void {
    if (this.sweeping) this.again = true;
    else void this.sweep(false);
  }

  /** Every node runs it: each step is a statement that any number of nodes may run at once. */
  sweep(expire = true): Promise<void> {
    this.sweeping ??= this.runSweep(expire)
      .catch((err: unknown) => this.deps.log.warn({ err }, "attachment sweep failed"))
      .finally(() => {
        this.sweeping = undefined;
        if (this.again) {
          this.again = false;
          void this.sweep(false);
        }
      });
    return this.sweeping;
  }

  private async runSweep(expire: boolean): Promise<void> {
    const db = this.deps.db();
    if (!db) return;
    if (expire) await records.expireUnlinked(db, UNLINKED_TTL_MS, this.deps.retentionDays);
    for (;;) {
      const page = await records.goneUploads(db, 100);
      for (const row of page) {
        await this.remove(row.store, row.id, row.thumb_size != null);
        await records.forgetUpload(db, row.id);
      }
      if (page.length < 100) return;
    }
  }

  private async remove(kind: StoreKind, id: string, thumb: boolean): Promise<void> {
    const store = this.store(kind);
    await store.delete(id);
    if (thumb) await store.delete(`${id}/thumb`);
  }

  /** Sweeps every `everyMs` (jittered so that nodes spread out) until stop(). */
  start(everyMs = 5 * 60 * 1000): void {
    const next = () => {
      this.timer = setTimeout(() => void this.sweep().finally(next), everyMs * (0.5 + Math.random()));
      this.timer.unref();
    };
    next();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }
}

class TooLarge extends Error {}

function quotaError(): ChatError {
  const now = new Date();
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return new ChatError("rate_limited", "today's upload quota is used up", midnight - now.getTime());
}

/**
 * The file's bytes as they arrive: the first SNIFF_BYTES are held until `decide` accepts
 * the type, then everything passes, counted, until more than `cap` arrived.
 */
async function* limited(file: Readable, cap: number, decide: (head: Buffer) => Promise<void>): AsyncGenerator<Buffer> {
  let head: Buffer[] | undefined = [];
  let headBytes = 0;
  let total = 0;
  for await (const piece of file as AsyncIterable<Buffer>) {
    total += piece.byteLength;
    if (total > cap) throw new TooLarge();
    if (!head) {
      yield piece;
      continue;
    }
    head.push(piece);
    headBytes += piece.byteLength;
    if (headBytes >= SNIFF_BYTES) {
      const all = Buffer.concat(head);
      head = undefined;
      await decide(all);
      yield all;
    }
  }
  if ((file as { truncated?: boolean }).truncated) throw new TooLarge();
  if (head) {
    const all = Buffer.concat(head);
    await decide(all);
    if (all.byteLength > 0) yield all;
  }
}

/** The name as given, without any path, control characters or invalid text; at most 200 characters. */
export function cleanName(raw: string | undefined): string {
  let name = (raw ?? "").replace(/^.*[\\/]/, "").replace(/[\p{Cc}\p{Cf}]/gu, "").trim();
  if (!isWellFormedText(name)) name = "";
  name = [...name].slice(0, 200).join("");
  return name === "" || name === "." || name === ".." ? "file" : name;
}
