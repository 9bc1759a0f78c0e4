/** The notification settings (a menu by the signed-in name), a room's mute switch, and the muted mark. */
import { t } from "../i18n/index.js";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Notifications } from "./notifications.js";

const BELL = "M6 16V11a6 6 0 1 1 12 0v5l2 2H4zM10 21h4";
const BELL_OFF = "M6 16V11a6 6 0 0 1 9.5-4.9M18 11v5l2 2H4l2-2M10 21h4M3 3l18 18";

function BellIcon({ off = false }: { off?: boolean }) {
  return (
    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={off ? BELL_OFF : BELL} />
    </svg>
  );
}

/** The settings: desktop notifications (asking the browser only when switched on) and sound. */
export function NotifyMenu({ n }: { n: Notifications }) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    const outside = (e: Event) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", outside);
    return () => document.removeEventListener("pointerdown", outside);
  }, [open]);
  const blocked = n.permission === "denied";
  const unsupported = n.permission === "unsupported";
  return (
    <div
      class="notify-menu"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === "Escape" && open) {
          e.stopPropagation();
          setOpen(false);
          button.current?.focus();
        }
      }}
    >
      <button
        ref={button}
        class="icon-btn"
        type="button"
        aria-label={t("notify.label")}
        title={t("notify.label")}
        aria-expanded={open}
        aria-controls="notify-panel"
        onClick={() => setOpen(!open)}
      >
        <BellIcon off={!n.settings.desktop && !n.settings.sound} />
      </button>
      {open && (
        <div class="notify-panel" id="notify-panel" role="group" aria-label={t("notify.label")}>
          <p class="small muted">{t("notify.intro")}</p>
          <label class="check">
            <input
              type="checkbox"
              checked={n.settings.desktop}
              disabled={blocked || unsupported}
              onChange={(e) => void n.setDesktop(e.currentTarget.checked)}
            />
            {t("notify.desktop")}
          </label>
          {(blocked || unsupported) && (
            <p class="small muted">
              {t(blocked ? "notify.blocked" : "notify.unsupported")}
            </p>
          )}
          <label class="check">
            <input type="checkbox" checked={n.settings.sound} onChange={(e) => n.setSound(e.currentTarget.checked)} />
            {t("notify.sound")}
          </label>
        </div>
      )}
    </div>
  );
}

/** Mutes a room's notifications (kept across reloads). */
export function MuteButton({ room, label, n }: { room: string; label: string; n: Notifications }) {
  const muted = n.settings.muted.has(room);
  return (
    <button
      class={`icon-btn mute-toggle${muted ? " on" : ""}`}
      type="button"
      aria-pressed={muted}
      aria-label={t("notify.mute", { room: label })}
      title={muted ? t("notify.isMuted", { room: label }) : t("notify.mute", { room: label })}
      onClick={() => n.setMuted(room, !muted)}
    >
      <BellIcon off={muted} />
    </button>
  );
}

/** The sidebar's mark on a muted room. */
export function MutedMark() {
  return (
    <span class="muted-mark" title={t("notify.muted")}>
      <BellIcon off />
      <span class="sr-only"> {t("notify.mutedShort")}</span>
    </span>
  );
}
