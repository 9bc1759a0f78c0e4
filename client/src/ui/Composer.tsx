import { useEffect, useRef, useState } from "preact/hooks";
import { Icon } from "./bits.js";

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
}

export function Composer(p: Props) {
  const [text, setText] = useState(p.draft);
  const box = useRef<HTMLTextAreaElement>(null);

  // Switching rooms brings that room's draft and puts the cursor in the box.
  useEffect(() => {
    setText(p.draft);
    box.current?.focus();
  }, [p.room]);

  const send = () => {
    if (text.trim() === "") return;
    p.onSend(text);
    setText("");
    p.onDraft("");
  };

  const onKeyDown = (e: KeyboardEvent) => {
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
          <button class="btn link" type="button" onClick={p.onDismissError} aria-label="Dismiss error">
            <Icon name="close" />
          </button>
        </p>
      )}
      <div class="composer-box">
        <label class="sr-only" for="composer-input">
          Message {p.label}
        </label>
        <textarea
          id="composer-input"
          ref={box}
          rows={1}
          placeholder={`Message ${p.label}`}
          value={text}
          aria-describedby="composer-help"
          onKeyDown={onKeyDown}
          onInput={(e) => {
            const v = e.currentTarget.value;
            setText(v);
            p.onDraft(v);
            p.onTyping(v.trim() !== "");
          }}
          onBlur={p.onStopTyping}
        />
        <button class="send" type="submit" aria-label="Send" disabled={text.trim() === ""}>
          <Icon name="send" />
        </button>
      </div>
      <p id="composer-help" class="sr-only">
        Enter sends, Shift+Enter starts a new line.
      </p>
    </form>
  );
}
