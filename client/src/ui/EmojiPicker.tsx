/**
 * The composer's emoji button and its grid. Keyboard: the arrow keys move in the grid,
 * Enter or Space picks, Escape closes and gives the focus back to the button; a click
 * outside closes it too.
 */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { t } from "../i18n/index.js";
import { PICKER } from "../state/emoji.js";
import { Icon } from "./bits.js";

const COLUMNS = 8;

export function EmojiPicker({ onPick }: { onPick(emoji: string): void }) {
  const [open, setOpen] = useState(false);
  const wrap = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  /** The focus goes back to the button when the grid closes by the keyboard. */
  const refocus = useRef(false);

  useLayoutEffect(() => {
    if (open) wrap.current?.querySelector<HTMLButtonElement>(".emoji-grid button")?.focus();
    else if (refocus.current) {
      refocus.current = false;
      toggle.current?.focus();
    }
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const outside = (e: PointerEvent) => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", outside);
    return () => document.removeEventListener("pointerdown", outside);
  }, [open]);

  const close = () => {
    refocus.current = true;
    setOpen(false);
  };

  const onGridKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close();
      return;
    }
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    const buttons = [...(wrap.current?.querySelectorAll<HTMLButtonElement>(".emoji-grid button") ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const next = Math.min(buttons.length - 1, Math.max(0, at + step));
    buttons[next]?.focus();
  };

  return (
    <div
      class="emoji-picker"
      ref={wrap}
      onFocusOut={(e) => {
        // Tabbing out of the grid closes it (the focus has already gone where it was sent).
        if (open && e.relatedTarget && !wrap.current?.contains(e.relatedTarget as Node)) setOpen(false);
      }}
    >
      <button
        ref={toggle}
        class="icon-btn"
        type="button"
        aria-label={t("composer.insertEmoji")}
        title={t("composer.insertEmoji")}
        aria-haspopup="dialog"
        aria-expanded={open}
        onClick={() => (open ? close() : setOpen(true))}
      >
        <Icon name="smile" />
      </button>
      {open && (
        <div class="emoji-grid" role="dialog" aria-label={t("composer.emojiList")} onKeyDown={onGridKey}>
          {PICKER.map((p) => (
            <button
              key={p.code}
              type="button"
              aria-label={`:${p.code}:`}
              title={`:${p.code}:`}
              onClick={() => {
                setOpen(false);
                onPick(p.emoji);
              }}
            >
              {p.emoji}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
