import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { t } from "../i18n/index.js";
import { completeEmoji, emojiCandidates, emojiQuery, insertAt } from "../state/emoji.js";
import { completeMention, mentionCandidates, mentionQuery } from "../state/rich.js";
import type { Uploads } from "../state/uploads.js";
import { Avatar, Icon } from "./bits.js";
import { EmojiPicker } from "./EmojiPicker.js";
import { AttachButton, UploadTray, useDropFiles } from "./UploadTray.js";

interface Props {
  room: string;
  /** "#general" or "alice": names the box for screen readers and the placeholder. */
  label: string;
  draft: string;
  error?: string;
  typingText: string;
  onDraft(text: string): void;
  onSend(text: string): void;
  onTyping(hasText: boolean): void;
  onStopTyping(): void;
  onDismissError(): void;
  /** Up arrow in an empty box: edit the last own message. Returns whether there was one. */
  onEditLast(): boolean;
  /** Names to offer after "@": the room's members and recent authors. */
  people: readonly string[];
  online: ReadonlySet<string>;
  me: string;
  /**
   * The person chose this room (a click, a search result, the keyboard): the box takes the
   * cursor. Otherwise (the page's first room, opened for them) it takes it only from
   * nothing, never from a field they are already typing in.
   */
  chosen: boolean;
  /** The server's longest message, once known: a counter shows from 90 % of it. */
  maxChars?: number;
  /** A send refused as too long: its text comes back into the box (before what is there). */
  returned?: string;
  /** The box has taken `returned`. */
  onReturned(): void;
  /** Files for the next message (attach button, paste, drop on the room); sent by `onSend`. */
  uploads?: Uploads;
}

/** Characters as the server counts them (code points). */
const length = (s: string) => [...s].length;

