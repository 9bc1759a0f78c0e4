import { Component, createRef, type ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Message } from "../../../src/shared/wire.js";
import { buildRows, dayLabel, errorText, fullTime, relativeTime, richText } from "../state/format.js";
import { mentionsMe, REACTION_CHOICES, reactionViews } from "../state/rich.js";
import type { Notice, Outgoing } from "../state/roomLog.js";
import { Avatar, Icon, memo } from "./bits.js";

/** What a person can do to a message; one object per room, so rows can skip re-rendering. */
export interface MessageActions {
  startEdit(seq: number): void;
  saveEdit(seq: number, body: string): Promise<boolean>;
  cancelEdit(): void;
  remove(seq: number): void;
  react(seq: number, emoji: string): void;
  dismissError(seq: number): void;
}

export interface MessageListProps {
  room: string;
  me: string;
  messages: readonly Message[];
  outgoing: readonly Outgoing[];
  notices: readonly Notice[];
  seenBy?: { seq: number; users: string[] };
  hasOlder: boolean;
  loadingOlder: boolean;
  /** Minute-resolution clock for relative times. */
  now: number;
  onNearTop(): void;
  /** The newest message is on screen (the caller checks window focus). */
  onSeeNewest(): void;
  onRetry(clientId: string): void;
  onDiscard(clientId: string): void;
  actions: MessageActions;
  /** The seq being edited, if any. */
  editing?: number;
  /** Edit/delete/react errors by seq, in plain words. */
  errors: ReadonlyMap<number, string>;
  /** Scroll to this message and make it stand out (a search result). */
  highlight?: number;
}

/** The person just wrote a message (a new pending row). */
function sentNew(prev: MessageListProps, next: MessageListProps): boolean {
  const ids = new Set(prev.outgoing.map((o) => o.clientId));
  return next.outgoing.some((o) => !ids.has(o.clientId));
}

interface State {
  newBelow: boolean;
}

interface Snapshot {
  scrollHeight: number;
  scrollTop: number;
  wasAtBottom: boolean;
}

/** Within this many pixels of the end counts as "at the bottom". */
const BOTTOM_SLACK = 48;
const TOP_PREFETCH = 400;

export class MessageList extends Component<MessageListProps, State> {
  override state: State = { newBelow: false };
  private readonly scroller = createRef<HTMLDivElement>();
  private atBottom = true;

  override componentDidMount() {
    this.toBottom();
    this.afterLayout();
  }

  override getSnapshotBeforeUpdate(): Snapshot | null {
    const el = this.scroller.current;
    if (!el) return null;
    return { scrollHeight: el.scrollHeight, scrollTop: el.scrollTop, wasAtBottom: this.atBottom };
  }

  override componentDidUpdate(prev: MessageListProps, _prevState: State, snap: Snapshot | null) {
    const el = this.scroller.current;
    if (!el || !snap) return;
    const target = this.props.highlight;
    if (target !== undefined && (target !== prev.highlight || prev.room !== this.props.room || !this.shown(prev, target))) {
      const row = el.querySelector<HTMLElement>(`li[data-seq="${target}"]`);
      if (row) {
        row.scrollIntoView({ block: "center" });
        this.atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK;
        this.afterLayout();
        return;
      }
    }
    if (prev.room !== this.props.room) {
      this.atBottom = true;
      this.setState({ newBelow: false });
      this.toBottom();
    } else if (prev.editing !== this.props.editing && this.props.editing !== undefined) {
      // The editor opened: keep it on screen.
      el.querySelector<HTMLElement>(".msg.editing")?.scrollIntoView({ block: "nearest" });
    } else if (snap.wasAtBottom || sentNew(prev, this.props)) {
      // At the bottom: stay there. Sending a message also brings the person down to it.
      this.toBottom();
      if (this.state.newBelow) this.setState({ newBelow: false });
    } else {
      const prevFirst = prev.messages[0]?.seq ?? Infinity;
      const first = this.props.messages[0]?.seq ?? Infinity;
      if (first < prevFirst) {
        // Older messages went in above: keep what the person was reading in place.
        el.scrollTop = snap.scrollTop + (el.scrollHeight - snap.scrollHeight);
      }
      const prevLast = prev.messages[prev.messages.length - 1]?.seq ?? 0;
      const last = this.props.messages[this.props.messages.length - 1];
      if (last && last.seq > prevLast && last.user !== this.props.me && !this.state.newBelow) {
        this.setState({ newBelow: true });
      }
    }
    this.afterLayout();
  }

  private shown(p: MessageListProps, seq: number): boolean {
    return p.messages.some((m) => m.seq === seq);
  }

  private afterLayout() {
    const el = this.scroller.current;
    if (!el) return;
    // Too few messages to scroll: there is no "scrolling up" to trigger paging.
    if (el.scrollHeight <= el.clientHeight + TOP_PREFETCH && this.props.hasOlder && !this.props.loadingOlder) {
      this.props.onNearTop();
    }
    if (this.atBottom) this.props.onSeeNewest();
  }

