import { Component, createRef, type ComponentChildren } from "preact";
import type { Message } from "../../../src/shared/wire.js";
import { t } from "../i18n/index.js";
import { buildRows, dayLabel, relativeTime } from "../state/format.js";
import type { Notice, Outgoing } from "../state/roomLog.js";
import type { LinePlace } from "../state/unreadLine.js";
import { Icon } from "./bits.js";
import { MessageRow, type MessageActions } from "./MessageRow.js";
import { PendingRow } from "./PendingRow.js";
import { Roving } from "./roving.js";
import { describeLine, lineAbove } from "./unread.js";

export type { MessageActions } from "./MessageRow.js";

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
  /** Where the "New messages" line goes (state/unreadLine.ts). */
  unreadLine?: LinePlace;
  /** Load older history until the line is loaded (it is "older"). */
  onLoadUnread?(): void;
}

/** The person just wrote a message (a new pending row). */
function sentNew(prev: MessageListProps, next: MessageListProps): boolean {
  const ids = new Set(prev.outgoing.map((o) => o.clientId));
  return next.outgoing.some((o) => !ids.has(o.clientId));
}

interface State {
  newBelow: boolean;
  /** The "New messages" line is above what is on screen (or not loaded yet). */
  lineAbove: boolean;
}

interface Snapshot {
  scrollHeight: number;
  scrollTop: number;
  wasAtBottom: boolean;
  hadFocus: boolean;
}

/** Within this many pixels of the end counts as "at the bottom". */
const BOTTOM_SLACK = 48;
const TOP_PREFETCH = 400;

export class MessageList extends Component<MessageListProps, State> {
  override state: State = { newBelow: false, lineAbove: false };
  private readonly scroller = createRef<HTMLDivElement>();
  private readonly list = createRef<HTMLOListElement>();
  private atBottom = true;
  /** The person asked to jump to the line before it was loaded. */
  private lineWanted = false;
  private readonly roving = new Roving({
    hasOlder: () => this.props.hasOlder,
    loadOlder: () => this.props.onNearTop(),
  });

  override componentDidMount() {
    this.roving.attach(this.list.current);
    this.roving.sync(false);
    this.toBottom();
    this.afterLayout();
  }

  override componentWillUnmount() {
    this.roving.attach(null);
  }

  override getSnapshotBeforeUpdate(): Snapshot | null {
    const el = this.scroller.current;
    if (!el) return null;
    return { scrollHeight: el.scrollHeight, scrollTop: el.scrollTop, wasAtBottom: this.atBottom, hadFocus: this.roving.hasFocus() };
  }

  override componentDidUpdate(prev: MessageListProps, _prevState: State, snap: Snapshot | null) {
    const el = this.scroller.current;
    if (!el || !snap) return;
    if (prev.room !== this.props.room) {
      this.roving.reset();
      this.lineWanted = false;
    }
    this.roving.sync(snap.hadFocus && prev.room === this.props.room);
    if (this.lineWanted && this.showLine()) return;
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
    this.checkLine();
    describeLine(this.list.current);
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

  /** Whether the "New messages" line is above the screen, for the pill that jumps to it. */
  private checkLine() {
    const above = lineAbove(this.scroller.current, this.props.unreadLine);
    if (above !== this.state.lineAbove) this.setState({ lineAbove: above });
  }

  /** Brings the line into view with its first message focused; false while it is not loaded. */
  private showLine(): boolean {
    const line = this.scroller.current?.querySelector<HTMLElement>(".unread-line");
    const place = this.props.unreadLine;
    if (!line || place?.kind !== "at") return false;
    this.lineWanted = false;
    line.scrollIntoView({ block: "start" });
    this.roving.focusItem(`m${place.seq}`);
    this.onScroll();
    return true;
  }

  private jumpToLine = () => {
    if (this.showLine()) return;
    this.lineWanted = true;
    this.props.onLoadUnread?.();
  };

  private onScroll = () => {
    const el = this.scroller.current;
    if (!el) return;
    this.checkLine();
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
    this.roving.focusItem();
  };

  override render() {
    const p = this.props;
    const rows = buildRows(p.messages, p.notices);
    const now = new Date(p.now);
    const items: ComponentChildren[] = [];
    for (const r of rows) {
      if (r.kind === "day") {
        items.push(
          <li key={r.key} class="day-sep" role="none">
            <span>{dayLabel(r.day!, now)}</span>
          </li>,
        );
      } else if (r.kind === "notice") {
        const n = r.notice!;
        items.push(
          <li key={r.key} class="notice" role="none">
            <span>
              {t(n.kind === "online" ? "list.cameOnline" : "list.wentOffline", { user: n.user })}
              <time dateTime={n.at}> · {relativeTime(n.at, now)}</time>
            </span>
          </li>,
        );
      } else {
        const m = r.message!;
        const lineHere = p.unreadLine?.kind === "at" && p.unreadLine.seq === m.seq;
        if (lineHere) {
          items.push(
            <li key="unread-line" class="unread-line" role="none">
              <span id="unread-line-text">{t("list.newMessages")}</span>
            </li>,
          );
        }
        items.push(
          <MessageRow
            key={r.key}
            message={m}
            me={p.me}
            groupStart={r.groupStart === true || lineHere}
            timeText={relativeTime(m.createdAt, now)}
            seenBy={p.seenBy && p.seenBy.seq === m.seq ? p.seenBy.users.join(", ") : ""}
            editing={p.editing === m.seq}
            error={p.errors.get(m.seq)}
            flash={p.highlight === m.seq}
            actions={p.actions}
            role="article"
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
          role="article"
        />,
      );
    });

    return (
      <div class="messages-wrap">
        <div class="messages" ref={this.scroller} onScroll={this.onScroll}>
          <div class="history-edge">
            {p.loadingOlder ? (
              <span class="muted">{t("list.loadingOlder")}</span>
            ) : p.hasOlder ? (
              // Out of the Tab order: the list is one Tab stop, and Up at its top loads these.
              <button class="btn link" type="button" tabIndex={-1} onClick={p.onNearTop}>
                {t("list.loadOlder")}
              </button>
            ) : p.messages.length > 0 ? (
              <span class="muted">{t("list.beginning")}</span>
            ) : null}
          </div>
          {p.messages.length === 0 && p.outgoing.length === 0 && !p.hasOlder && (
            <p class="empty-room muted">{t("list.empty")}</p>
          )}
          {/* The feed pattern: the list's own semantics give way to the feed's articles (a feed
              has at least one). */}
          <div {...(p.messages.length + p.outgoing.length > 0 ? { role: "feed", "aria-label": t("list.label"), "aria-busy": p.loadingOlder } : {})}>
            <ol class="message-list" ref={this.list} role="none">
              {items}
            </ol>
          </div>
        </div>
        {this.state.lineAbove && p.unreadLine?.kind !== "none" && (
          <button class="new-pill unread-pill" type="button" onClick={this.jumpToLine}>
            <Icon name="up" /> {t("list.jumpUnread")}
          </button>
        )}
        {this.state.newBelow && (
          <button class="new-pill" type="button" onClick={this.jumpToNewest}>
            <Icon name="down" /> {t("list.newMessages")}
          </button>
        )}
      </div>
    );
  }
}
