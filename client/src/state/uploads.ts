/**
 * Files chosen for the next message of each room: uploaded at once (with progress), kept
 * until the message is sent or the person removes them, and errors in plain words. The
 * HTTP request itself is the transport's (ui/transfer.ts in the browser), so this logic
 * runs in Node's tests. Uploads need the network: unlike messages, which wait in the
 * outbox, an upload made offline fails at once and says so, and can be retried.
 */
import { t } from "../i18n/index.js";
import { formatBytes, type UploadedFile } from "./attachments.js";

/** Why an upload failed: the HTTP status (0: no answer) and the REST error body, if any. */
export interface UploadFailure {
  status: number;
  code?: string;
  message?: string;
  retryAfterMs?: number;
}

export type UploadOutcome = { ok: true; file: UploadedFile } | { ok: false; failure: UploadFailure };

/** `queued`: waiting for one of the few uploads that run at once, or for a short server pause. */
export type UploadStatus = "queued" | "uploading" | "done" | "failed";

export interface UploadItem {
  readonly key: number;
  readonly name: string;
  readonly size: number;
  status: UploadStatus;
  /** Bytes sent so far. */
  loaded: number;
  /** The server's record, once done. */
  file?: UploadedFile;
  /** In plain words, when failed. */
  error?: string;
  /** Trying again may work (no connection, quota, a server error), so the chip offers it. */
  retryable: boolean;
}

/** A file as the browser gives it (File in the browser and in Node 20). */
export type FileLike = Blob & { readonly name: string };

export interface UploadTransport {
  upload(room: string, file: FileLike, onProgress: (loaded: number) => void, signal: AbortSignal): Promise<UploadOutcome>;
}

/** MAX_ATTACHMENTS_PER_MESSAGE's default: the tray takes no more. */
export const MAX_FILES_PER_MESSAGE = 10;
/**
 * Uploads run at once, below the server's MAX_UPLOADS_IN_FLIGHT_PER_USER (default 3) so that
 * another tab has a slot too; the rest wait their turn.
 */
export const MAX_CONCURRENT_UPLOADS = 2;
/** A `rate_limited` wait up to this long is the in-flight limit (waited out by itself); a longer one is the daily quota. */
const SHORT_WAIT_MS = 60_000;
/** Short waits in a row for one file before it is shown as failed (with Retry). */
const MAX_SHORT_WAITS = 5;