  private toBottom() {
    const el = this.scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
    this.atBottom = true;
  }

  private onScroll = () => {
    const el = this.scroller.current;
    if (!el) return;
    this.atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK;
    if (this.atBottom) {
      if (this.state.newBelow) this.setState({ newBelow: false });
      this.props.onSeeNewest();
    }
    if (el.scrollTop < TOP_PREFETCH && this.props.hasOlder && !this.props.loadingOlder) this.props.onNearTop();
  };

  private jumpToNewest = () => {
    this.toBottom();
    this.setState({ newBelow: false });
    this.props.onSeeNewest();
    this.scroller.current?.focus();
  };

  override render() {
    const p = this.props;
    const rows = buildRows(p.messages, p.notices);
    const now = new Date(p.now);
    const items: ComponentChildren[] = [];
    for (const r of rows) {
      if (r.kind === "day") {
        items.push(
          <li key={r.key} class="day-sep" role="separator" aria-label={dayLabel(r.day!, now)}>
            <span>{dayLabel(r.day!, now)}</span>
          </li>,
        );
      } else if (r.kind === "notice") {
        const n = r.notice!;
        items.push(
          <li key={r.key} class="notice">
            <span>
              {n.kind === "online" ? `${n.user} is now online` : `${n.user} went offline`}
              <time dateTime={n.at}> · {relativeTime(n.at, now)}</time>
            </span>
          </li>,
        );
      } else {
        const m = r.message!;
        items.push(
          <MessageRow
            key={r.key}
            message={m}
            me={p.me}
            groupStart={r.groupStart === true}
            timeText={relativeTime(m.createdAt, now)}
            seenBy={p.seenBy && p.seenBy.seq === m.seq ? p.seenBy.users.join(", ") : ""}
            editing={p.editing === m.seq}
            error={p.errors.get(m.seq)}
            flash={p.highlight === m.seq}
            actions={p.actions}
          />,
        );
      }
    }
    const lastUser = p.messages[p.messages.length - 1]?.user;
    p.outgoing.forEach((o, i) => {
      items.push(
        <PendingRow
          key={`out-${o.clientId}`}
          me={p.me}
          outgoing={o}
          groupStart={i === 0 && lastUser !== p.me}
          onRetry={p.onRetry}
          onDiscard={p.onDiscard}
        />,
      );
    });

    return (
      <div class="messages-wrap">
        <div
          class="messages"
          ref={this.scroller}
          onScroll={this.onScroll}
          tabIndex={0}
          role="region"
          aria-label="Messages"
        >
          <div class="history-edge">
            {p.loadingOlder ? (
              <span class="muted">Loading older messages...</span>
            ) : p.hasOlder ? (
              <button class="btn link" type="button" onClick={p.onNearTop}>
                Load older messages
              </button>
            ) : p.messages.length > 0 ? (
              <span class="muted">This is the beginning of the conversation.</span>
            ) : null}
          </div>
          {p.messages.length === 0 && p.outgoing.length === 0 && !p.hasOlder && (
            <p class="empty-room muted">No messages yet. Say hello!</p>
          )}
          <ol class="message-list">{items}</ol>
        </div>
        {this.state.newBelow && (
          <button class="new-pill" type="button" onClick={this.jumpToNewest}>
            <Icon name="down" /> New messages
          </button>
        )}
      </div>
    );
  }
}

/** A body as text, links and @mentions; never markup. */
export function Body({ text, me }: { text: string; me: string }) {
  return (
    <>
      {richText(text, me).map((s, i) =>
        s.kind === "link" ? (
          <a key={i} href={s.href} target="_blank" rel="noopener noreferrer">
            {s.text}
          </a>
        ) : s.kind === "mention" ? (
          <span key={i} class={`mention${s.me ? " is-me" : ""}`}>
            {s.text}
          </span>
        ) : (
          s.text
        ),
      )}
    </>
  );
}

interface RowProps {
  message: Message;
  me: string;
  groupStart: boolean;
  timeText: string;
  seenBy: string;
  editing: boolean;
  error?: string;
  flash: boolean;
  actions: MessageActions;
}

