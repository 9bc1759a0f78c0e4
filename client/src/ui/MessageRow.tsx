/** One message in a room: body, reactions, actions (the edit box is EditBox.tsx; a message still being sent, PendingRow.tsx). */
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Message } from "../../../src/shared/wire.js";
import { t } from "../i18n/index.js";
import { fullTime } from "../state/format.js";
import { mentionsMe, REACTION_CHOICES, reactionViews } from "../state/rich.js";
import { MessageAttachments } from "./Attachments.js";
import { Avatar, Icon, memo } from "./bits.js";
import { trapTab } from "./focus.js";
import { EditBox } from "./EditBox.js";
import { ThreadSummary } from "./ThreadSummary.js";
import { Markdown } from "./Markdown.js";

/** What a person can do to a message; one object per room, so rows can skip re-rendering. */
export interface MessageActions {
  startEdit(seq: number): void;
  saveEdit(seq: number, body: string): Promise<boolean>;
  cancelEdit(): void;
  remove(seq: number): void;
  react(seq: number, emoji: string): void;
  dismissError(seq: number): void;
  /** Opens the thread of a root (the room's timeline; the thread panel has none). */
  openThread?(seq: number): void;
}

/** A body with formatting, links, @mentions and emoji; never markup. */
export function Body({ text, me }: { text: string; me: string }) {
  return <Markdown text={text} me={me} />;
}

export interface RowProps {
  message: Message;
  me: string;
  groupStart: boolean;
  timeText: string;
  seenBy: string;
  editing: boolean;
  error?: string;
  flash: boolean;
  actions: MessageActions;
  /** "article" in the room's feed (MessageList, ui/roving.ts); a plain list item elsewhere. */
  role?: "article";
}

