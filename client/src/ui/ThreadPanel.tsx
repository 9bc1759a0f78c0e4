/**
 * The thread panel beside the room (a drawer on narrow screens): the root, its replies
 * with paging, follow/unfollow and a reply box. Messages here have the room's actions
 * (edit, delete, react). The focus comes in when it opens and goes back to the root's
 * "N replies" (or its "Reply in thread") when it closes; Escape closes it.
 */
import { t } from "../i18n/index.js";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ChatClient } from "../state/chat.js";
import { errorText, relativeTime, roomLabel } from "../state/format.js";
import { replyCountText } from "../state/thread.js";
import type { OpenThread } from "../state/threadPanel.js";
import { Icon } from "./bits.js";
import { trapTab } from "./focus.js";
import { MessageRow, type MessageActions } from "./MessageRow.js";
import { PendingRow } from "./PendingRow.js";

/** Narrow screens show the panel as a modal drawer (styles.css uses the same width). */
const NARROW = "(max-width: 759px)";

/** Back to the root's thread button in the room's timeline, or to the message box. */
function focusBack(root: number) {
  const row = document.querySelector<HTMLElement>(`.message-list li[data-seq="${root}"]`);
  const target =
    row?.querySelector<HTMLElement>(".thread-summary") ??
    row?.querySelector<HTMLElement>('button[aria-label="Reply in thread"]') ??
    document.getElementById("composer-input");
  target?.focus();
}

export function ThreadPanel({ chat, thread, now }: { chat: ChatClient; thread: OpenThread; now: number }) {
  const { room, root } = thread;
  const me = chat.me;
  const panel = useRef<HTMLElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const [text, setText] = useState("");
  const [editing, setEditing] = useState<number | undefined>();
  const close = () => {
    chat.threads.close();
    setTimeout(() => focusBack(root), 0);
  };

  // Opening (or switching to another thread) puts the focus in the reply box.
  useLayoutEffect(() => {
    input.current?.focus();
    setEditing(undefined);
  }, [room, root]);

  // Escape closes, from anywhere but the open menus and editors that take it first.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && !e.defaultPrevented) close();
      else if (e.key === "Tab" && panel.current && matchMedia(NARROW).matches) trapTab(e, panel.current);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [room, root]);

  const actions = useMemo<MessageActions>(
    () => ({
      startEdit: (seq) => setEditing(seq),
      saveEdit: (seq, body) => chat.edit(room, seq, body),
      cancelEdit: () => {
        setEditing(undefined);
        input.current?.focus();
      },
      remove: (seq) => {
        void chat.remove(room, seq).then((ok) => ok && input.current?.focus());
      },
      react: (seq, emoji) => {
        if (chat.rooms.get(room)?.log.get(seq)) void chat.react(room, seq, emoji);
        else void chat.threads.current?.reactFetched(seq, emoji);
      },
      dismissError: (seq) => chat.clearMessageError(room, seq),
    }),
    [chat, room],
  );

  const r = chat.rooms.get(room);
  const rootMsg = thread.rootMessage();
  const replies = thread.replies();
  const pending = thread.outgoing();
  const errors = r?.messageErrors ?? new Map<number, string>();
  const following = thread.isFollowing();
  const at = new Date(now);

  const send = () => {
    if (chat.send(room, text, root) !== undefined) setText("");
  };

  // New replies keep the list at its end, as in the room; older ones loaded above keep
  // what the person was reading in place.
  const scroller = useRef<HTMLDivElement>(null);
  const before = useRef({ first: Infinity, height: 0, top: 0 });
  const first = replies[0]?.seq ?? Infinity;
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const b = before.current;
    el.scrollTop = first < b.first && b.first !== Infinity ? b.top + (el.scrollHeight - b.height) : el.scrollHeight;
    before.current = { first, height: el.scrollHeight, top: el.scrollTop };
  }, [replies.length, pending.length]);

  return (
    <>
      <div class="thread-scrim" aria-hidden="true" onClick={close} />
      <aside class="thread-panel" id="thread-panel" aria-labelledby="thread-title" ref={panel}>
        <header class="thread-head">
          <h2 id="thread-title">
            {t("thread.title")} <span class="muted small">{t("thread.inRoom", { room: roomLabel(room, me) })}</span>
          </h2>
          <button
            type="button"
            class={`btn small${following ? "" : " primary"}`}
            aria-pressed={following}
            onClick={() => void thread.setFollowing(!following)}
          >
            {t(following ? "thread.following" : "thread.follow")}
          </button>
          <button type="button" class="icon-btn" aria-label={t("thread.close")} onClick={close}>
            <Icon name="close" />
          </button>
        </header>
        <div
          class="thread-body"
          ref={scroller}
          tabIndex={0}
          role="region"
          aria-label={t("thread.messages")}
          onScroll={(e) => (before.current = { first, height: e.currentTarget.scrollHeight, top: e.currentTarget.scrollTop })}
        >
          {thread.error && (
            <p class="room-error" role="alert">
              {errorText(thread.error)}
            </p>
          )}
          {rootMsg ? (
            <ol class="thread-list thread-root">
              <MessageRow
                message={rootMsg}
                me={me}
                groupStart
                timeText={relativeTime(rootMsg.createdAt, at)}
                seenBy=""
                editing={editing === root}
                error={errors.get(root)}
                flash={false}
                actions={actions}
              />
            </ol>
          ) : (
            <p class="muted thread-loading">{thread.loading ? t("thread.loading") : ""}</p>
          )}
          <p class="thread-divider">
            <span>{replyCountText(Math.max(rootMsg?.replyCount ?? 0, replies.length))}</span>
          </p>
          {thread.hasMore && (
            <div class="history-edge">
              {thread.loading ? (
                <span class="muted">{t("thread.loadingOlder")}</span>
              ) : (
                <button class="btn link" type="button" onClick={() => void thread.load(true)}>
                  {t("thread.loadOlder")}
                </button>
              )}
            </div>
          )}
          <ol class="thread-list thread-replies">
            {replies.map((m, i) => (
              <MessageRow
                key={m.seq}
                message={m}
                me={me}
                groupStart={i === 0 || replies[i - 1]!.user !== m.user}
                timeText={relativeTime(m.createdAt, at)}
                seenBy=""
                editing={editing === m.seq && !m.deleted}
                error={errors.get(m.seq)}
                flash={false}
                actions={actions}
              />
            ))}
            {pending.map((o, i) => (
              <PendingRow
                key={`out-${o.clientId}`}
                me={me}
                outgoing={o}
                groupStart={i === 0 && replies[replies.length - 1]?.user !== me}
                onRetry={(id) => chat.retry(room, id)}
                onDiscard={(id) => chat.discard(room, id)}
              />
            ))}
          </ol>
        </div>
        <form
          class="thread-composer"
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
        >
          <label class="sr-only" for="thread-input">
            {t("thread.reply")}
          </label>
          <textarea
            id="thread-input"
            ref={input}
            rows={1}
            value={text}
            placeholder={t("thread.placeholder")}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                send();
              }
            }}
          />
          <button class="send" type="submit" aria-label={t("thread.send")} disabled={text.trim() === ""}>
            <Icon name="send" />
          </button>
        </form>
      </aside>
    </>
  );
}
