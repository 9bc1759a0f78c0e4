/** The inline editor of a message in the list. */
import { useEffect, useRef, useState } from "preact/hooks";
import type { Message } from "../../../src/shared/wire.js";
import { t } from "../i18n/index.js";
import type { MessageActions } from "./MessageRow.js";

/** The inline editor: Enter saves, Shift+Enter is a new line, Escape cancels. */
export function EditBox({ message: m, actions }: { message: Message; actions: MessageActions }) {
  const [text, setText] = useState(m.body);
  const [saving, setSaving] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);
  const save = async () => {
    if (saving || text.trim() === "") return;
    setSaving(true);
    const ok = await actions.saveEdit(m.seq, text);
    setSaving(false);
    if (ok) actions.cancelEdit();
  };
  return (
    <form
      class="edit-box"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label class="sr-only" for={`edit-${m.seq}`}>
        {t("msg.editMessage")}
      </label>
      <textarea
        id={`edit-${m.seq}`}
        ref={box}
        rows={1}
        value={text}
        aria-describedby={`edit-help-${m.seq}`}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void save();
          } else if (e.key === "Escape") {
            e.preventDefault();
            e.stopPropagation();
            actions.cancelEdit();
          }
        }}
      />
      <div class="edit-bar">
        <span id={`edit-help-${m.seq}`} class="muted small">
          {t("msg.editHelp")}
        </span>
        <button class="btn small" type="button" onClick={() => actions.cancelEdit()}>
          {t("msg.cancel")}
        </button>
        <button class="btn small primary" type="submit" disabled={saving || text.trim() === ""}>
          {t("msg.save")}
        </button>
      </div>
    </form>
  );
}