/** "30 s", "5 min", "3 h 20 min". */
export function waitText(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.ceil(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const rest = min % 60;
  return rest === 0 ? `${h} h` : `${h} h ${rest} min`;
}

/** The size limit a 413 names: a `maxBytes` field, or "N bytes" in its message. */
export function limitFrom(failure: UploadFailure & { maxBytes?: unknown }): number | undefined {
  if (typeof failure.maxBytes === "number" && failure.maxBytes > 0) return failure.maxBytes;
  const m = /(\d[\d,]*)\s*bytes/i.exec(failure.message ?? "");
  const n = m ? Number(m[1]!.replace(/,/g, "")) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** A failed upload in plain words; `limit` is the size cap when known. */
export function uploadErrorText(name: string, size: number, f: UploadFailure, limit?: number): string {
  const code = f.code ?? "";
  if (f.status === 0) return t("upload.noConnection", { name });
  if (f.status === 413 || code === "too_large") {
    return limit !== undefined
      ? t("upload.tooLargeLimit", { name, size: formatBytes(size), limit: formatBytes(limit) })
      : t("upload.tooLarge", { name, size: formatBytes(size) });
  }
  if (f.status === 415 || code === "unsupported_type") return t("upload.type", { name });
  if (code === "rate_limited" || f.status === 429) {
    if (f.retryAfterMs !== undefined && f.retryAfterMs <= SHORT_WAIT_MS) return t("upload.tooMany", { name });
    return f.retryAfterMs !== undefined
      ? t("upload.quota", { wait: waitText(f.retryAfterMs) })
      : t("upload.later");
  }
  if (f.status === 403 || code === "forbidden") return t("upload.forbidden");
  if (f.status === 401 || code === "unauthenticated") return t("upload.session", { name });
  if (f.status === 400) return f.message ? t("upload.refusedBecause", { name, message: f.message }) : t("upload.refused", { name });
  return t("upload.server", { name, status: f.status });
}

const retryable = (f: UploadFailure) => f.status === 0 || f.status === 429 || f.status >= 500;

interface Running {
  room: string;
  file: FileLike;
  ctrl?: AbortController;
  /** Queued until then (epoch ms): a short `rate_limited` pause. */
  notBefore: number;
  shortWaits: number;
}

export interface UploadsOptions {
  transport: UploadTransport;
  now?: () => number;
  /** Runs `fn` after `ms` (a timer; tests pass their own). */
  later?: (ms: number, fn: () => void) => void;
  maxFiles?: number;
  maxConcurrent?: number;
  /**
   * Whether `room`'s uploads may start: only its members may upload, so a file chosen while
   * the room is still joining waits for the join (call `wake` when that may have changed).
   */
  ready?: (room: string) => boolean;
}

export class Uploads {
  /** Bumped on every change. */
  version = 0;
  /** The server's size cap, once a 413 named it: bigger files are refused without a request. */
  maxBytes?: number;
  /** The daily quota is used up until then (epoch ms). */
  private quotaUntil = 0;
  private readonly rooms = new Map<string, UploadItem[]>();
  private readonly running = new Map<number, Running>();
  /** Keys of the uploads with a request in flight. */
  private readonly active = new Set<number>();
  private readonly listeners = new Set<() => void>();
  private nextKey = 1;

  constructor(private readonly opts: UploadsOptions) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed() {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  private now() {
    return (this.opts.now ?? Date.now)();
  }

  list(room: string): readonly UploadItem[] {
    return this.rooms.get(room) ?? [];
  }

  /** Some file of `room` is still on its way. */
  busy(room: string): boolean {
    return this.list(room).some((u) => u.status === "uploading" || u.status === "queued");
  }

  /** The uploaded files of `room`, in the order they were chosen. */
  ready(room: string): UploadedFile[] {
    return this.list(room).flatMap((u) => (u.status === "done" && u.file ? [u.file] : []));
  }

  /** Adds files to `room`'s next message and starts uploading them. */
  add(room: string, files: Iterable<FileLike>) {
    const list = [...this.list(room)];
    const max = this.opts.maxFiles ?? MAX_FILES_PER_MESSAGE;
    for (const file of files) {
      const item: UploadItem = { key: this.nextKey++, name: file.name || "file", size: file.size, status: "queued", loaded: 0, retryable: false };
      list.push(item);
      this.running.set(item.key, { room, file, notBefore: 0, shortWaits: 0 });
      if (list.filter((u) => u.status !== "failed").length > max) {
        this.fail(item, `${item.name} was not added: a message takes at most ${max} files.`, false);
      } else {
        this.start(item);
      }
    }
    this.rooms.set(room, list);
    this.pump();
    this.changed();
  }

  /** Puts back files already uploaded (a send refused as too long returns them to the tray). */
  restore(room: string, files: readonly UploadedFile[]) {
    if (files.length === 0) return;
    const back = files.map((f): UploadItem => ({ key: this.nextKey++, name: f.name, size: f.size, status: "done", loaded: f.size, file: f, retryable: false }));
    this.rooms.set(room, [...back, ...this.list(room)]);
    this.changed();
  }

  /** Takes a file out of the next message (stopping its upload if it is running). */
  remove(room: string, key: number) {
    this.running.get(key)?.ctrl?.abort();
    this.running.delete(key);
    this.active.delete(key);
    this.pump();
    const list = this.list(room).filter((u) => u.key !== key);
    if (list.length > 0) this.rooms.set(room, list);
    else this.rooms.delete(room);
    this.changed();
  }

  retry(room: string, key: number) {
    const item = this.list(room).find((u) => u.key === key);
    const run = this.running.get(key);
    if (!item || !run || item.status !== "failed" || !item.retryable) return;
    run.shortWaits = 0;
    run.notBefore = 0;
    this.start(item);
    this.pump();
    this.changed();
  }

  /** The uploaded files, for the message being sent: they leave the tray; failed ones stay. */
  take(room: string): UploadedFile[] {
    const files = this.ready(room);
    const rest = this.list(room).filter((u) => u.status !== "done");
    for (const u of this.list(room)) if (u.status === "done") this.running.delete(u.key);
    if (rest.length > 0) this.rooms.set(room, rest);
    else this.rooms.delete(room);
    if (files.length > 0) this.changed();
    return files;
  }

  /** Stops every upload (the person signed out). */
  stop() {
    for (const r of this.running.values()) r.ctrl?.abort();
    this.running.clear();
    this.active.clear();
    this.rooms.clear();
    this.changed();
  }

  private fail(item: UploadItem, error: string, canRetry: boolean) {
    item.status = "failed";
    item.error = error;
    item.retryable = canRetry;
    item.loaded = 0;
  }

  /** Checks what can be refused without a request, then queues the file. */
  private start(item: UploadItem) {
    if (!this.running.has(item.key)) return;
    item.status = "queued";
    item.error = undefined;
    item.loaded = 0;
    if (item.size === 0) {
      this.fail(item, `${item.name} is empty: there is nothing to send.`, false);
    } else if (this.maxBytes !== undefined && item.size > this.maxBytes) {
      this.fail(item, uploadErrorText(item.name, item.size, { status: 413 }, this.maxBytes), false);
    } else if (this.now() < this.quotaUntil) {
      const failure = { status: 429, code: "rate_limited", retryAfterMs: this.quotaUntil - this.now() };
      this.fail(item, uploadErrorText(item.name, item.size, failure), true);
    }
  }

  /** Starts what became ready (a room's join was answered). */
  wake() {
    this.pump();
  }

  /** Starts queued uploads, oldest first, while fewer than maxConcurrent run. */
  private pump() {
    const max = this.opts.maxConcurrent ?? MAX_CONCURRENT_UPLOADS;
    for (const list of this.rooms.values()) {
      for (const item of list) {
        if (this.active.size >= max) return;
        const run = this.running.get(item.key);
        if (item.status !== "queued" || !run || run.notBefore > this.now()) continue;
        if (this.opts.ready && !this.opts.ready(run.room)) continue;
        this.launch(item, run);
      }
    }
  }

  private launch(item: UploadItem, run: Running) {
    item.status = "uploading";
    this.active.add(item.key);
    const ctrl = new AbortController();
    run.ctrl = ctrl;
    const onProgress = (loaded: number) => {
      if (ctrl.signal.aborted || item.status !== "uploading") return;
      item.loaded = Math.min(loaded, item.size);
      this.changed();
    };
    void this.opts.transport.upload(run.room, run.file, onProgress, ctrl.signal).then(
      (out) => this.settle(item, ctrl, out),
      (err: unknown) => this.settle(item, ctrl, { ok: false, failure: { status: 0, message: String(err) } }),
    );
  }

  private settle(item: UploadItem, ctrl: AbortController, out: UploadOutcome) {
    const run = this.running.get(item.key);
    if (ctrl.signal.aborted || run?.ctrl !== ctrl) return; // removed meanwhile
    this.active.delete(item.key);
    if (out.ok) {
      item.status = "done";
      item.loaded = item.size;
      item.file = out.file;
    } else {
      const f = out.failure;
      const wait = f.retryAfterMs ?? Infinity;
      if (f.status === 429 && wait <= SHORT_WAIT_MS && run.shortWaits < MAX_SHORT_WAITS) {
        // The in-flight limit (another tab uploading): this file waits its turn again.
        run.shortWaits++;
        run.notBefore = this.now() + wait;
        item.status = "queued";
        item.loaded = 0;
        (this.opts.later ?? ((ms, fn) => void setTimeout(fn, ms)))(wait, () => {
          this.pump();
          this.changed();
        });
      } else {
        if (f.status === 413) this.maxBytes = limitFrom(f) ?? this.maxBytes;
        const text = uploadErrorText(item.name, item.size, f, this.maxBytes);
        if (f.status === 429 && f.retryAfterMs !== undefined && wait > SHORT_WAIT_MS) this.quotaUntil = this.now() + f.retryAfterMs;
        this.fail(item, text, retryable(f));
      }
    }
    this.pump();
    this.changed();
  }
}