export function Composer(p: Props) {
  const [text, setText] = useState(p.draft);
  const box = useRef<HTMLTextAreaElement>(null);
  const [caret, setCaret] = useState(0);
  const [pick, setPick] = useState(0);
  /** The "@" or ":" position the person closed the list for with Escape. */
  const [dismissedAt, setDismissedAt] = useState(-1);
  // One list, two sources: people after "@", emoji shortcodes after ":".
  const mention = mentionQuery(text, caret);
  const shortcode = mention ? undefined : emojiQuery(text, caret);
  const query = mention ?? shortcode;
  const candidates: { key: string; emoji?: string }[] =
    !query || query.start === dismissedAt
      ? []
      : mention
        ? mentionCandidates(mention.prefix, p.people, p.online, p.me).map((u) => ({ key: u }))
        : emojiCandidates(shortcode!.prefix).map((c) => ({ key: c.code, emoji: c.emoji }));
  const listOpen = candidates.length > 0;
  const active = Math.min(pick, candidates.length - 1);

  // Switching rooms brings that room's draft.
  useLayoutEffect(() => setText(p.draft), [p.room]);
  // In the commit that shows the refusal, so the box never shows empty beside it.
  useLayoutEffect(() => {
    if (p.returned === undefined) return;
    const next = text.trim() === "" ? p.returned : `${p.returned}\n${text}`;
    setText(next);
    p.onDraft(next);
    p.onReturned();
  }, [p.returned]);
  const filesReady = p.uploads?.ready(p.room).length ?? 0;
  const uploading = p.uploads?.busy(p.room) === true;
  // A message waits for its files: sending before they are all up would leave some behind.
  const canSend = !uploading && (text.trim() !== "" || filesReady > 0);
  const addFiles = (files: File[]) => p.uploads?.add(p.room, files);
  const dropping = useDropFiles(p.uploads !== undefined, addFiles);
  const count = length(text);
  const showCount = p.maxChars !== undefined && count >= Math.floor(p.maxChars * 0.9);
  // ...and puts the cursor in the box: in the commit that shows the room, not after the next
  // paint, so that a person who sees the room and goes on to type elsewhere (the next room's
  // name in the join box) does not have the cursor taken from under them mid-word. Again
  // when a room the page opened for them becomes one they chose.
  useLayoutEffect(() => {
    const focused = document.activeElement;
    if (p.chosen || !focused || focused === document.body) box.current?.focus();
  }, [p.room, p.chosen]);

  const send = () => {
    if (!canSend) return;
    p.onSend(text);
    setText("");
    p.onDraft("");
  };

  /** Puts `next` in the box with the caret where it says. */
  const replace = (next: { text: string; caret: number }) => {
    const el = box.current;
    if (!el) return;
    setText(next.text);
    p.onDraft(next.text);
    setCaret(next.caret);
    setPick(0);
    el.value = next.text;
    el.focus();
    el.setSelectionRange(next.caret, next.caret);
    p.onTyping(next.text.trim() !== "");
  };

  const choose = (c: { key: string; emoji?: string }) => {
    if (mention) replace(completeMention(text, caret, mention, c.key));
    else if (shortcode && c.emoji) replace(completeEmoji(text, caret, shortcode, c.emoji));
  };

  /** The picker's emoji goes where the caret was (or over the selection). */
  const insertEmoji = (emoji: string) => {
    const el = box.current;
    const start = el?.selectionStart ?? text.length;
    replace(insertAt(text, start, el?.selectionEnd ?? start, emoji));
  };

  const trackCaret = () => {
    const el = box.current;
    if (el) setCaret(el.selectionStart ?? el.value.length);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (listOpen && !e.isComposing) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const n = candidates.length;
        setPick((active + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
        return;
      }
      if ((e.key === "Enter" && !e.shiftKey) || e.key === "Tab") {
        e.preventDefault();
        choose(candidates[active]!);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        setDismissedAt(query!.start);
        return;
      }
    }
    if (e.key === "ArrowUp" && text === "" && !e.shiftKey && !e.altKey && !e.metaKey && !e.ctrlKey) {
      if (p.onEditLast()) e.preventDefault();
      return;
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
        box.current?.focus();
      }}
    >
      <p class="typing" aria-live="polite">
        {p.typingText}
      </p>
      {p.error && (
        <p class="composer-error" role="alert">
          <span>{p.error}</span>
          <button class="btn link" type="button" onClick={p.onDismissError} aria-label={t("msg.dismissError")}>
            <Icon name="close" />
          </button>
        </p>
      )}
      {listOpen && (
        <ul class="mention-list" id="mention-list" role="listbox" aria-label={t(mention ? "composer.people" : "composer.emojiList")}>
          {candidates.map((c, i) => (
            <li
              key={c.key}
              id={`mention-opt-${i}`}
              role="option"
              aria-selected={i === active}
              class={i === active ? "active" : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(c);
              }}
              onMouseEnter={() => setPick(i)}
            >
              {c.emoji ? (
                <span class="emoji-option" aria-hidden="true">
                  {c.emoji}
                </span>
              ) : (
                <Avatar name={c.key} size="sm" />
              )}
              <span>{c.emoji ? `:${c.key}:` : c.key}</span>
              {!c.emoji && p.online.has(c.key) && <span class="online-dot" aria-label={t("composer.online")} />}
            </li>
          ))}
        </ul>
      )}
      {dropping && (
        <p class="drop-hint" aria-hidden="true">
          {t("files.dropHint")}
        </p>
      )}
      {p.uploads && <UploadTray room={p.room} uploads={p.uploads} />}
      {uploading && (
        <p class="sr-only" aria-live="polite">
          {t("files.sendWaits")}
        </p>
      )}
      <div class="composer-box">
        {p.uploads && <AttachButton onFiles={addFiles} />}
        <label class="sr-only" for="composer-input">
          {t("composer.label", { room: p.label })}
        </label>
        <textarea
          id="composer-input"
          ref={box}
          rows={1}
          placeholder={t("composer.label", { room: p.label })}
          value={text}
          aria-describedby={showCount ? "composer-help composer-count" : "composer-help"}
          aria-autocomplete="list"
          aria-controls={listOpen ? "mention-list" : undefined}
          aria-activedescendant={listOpen ? `mention-opt-${active}` : undefined}
          onKeyDown={onKeyDown}
          onKeyUp={(e) => {
            if (e.key.startsWith("Arrow") || e.key === "Home" || e.key === "End") trackCaret();
          }}
          onClick={trackCaret}
          onInput={(e) => {
            const v = e.currentTarget.value;
            setText(v);
            setCaret(e.currentTarget.selectionStart ?? v.length);
            setPick(0);
            const at = e.currentTarget.selectionStart ?? v.length;
            if (dismissedAt >= 0 && !mentionQuery(v, at) && !emojiQuery(v, at)) setDismissedAt(-1);
            p.onDraft(v);
            p.onTyping(v.trim() !== "");
          }}
          onBlur={p.onStopTyping}
          onPaste={(e) => {
            const files = [...(e.clipboardData?.files ?? [])];
            if (files.length === 0 || !p.uploads) return;
            e.preventDefault();
            addFiles(files);
          }}
        />
        <EmojiPicker onPick={insertEmoji} />
        <button
          class="send"
          type="submit"
          aria-label={t("composer.send")}
          disabled={!canSend}
          title={uploading ? t("composer.waitUploads") : undefined}
        >
          <Icon name="send" />
        </button>
      </div>
      {showCount && (
        <p id="composer-count" class={`char-count${count > p.maxChars! ? " over" : ""}`}>
          {count}/{p.maxChars}
        </p>
      )}
      <p id="composer-help" class="sr-only">
        {t("composer.help")}
        {p.uploads && t("composer.helpFiles")}
      </p>
    </form>
  );
}
