/**
 * Files on messages: images inline from their thumbnail (a button opens the full image in
 * a dialog), other files as a card with a download button. Every image and file is fetched
 * with the client's auth (ui/files.ts) and shown through an object URL.
 */
import { t } from "../i18n/index.js";
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Message } from "../../../src/shared/wire.js";
import { attachmentsOf, formatBytes, isInlineImage, thumbBox, type Attachment, type UploadedFile } from "../state/attachments.js";
import { fileErrorText } from "../state/files.js";
import { Icon } from "./bits.js";
import { useFiles, useObjectUrl } from "./files.js";
import { download } from "./transfer.js";
import { PaperclipIcon } from "./UploadTray.js";
import "./attachments.css";

/** The attachments of a stored message (nothing when it has none). */
export function MessageAttachments({ message }: { message: Message }) {
  const files = attachmentsOf(message);
  if (files.length === 0) return null;
  return (
    <ul class="attachments" aria-label={t("files.attachments", { count: files.length })}>
      {files.map((a) => (
        <li key={a.id}>{isInlineImage(a) ? <ImageThumb a={a} /> : <FileCard a={a} />}</li>
      ))}
    </ul>
  );
}

/** The files of a message still being sent (already uploaded). */
export function PendingFiles({ files }: { files?: readonly UploadedFile[] }) {
  if (!files || files.length === 0) return null;
  return (
    <ul class="attachments pending" aria-label={t("files.attachments", { count: files.length })}>
      {files.map((f) => (
        <li key={f.id} class="attachment-card">
          <PaperclipIcon />
          <span class="file-name">{f.name}</span>
          <span class="file-size">{formatBytes(f.size)}</span>
        </li>
      ))}
    </ul>
  );
}

function useDownload(a: Attachment): { busy: boolean; error?: string; start(): void } {
  const kit = useFiles();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const start = () => {
    if (!kit || busy) return;
    setBusy(true);
    setError(undefined);
    download(kit.api, a.url, a.name).then(
      () => setBusy(false),
      (err: unknown) => {
        setBusy(false);
        setError(fileErrorText(err));
      },
    );
  };
  return { busy, error, start };
}

function ImageThumb({ a }: { a: Attachment }) {
  const { url, error } = useObjectUrl(a.thumbUrl);
  const [open, setOpen] = useState(false);
  const box = thumbBox(a);
  return (
    <>
      <button type="button" class="attachment-image" title={t("files.open", { name: a.name })} aria-haspopup="dialog" onClick={() => setOpen(true)}>
        {url ? (
          <img src={url} alt={a.name} width={box.width} height={box.height} />
        ) : (
          <>
            {/* Holds the image's place (attributes, not styles: the CSP allows no inline style). */}
            <svg class="thumb-space" width={box.width} height={box.height} viewBox={`0 0 ${box.width} ${box.height}`} aria-hidden="true" focusable="false" />
            <span class="attachment-placeholder">{error ? `${a.name}: ${error}` : t("files.loadingName", { name: a.name })}</span>
          </>
        )}
      </button>
      {open && <ImageDialog a={a} onClose={() => setOpen(false)} />}
    </>
  );
}

/** The full image in a modal dialog: Escape, the close button or a click outside closes it. */
function ImageDialog({ a, onClose }: { a: Attachment; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const { url, error } = useObjectUrl(a.url);
  const dl = useDownload(a);
  useLayoutEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  const titleId = `image-dialog-${a.id}`;
  return (
    <dialog
      ref={ref}
      class="image-dialog"
      aria-labelledby={titleId}
      onClose={onClose}
      onClick={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <div class="image-dialog-bar">
        <h2 id={titleId} class="file-name">
          {a.name}
        </h2>
        <span class="file-size">{formatBytes(a.size)}</span>
        <button class="btn small" type="button" onClick={dl.start} disabled={dl.busy}>
          {t(dl.busy ? "files.downloading" : "files.download")}
        </button>
        <button class="icon-btn" type="button" aria-label={t("browse.close")} onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
      {(error || dl.error) && <p role="alert">{error ?? dl.error}</p>}
      {url ? <img src={url} alt={a.name} /> : !error && <p class="muted">{t("files.loading", { name: a.name })}</p>}
    </dialog>
  );
}

function FileCard({ a }: { a: Attachment }) {
  const dl = useDownload(a);
  return (
    <div class="attachment-card">
      <PaperclipIcon />
      <span class="file-name" title={a.name}>
        {a.name}
      </span>
      <span class="file-size">{formatBytes(a.size)}</span>
      <button class="btn small" type="button" aria-label={t("files.downloadName", { name: a.name })} onClick={dl.start} disabled={dl.busy}>
        {t(dl.busy ? "files.downloading" : "files.download")}
      </button>
      {dl.error && (
        <span class="file-error" role="alert">
          {dl.error}
        </span>
      )}
    </div>
  );
}
