/**
 * Desktop notifications, the policy: what notifies (a direct message, a mention of this
 * user, a reply in a thread they follow), when (only while the page is hidden, never
 * in a muted room, never their own messages, once per message), and what it says. The
 * settings (on or off, sound, muted rooms) are plain data here; ui/notifications.ts keeps
 * them in localStorage and talks to the browser's Notification API and Web Audio.
 */
import { t } from "../i18n/index.js";
import { dmParticipants, type Message } from "../../../src/shared/wire.js";
import { mentionsMe } from "./rich.js";

export interface NotifySettings {
  /** Desktop notifications, once the browser has granted them. */
  desktop: boolean;
  /** A short tone with each. */
  sound: boolean;
  /** Rooms that notify nothing. */
  muted: ReadonlySet<string>;
}

export const DEFAULT_SETTINGS: NotifySettings = { desktop: false, sound: false, muted: new Set() };

/** Settings from their stored JSON; anything unreadable is the default. */
export function parseSettings(raw: string | null): NotifySettings {
  if (!raw) return DEFAULT_SETTINGS;
  try {
    const v: unknown = JSON.parse(raw);
    if (!v || typeof v !== "object") return DEFAULT_SETTINGS;
    const o = v as Record<string, unknown>;
    const muted = Array.isArray(o.muted) ? o.muted.filter((r): r is string => typeof r === "string") : [];
    return { desktop: o.desktop === true, sound: o.sound === true, muted: new Set(muted) };
  } catch {
    return DEFAULT_SETTINGS;
  }
}

export function serializeSettings(s: NotifySettings): string {
  return JSON.stringify({ desktop: s.desktop, sound: s.sound, muted: [...s.muted].sort() });
}

/** The settings with `room` muted or not. */
export function withMute(s: NotifySettings, room: string, muted: boolean): NotifySettings {
  const next = new Set(s.muted);
  if (muted) next.add(room);
  else next.delete(room);
  return { ...s, muted: next };
}

export type NotifyReason = "dm" | "mention" | "reply";

/** One notification to show. */
export interface Notice {
  /** The same message never notifies twice (a mention event and its message). */
  key: string;
  room: string;
  seq: number;
  /** A reply's thread, to open it with the message. */
  root?: number;
  reason: NotifyReason;
  title: string;
  body: string;
}

/** What the page is like when a message comes. */
export interface NotifyContext {
  settings: NotifySettings;
  /** The page is hidden (another tab, minimised). */
  hidden: boolean;
}

const BODY_CHARS = 140;
/** Message keys remembered to notify once; older ones are long past. */
const REMEMBERED = 500;

function shorten(text: string): string {
  const chars = [...text.replace(/\s+/g, " ").trim()];
  return chars.length <= BODY_CHARS ? chars.join("") : `${chars.slice(0, BODY_CHARS - 1).join("")}…`;
}

function roomLabel(room: string): string {
  return `#${room}`;
}

export class NotifyPolicy {
  private readonly seen = new Set<string>();

  constructor(private readonly me: string) {}

  /**
   * Why a live message from someone else notifies, or undefined. `followed`: it is a reply
   * in a thread this user follows, as the client's thread state tells (state/thread.ts).
   */
  reason(m: Message, followed = false): NotifyReason | undefined {
    if (m.user === this.me || m.deleted) return undefined;
    if (dmParticipants(m.room)) return "dm";
    if (mentionsMe(m, this.me)) return "mention";
    if (m.threadOf !== undefined && followed) return "reply";
    return undefined;
  }

  /** A live `message:new` from someone else. */
  message(m: Message, ctx: NotifyContext, followed = false): Notice | undefined {
    if (!this.allowed(m.room, ctx)) return undefined;
    const reason = this.reason(m, followed);
    if (!reason) return undefined;
    const title =
      reason === "dm"
        ? m.user
        : t(reason === "mention" ? "notify.mentioned" : "notify.replied", { from: m.user, room: roomLabel(m.room) });
    const n: Notice = { key: `${m.room}:${m.seq}`, room: m.room, seq: m.seq, reason, title, body: shorten(m.body) };
    if (m.threadOf !== undefined) n.root = m.threadOf;
    return this.once(n);
  }

  /**
   * A `mention` event. The message itself brings the text when its room is open in this
   * client (`known`), so the event only notifies for rooms that are not.
   */
  mention(ev: { room: string; seq: number; from: string }, ctx: NotifyContext, known: boolean): Notice | undefined {
    if (known || ev.from === this.me || !this.allowed(ev.room, ctx)) return undefined;
    const title = dmParticipants(ev.room)
      ? t("notify.mentionedInDm", { from: ev.from })
      : t("notify.mentioned", { from: ev.from, room: roomLabel(ev.room) });
    return this.once({ key: `${ev.room}:${ev.seq}`, room: ev.room, seq: ev.seq, reason: "mention", title, body: "" });
  }

  private allowed(room: string, ctx: NotifyContext): boolean {
    return ctx.hidden && !ctx.settings.muted.has(room) && (ctx.settings.desktop || ctx.settings.sound);
  }

  private once(n: Notice): Notice | undefined {
    if (this.seen.has(n.key)) return undefined;
    this.seen.add(n.key);
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.values().next().value!);
    return n;
  }
}
