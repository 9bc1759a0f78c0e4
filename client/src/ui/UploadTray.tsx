/**
 * The composer's files: the attach button (a real file input behind it), the tray of chips
 * with progress and errors, and drag-and-drop onto the room. The queue itself is
 * state/uploads.ts.
 */
import { t } from "../i18n/index.js";
import { useEffect, useRef, useState } from "preact/hooks";
import { formatBytes } from "../state/attachments.js";
import type { Uploads } from "../state/uploads.js";
import { Icon } from "./bits.js";
import "./attachments.css";

export function PaperclipIcon() {
  return (
    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M20 11.5 12.2 19.3a5 5 0 0 1-7.1-7.1l8.2-8.2a3.3 3.3 0 0 1 4.7 4.7l-8.2 8.2a1.7 1.7 0 0 1-2.4-2.4L15 7" />
    </svg>
  );
}

export function AttachButton({ onFiles }: { onFiles(files: File[]): void }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={input}
        id="composer-files"
        type="file"
        multiple
        hidden
        tabIndex={-1}
        aria-label={t("files.attach")}
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          // Cleared so that choosing the same file again (after removing it) fires again.
          e.currentTarget.value = "";
          if (files.length > 0) onFiles(files);
        }}
      />
      <button class="attach icon-btn" type="button" aria-label={t("files.attach")} title={t("files.attach")} onClick={() => input.current?.click()}>
        <PaperclipIcon />
      </button>
    </>
  );
}

export function UploadTray({ room, uploads }: { room: string; uploads: Uploads }) {
  const list = uploads.list(room);
  if (list.length === 0) return null;
  return (
    <ul class="upload-tray" aria-label={t("files.toSend")}>
      {list.map((u) => (
        <li key={u.key} class={`upload-chip ${u.status}`} data-upload={u.name}>
          <PaperclipIcon />
          <span class="upload-name" title={u.name}>
            {u.name}
          </span>
          <span class="upload-size">{formatBytes(u.size)}</span>
          {u.status === "uploading" && (
            <progress max={Math.max(1, u.size)} value={u.loaded} aria-label={t("files.uploading", { name: u.name })}>
              {Math.round((u.loaded / Math.max(1, u.size)) * 100)}%
            </progress>
          )}
          {u.status === "queued" && <span class="upload-size">{t("files.waiting")}</span>}
          {u.status === "done" && <span class="sr-only">{t("files.uploaded")}</span>}
          {u.status === "failed" && (
            <span class="upload-error" role="alert">
              {u.error}
            </span>
          )}
          {u.status === "failed" && u.retryable && (
            <button class="btn link" type="button" onClick={() => uploads.retry(room, u.key)}>
              {t("msg.retry")}
            </button>
          )}
          <button class="icon-btn small" type="button" aria-label={t("files.removeName", { name: u.name })} title={t("files.remove")} onClick={() => uploads.remove(room, u.key)}>
            <Icon name="close" />
          </button>
        </li>
      ))}
    </ul>
  );
}

const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes("Files") === true;

/**
 * Files dragged over the open room: shows a hint while they hover and adds them on drop.
 * Listens on the window so the room's layout needs no handlers of its own.
 */
export function useDropFiles(enabled: boolean, onFiles: (files: File[]) => void): boolean {
  const [over, setOver] = useState(false);
  const latest = useRef(onFiles);
  latest.current = onFiles;
  useEffect(() => {
    if (!enabled) return;
    const inRoom = (t: EventTarget | null) => t instanceof Element && t.closest("main.room") !== null;
    // A file dropped elsewhere on the page is refused rather than opened by the browser in
    // place of the chat.
    const onOver = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      const here = inRoom(e.target);
      if (e.dataTransfer) e.dataTransfer.dropEffect = here ? "copy" : "none";
      setOver(here);
    };
    const onLeave = (e: DragEvent) => {
      if (!inRoom(e.relatedTarget)) setOver(false);
    };
    const onDrop = (e: DragEvent) => {
      setOver(false);
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (!inRoom(e.target)) return;
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length > 0) latest.current(files);
    };
    addEventListener("dragover", onOver);
    addEventListener("dragleave", onLeave);
    addEventListener("drop", onDrop);
    return () => {
      removeEventListener("dragover", onOver);
      removeEventListener("dragleave", onLeave);
      removeEventListener("drop", onDrop);
      setOver(false);
    };
  }, [enabled]);
  return over;
}