const MessageRow = memo(function MessageRow(p: RowProps) {
  const { message: m, me, groupStart, timeText, seenBy, editing, error, flash, actions } = p;
  const mine = m.user === me;
  const [menu, setMenu] = useState<"none" | "react" | "delete">("none");
  const [touched, setTouched] = useState(false);
  const toolbar = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (menu === "none") return;
    toolbar.current?.querySelector<HTMLButtonElement>(menu === "react" ? ".picker button" : ".confirm .danger")?.focus();
  }, [menu]);
  const closeMenu = (refocus: boolean) => {
    setMenu("none");
    if (refocus) toolbar.current?.querySelector<HTMLButtonElement>("button")?.focus();
  };
  const cls =
    `msg${groupStart ? " group-start" : ""}${mine ? " mine" : ""}${m.deleted ? " deleted" : ""}` +
    `${mentionsMe(m, me) ? " mentions-me" : ""}${editing ? " editing" : ""}${flash ? " flash" : ""}` +
    `${menu !== "none" || touched ? " show-actions" : ""}`;
  const reactions = m.deleted ? [] : reactionViews(m, me);
  return (
    <li
      class={cls}
      data-seq={m.seq}
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
      <div class="msg-main">
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
          <p class="body">
            {m.deleted ? (
              <em>Message deleted</em>
            ) : (
              <>
                <Body text={m.body} me={me} />
                {m.editedAt && (
                  <span class="edited" title={`Edited ${fullTime(m.editedAt)}`}>
                    {" "}
                    (edited)
                  </span>
                )}
              </>
            )}
          </p>
        )}
        {reactions.length > 0 && (
          <ul class="reactions" aria-label="Reactions">
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
        {error && (
          <p class="msg-error" role="alert">
            <span>{error}</span>
            <button class="btn link" type="button" aria-label="Dismiss error" onClick={() => actions.dismissError(m.seq)}>
              <Icon name="close" />
            </button>
          </p>
        )}
        {seenBy && <p class="seen-by">Seen by {seenBy}</p>}
      </div>
      {!m.deleted && !editing && (
        <div class={`msg-actions${menu !== "none" ? " open" : ""}`} role="toolbar" aria-label={`Actions for ${m.user}'s message`} ref={toolbar}>
          {menu === "delete" ? (
            <span class="confirm">
              <span>Delete this message?</span>
              <button class="btn small danger" type="button" onClick={() => actions.remove(m.seq)}>
                Delete
              </button>
              <button class="btn small" type="button" onClick={() => closeMenu(true)}>
                Cancel
              </button>
            </span>
          ) : (
            <>
              <button
                class="icon-btn"
                type="button"
                aria-label="Add reaction"
                title="Add reaction"
                aria-expanded={menu === "react"}
                onClick={() => setMenu(menu === "react" ? "none" : "react")}
              >
                <Icon name="smile" />
              </button>
              {mine && (
                <>
                  <button class="icon-btn" type="button" aria-label="Edit message" title="Edit" onClick={() => actions.startEdit(m.seq)}>
                    <Icon name="edit" />
                  </button>
                  <button class="icon-btn" type="button" aria-label="Delete message" title="Delete" onClick={() => setMenu("delete")}>
                    <Icon name="trash" />
                  </button>
                </>
              )}
            </>
          )}
          {menu === "react" && (
            <div class="picker" role="group" aria-label="Pick a reaction">
              {REACTION_CHOICES.map((e) => {
                const on = (m.reactions?.[e] ?? []).includes(me);
                return (
                  <button
                    key={e}
                    type="button"
                    class={on ? "on" : undefined}
                    aria-pressed={on}
                    aria-label={`React with ${e}`}
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

/** The inline editor: Enter saves, Shift+Enter is a new line, Escape cancels. */
function EditBox({ message: m, actions }: { message: Message; actions: MessageActions }) {
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
        Edit message
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
          Enter to save · Escape to cancel
        </span>
        <button class="btn small" type="button" onClick={() => actions.cancelEdit()}>
          Cancel
        </button>
        <button class="btn small primary" type="submit" disabled={saving || text.trim() === ""}>
          Save
        </button>
      </div>
    </form>
  );
}

interface PendingProps {
  me: string;
  outgoing: Outgoing;
  groupStart: boolean;
  onRetry(clientId: string): void;
  onDiscard(clientId: string): void;
}

function PendingRow({ me, outgoing: o, groupStart, onRetry, onDiscard }: PendingProps) {
  return (
    <li class={`msg mine ${o.status}${groupStart ? " group-start" : ""}`} data-client-id={o.clientId}>
      {groupStart ? <Avatar name={me} /> : <span class="avatar-gap" aria-hidden="true" />}
      <div class="msg-main">
        {groupStart && (
          <div class="msg-meta">
            <span class="author">{me}</span>
          </div>
        )}
        <p class="body">
          <Body text={o.body} me={me} />
        </p>
        {o.status === "pending" ? (
          <p class="send-state muted">Sending...</p>
        ) : (
          <p class="send-state failed-text">
            Not sent{o.error ? `: ${errorText(o.error)}` : "."}{" "}
            <button class="btn link" type="button" onClick={() => onRetry(o.clientId)}>
              Retry
            </button>{" "}
            <button class="btn link" type="button" onClick={() => onDiscard(o.clientId)}>
              Discard
            </button>
          </p>
        )}
      </div>
    </li>
  );
}