export const MessageRow = memo(function MessageRow(p: RowProps) {
  const { message: m, me, groupStart, timeText, seenBy, editing, error, flash, actions } = p;
  const mine = m.user === me;
  const [menu, setMenu] = useState<"none" | "react" | "delete">("none");
  const [touched, setTouched] = useState(false);
  const toolbar = useRef<HTMLDivElement>(null);
  /** The button that opened the menu, to take the focus back when it closes. */
  const opener = useRef<string | undefined>(undefined);
  // In the commit that shows or hides the menu, so the focus never rests on the page between.
  useLayoutEffect(() => {
    const bar = toolbar.current;
    if (menu !== "none") {
      bar?.querySelector<HTMLButtonElement>(menu === "react" ? ".picker button" : ".confirm .danger")?.focus();
    } else if (opener.current) {
      bar?.querySelector<HTMLButtonElement>(`button[aria-label="${opener.current}"]`)?.focus();
      opener.current = undefined;
    }
  }, [menu]);
  const closeMenu = (refocus: boolean) => {
    opener.current = refocus ? t(menu === "delete" ? "msg.deleteMessage" : "msg.addReaction") : undefined;
    setMenu("none");
  };
  const cls =
    `msg${groupStart ? " group-start" : ""}${mine ? " mine" : ""}${m.deleted ? " deleted" : ""}` +
    `${mentionsMe(m, me) ? " mentions-me" : ""}${editing ? " editing" : ""}${flash ? " flash" : ""}` +
    `${menu !== "none" || touched ? " show-actions" : ""}`;
  const reactions = m.deleted ? [] : reactionViews(m, me);
  return (
    <li
      class={cls}
      role={p.role}
      data-seq={m.seq}
      data-client-id={mine ? m.clientId : undefined}
      onClick={(e) => {
        // Touch screens have no hover: a tap on the message shows its actions.
        if (!(e.target as HTMLElement).closest("button, a, textarea")) setTouched(!touched);
      }}
      onMouseLeave={() => touched && setTouched(false)}
      onKeyDown={(e) => {
        if (e.key === "Escape" && menu !== "none") {
          e.stopPropagation();
          closeMenu(true);
        }
      }}
    >
      {groupStart ? <Avatar name={m.user} /> : <span class="avatar-gap" aria-hidden="true" />}
      {/* Every message has its full time on hover, not only the first of a group. */}
      <div class="msg-main" title={fullTime(m.createdAt)}>
        {groupStart ? (
          <div class="msg-meta">
            <span class="author">{m.user}</span>
            <time dateTime={m.createdAt} title={fullTime(m.createdAt)}>
              {timeText}
            </time>
          </div>
        ) : (
          <span class="sr-only">{m.user}: </span>
        )}
        {editing ? (
          <EditBox message={m} actions={actions} />
        ) : (
          <div class="body">
            {m.deleted ? (
              <em>{t("msg.deleted")}</em>
            ) : (
              <>
                <Body text={m.body} me={me} />
                {m.editedAt && (
                  <span class="edited" title={t("msg.editedAt", { time: fullTime(m.editedAt) })}>
                    {" "}
                    {t("msg.edited")}
                  </span>
                )}
              </>
            )}
          </div>
        )}
        <MessageAttachments message={m} />
        {reactions.length > 0 && (
          <ul class="reactions" aria-label={t("msg.reactions")}>
            {reactions.map((r) => (
              <li key={r.emoji}>
                <button
                  type="button"
                  class={`chip${r.mine ? " mine" : ""}`}
                  aria-pressed={r.mine}
                  aria-label={r.label}
                  title={r.users.join(", ")}
                  onClick={() => actions.react(m.seq, r.emoji)}
                >
                  <span class="chip-emoji" aria-hidden="true">
                    {r.emoji}
                  </span>
                  <span class="chip-count" aria-hidden="true">
                    {r.count}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
        {actions.openThread && m.threadOf === undefined && (m.replyCount ?? 0) > 0 && (
          <ThreadSummary message={m} onOpen={actions.openThread} />
        )}
        {error && (
          <p class="msg-error" role="alert">
            <span>{error}</span>
            <button class="btn link" type="button" aria-label={t("msg.dismissError")} onClick={() => actions.dismissError(m.seq)}>
              <Icon name="close" />
            </button>
          </p>
        )}
        {seenBy && <p class="seen-by">{t("msg.seenBy", { names: seenBy })}</p>}
      </div>
      {!m.deleted && !editing && (
        <div class={`msg-actions${menu !== "none" ? " open" : ""}`} role="toolbar" aria-label={t("msg.actionsFor", { user: m.user })} ref={toolbar}>
          {menu === "delete" ? (
            <span
              class="confirm"
              role="alertdialog"
              aria-label={t("msg.confirmDelete")}
              onKeyDown={(e) => trapTab(e, e.currentTarget)}
            >
              <span aria-hidden="true">{t("msg.confirmDelete")}</span>
              <button class="btn small danger" type="button" onClick={() => actions.remove(m.seq)}>
                {t("msg.delete")}
              </button>
              <button class="btn small" type="button" onClick={() => closeMenu(true)}>
                {t("msg.cancel")}
              </button>
            </span>
          ) : (
            <>
              <button
                class="icon-btn"
                type="button"
                aria-label={t("msg.addReaction")}
                title={t("msg.addReaction")}
                aria-expanded={menu === "react"}
                onClick={() => setMenu(menu === "react" ? "none" : "react")}
              >
                <Icon name="smile" />
              </button>
              {actions.openThread && m.threadOf === undefined && (
                <button class="icon-btn" type="button" aria-label={t("thread.reply")} title={t("thread.reply")} onClick={() => actions.openThread!(m.seq)}>
                  <Icon name="thread" />
                </button>
              )}
              {mine && (
                <>
                  <button class="icon-btn" type="button" aria-label={t("msg.editMessage")} title={t("msg.edit")} onClick={() => actions.startEdit(m.seq)}>
                    <Icon name="edit" />
                  </button>
                  <button class="icon-btn" type="button" aria-label={t("msg.deleteMessage")} title={t("msg.delete")} onClick={() => setMenu("delete")}>
                    <Icon name="trash" />
                  </button>
                </>
              )}
            </>
          )}
          {menu === "react" && (
            <div class="picker" role="group" aria-label={t("msg.pickReaction")}>
              {REACTION_CHOICES.map((e) => {
                const on = (m.reactions?.[e] ?? []).includes(me);
                return (
                  <button
                    key={e}
                    type="button"
                    class={on ? "on" : undefined}
                    aria-pressed={on}
                    aria-label={t("msg.reactWith", { emoji: e })}
                    onClick={() => {
                      actions.react(m.seq, e);
                      closeMenu(true);
                    }}
                  >
                    {e}
                  </button>
                );
              })}
            </div>
          )}
        </div>
      )}
    </li>
  );
});
