/**
 * Files attached to messages, as the client shows them: the wire shape (docs/protocol.md,
 * "Attachments"), sizes in plain words and the box a thumbnail takes before it loads, so
 * rows do not jump when images arrive. No DOM.
 */
import { t } from "../i18n/index.js";
import type { Attachment, Message, UploadResult } from "../../../src/shared/wire.js";

export type { Attachment } from "../../../src/shared/wire.js";
/** What `POST /api/rooms/:room/uploads` answers: an upload not yet linked to a message. */
export type UploadedFile = UploadResult;

/** A message's attachments (none when the server sent none or the message is deleted). */
export function attachmentsOf(m: Message): readonly Attachment[] {
  return m.deleted ? [] : (m.attachments ?? []);
}

/** Shown inline from its thumbnail, rather than as a card with a download button. */
export function isInlineImage(a: Attachment): boolean {
  return a.type.startsWith("image/") && a.thumbUrl !== undefined;
}

const UNITS = ["KB", "MB", "GB"];

/** "512 bytes", "1.5 KB", "10 MB" (binary units, as the limits are set). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "";
  if (n < 1024) return t("files.bytes", { count: n });
  let v = n / 1024;
  let unit = 0;
  while (v >= 1024 && unit < UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  const digits = v >= 100 || Number.isInteger(v) ? 0 : 1;
  return `${Number(v.toFixed(digits))} ${UNITS[unit]}`;
}

/**
 * The size to show an image at: its own when it fits in `max`, else scaled down keeping its
 * proportions; a square placeholder when the server did not say its size.
 */
export function thumbBox(a: Pick<Attachment, "width" | "height">, max = { width: 320, height: 240 }): { width: number; height: number } {
  const w = a.width ?? 0;
  const h = a.height ?? 0;
  if (w <= 0 || h <= 0) return { width: Math.min(max.width, max.height), height: Math.min(max.width, max.height) };
  const scale = Math.min(1, max.width / w, max.height / h);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

/** "2 files: a.png, b.pdf" for a screen reader's summary of a message with only files. */
export function attachmentSummary(files: readonly Pick<Attachment, "name">[]): string {
  if (files.length === 0) return "";
  const names = files.map((f) => f.name).join(", ");
  return t("files.summary", { count: files.length, names });
}
