/**
 * Pure presentation helpers: links, times, day separators, grouping, and error
 * messages in plain words. Everything returns data; the views render it as text.
 */
import { locale, t } from "../i18n/index.js";
import { dmParticipants, type ErrorBody, type ErrorCode, type Message } from "../../../src/shared/wire.js";

/** An ack error, or one the client itself concluded (no answer in time, connection lost). */
export interface ClientError extends Omit<ErrorBody, "code"> {
  code: ErrorCode | "timeout" | "disconnected";
}

export type Segment =
  | { kind: "text"; text: string }
  | { kind: "link"; text: string; href: string }
  | { kind: "mention"; text: string; user: string; me: boolean };

const URL_CANDIDATE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'"*_~]+$/;

/** Trims punctuation that ends a sentence rather than the URL, and unbalanced closing brackets. */
export function trimUrl(candidate: string): string {
  let s = candidate;
  for (;;) {
    const before = s;
    s = s.replace(TRAILING, "");
    for (const [open, close] of [
      ["(", ")"],
      ["[", "]"],
      ["{", "}"],
    ] as const) {
      if (s.endsWith(close)) {
        const opens = s.split(open).length - 1;
        const closes = s.split(close).length - 1;
        if (closes > opens) s = s.slice(0, -1);
      }
    }
    if (s === before) return s;
  }
}

/** An http(s) URL safe to put in href, or undefined. */
export function safeHref(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return undefined;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return undefined;
  if (!u.hostname) return undefined;
  return u.href;
}

/** Splits a message body into text and http(s) links. Never produces markup. */
export function linkify(body: string): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const match of body.matchAll(URL_CANDIDATE)) {
    const start = match.index ?? 0;
    const text = trimUrl(match[0]);
    const href = safeHref(text);
    if (!href) continue;
    if (start > at) out.push({ kind: "text", text: body.slice(at, start) });
    out.push({ kind: "link", text, href });
    at = start + text.length;
  }
  if (at < body.length) out.push({ kind: "text", text: body.slice(at) });
  return out;
}

/** `@name` as `mentionsIn` (wire.ts) reads it: not inside an e-mail address; "@bob." names bob. */
const MENTION = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{1,32})/g;

/** Where the `@name` mentions of a body are: [start, end) of "@name", and the name. */
export function mentionRanges(body: string): { start: number; end: number; user: string }[] {
  const out: { start: number; end: number; user: string }[] = [];
  for (const m of body.matchAll(MENTION)) {
    const user = m[2]!.replace(/\.+$/, "");
    if (!user) continue;
    const start = (m.index ?? 0) + m[1]!.length;
    out.push({ start, end: start + 1 + user.length, user });
  }
  return out;
}

/**
 * A body as text, http(s) links and `@name` mentions (`me` marks the ones naming this
 * user). Never produces markup: the segments' texts joined are exactly the body.
 */
export function richText(body: string, me: string): Segment[] {
  const mentions = mentionRanges(body);
  if (mentions.length === 0) return linkify(body);
  const out: Segment[] = [];
  let offset = 0;
  for (const seg of linkify(body)) {
    const segStart = offset;
    offset += seg.text.length;
    if (seg.kind !== "text") {
      out.push(seg);
      continue;
    }
    let at = segStart;
    for (const m of mentions) {
      if (m.start < at || m.end > offset) continue;
      if (m.start > at) out.push({ kind: "text", text: body.slice(at, m.start) });
      out.push({ kind: "mention", text: body.slice(m.start, m.end), user: m.user, me: m.user === me });
      at = m.end;
    }
    if (at < offset) out.push({ kind: "text", text: body.slice(at, offset) });
  }
  return out;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Calendar days between two instants in local time (b - a). */
export function dayDiff(a: Date, b: Date): number {
  return Math.round((startOfDay(b) - startOfDay(a)) / (24 * HOUR));
}

export function sameDay(a: Date, b: Date): boolean {
  return dayDiff(a, b) === 0;
}

function clock(d: Date, loc: string): string {
  return d.toLocaleTimeString(loc, { hour: "2-digit", minute: "2-digit" });
}

/** "just now", "5 min ago", "3 h ago", "yesterday 14:03", "Mon 3 Mar 14:03". */
export function relativeTime(iso: string, now: Date, loc = locale()): string {
  const d = new Date(iso);
  const ms = now.getTime() - d.getTime();
  if (Number.isNaN(ms)) return "";
  if (ms < 45_000) return t("time.justNow");
  if (ms < HOUR) return t("time.minutesAgo", { count: Math.max(1, Math.round(ms / MINUTE)) });
  const days = dayDiff(d, now);
  if (days === 0 && ms < 12 * HOUR) return t("time.hoursAgo", { count: Math.round(ms / HOUR) });
  if (days === 0) return clock(d, loc);
  if (days === 1) return t("time.yesterdayAt", { time: clock(d, loc) });
  const opts: Intl.DateTimeFormatOptions = { weekday: "short", day: "numeric", month: "short" };
  if (d.getFullYear() !== now.getFullYear()) opts.year = "numeric";
  return `${d.toLocaleDateString(loc, opts)} ${clock(d, loc)}`;
}

/** The day separator's label: "Today", "Yesterday", "Monday, 3 March" (with the year if not this year). */
export function dayLabel(iso: string, now: Date, loc = locale()): string {
  const d = new Date(iso);
  const days = dayDiff(d, now);
  if (days === 0) return t("time.today");
  if (days === 1) return t("time.yesterday");
  const opts: Intl.DateTimeFormatOptions = { weekday: "long", day: "numeric", month: "long" };
  if (d.getFullYear() !== now.getFullYear()) opts.year = "numeric";
  return d.toLocaleDateString(loc, opts);
}

/** The exact time, for a tooltip. */
export function fullTime(iso: string, loc = locale()): string {
  const d = new Date(iso);
  return d.toLocaleString(loc, { dateStyle: "full", timeStyle: "short" });
}

/** Consecutive messages of one author within this gap form a group. */
export const GROUP_GAP_MS = 5 * MINUTE;

export interface Row<N> {
  kind: "day" | "message" | "notice";
  key: string;
  /** For "day": the label's date; for "message", the message. */
  day?: string;
  message?: Message;
  notice?: N;
  /** For "message": first of a run by one author (shows name and avatar). */
  groupStart?: boolean;
}

/**
 * Lays out the list: day separators, author groups, and notices placed after the
 * message they followed. A notice breaks a group.
 */
export function buildRows<N extends { id: number; afterSeq: number; at: string }>(
  messages: readonly Message[],
  notices: readonly N[],
): Row<N>[] {
  const rows: Row<N>[] = [];
  let prev: { user: string; at: Date } | undefined;
  let lastDay: Date | undefined;
  let ni = 0;
  const sortedNotices = [...notices].sort((a, b) => a.afterSeq - b.afterSeq || a.id - b.id);
  const firstSeq = messages[0]?.seq ?? Number.POSITIVE_INFINITY;
  // Notices anchored before the loaded window are dropped with it.
  while (ni < sortedNotices.length && sortedNotices[ni]!.afterSeq < firstSeq && sortedNotices[ni]!.afterSeq !== 0) ni++;
  const pushDay = (iso: string) => {
    const d = new Date(iso);
    if (!lastDay || !sameDay(lastDay, d)) {
      rows.push({ kind: "day", key: `day-${iso}`, day: iso });
      lastDay = d;
      prev = undefined;
    }
  };
  const flushNotices = (upTo: number) => {
    while (ni < sortedNotices.length && sortedNotices[ni]!.afterSeq <= upTo) {
      const n = sortedNotices[ni++]!;
      pushDay(n.at);
      rows.push({ kind: "notice", key: `notice-${n.id}`, notice: n });
      prev = undefined;
    }
  };
  flushNotices(0);
  for (const m of messages) {
    flushNotices(m.seq - 1);
    pushDay(m.createdAt);
    const at = new Date(m.createdAt);
    const groupStart = !prev || prev.user !== m.user || at.getTime() - prev.at.getTime() > GROUP_GAP_MS;
    rows.push({ kind: "message", key: `m-${m.seq}`, message: m, groupStart });
    prev = { user: m.user, at };
    flushNotices(m.seq);
  }
  flushNotices(Number.POSITIVE_INFINITY);
  return rows;
}

/** The name a room shows: "#general", or the other person's name for a DM. */
export function roomTitle(room: string, me: string): { title: string; dm: boolean; peer?: string } {
  const pair = dmParticipants(room);
  if (pair) {
    const peer = pair[0] === me ? pair[1] : pair[0];
    return { title: peer, dm: true, peer };
  }
  return { title: room, dm: false };
}

function seconds(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  return t("time.seconds", { count: s });
}

/**
 * A send or edit refused because the body is over `MAX_MESSAGE_CHARS`: the limit the
 * server named (its message says "longer than N characters"), or 0 if it named none.
 */
export function tooLongLimit(e: ClientError): number | undefined {
  if (e.code !== "invalid_payload" || !/longer|too long|too_big|max/i.test(e.message)) return undefined;
  return Number(/(\d+)/.exec(e.message)?.[1] ?? 0);
}

/** An ack error in plain words, for the line next to the composer. */
export function errorText(e: ClientError | undefined): string {
  if (!e) return "";
  switch (e.code) {
    case "rate_limited":
      return e.retryAfterMs !== undefined ? t("error.rateLimitedIn", { wait: seconds(e.retryAfterMs) }) : t("error.rateLimited");
    case "invalid_payload": {
      const limit = tooLongLimit(e);
      if (limit !== undefined) return limit ? t("error.tooLongLimit", { limit }) : t("error.tooLong");
      if (/empty/i.test(e.message)) return t("error.empty");
      return t("error.notAccepted");
    }
    case "limit_exceeded":
      return t("error.limitExceeded");
    case "forbidden":
      return t("error.forbidden");
    case "not_joined":
      return t("error.notJoined");
    case "unauthenticated":
      return t("error.unauthenticated");
    case "not_found":
      return t("error.notFound");
    case "unavailable":
      return t("error.unavailable");
    case "timeout":
      return t("error.timeout");
    case "disconnected":
      return t("error.disconnected");
    default:
      return e.message ? t("error.serverSaid", { message: e.message }) : t("error.server");
  }
}

/** A refused connection (`connect_error`) in plain words. */
export function connectErrorText(message: string): string {
  switch (message) {
    case "invalid_username":
      return t("error.invalidUsername");
    case "unauthorized":
      return t("error.unauthorized");
    case "session_expired":
      return t("error.sessionExpired");
    default:
      return message;
  }
}

/** A short, stable colour index for a username (the CSS has that many avatar classes). */
export function colorIndex(name: string, buckets = 8): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % buckets;
}

/** One or two letters for an avatar. */
export function initials(name: string): string {
  const parts = name.split(/[._-]+/).filter(Boolean);
  const a = parts[0]?.[0] ?? name[0] ?? "?";
  const b = parts.length > 1 ? (parts[1]?.[0] ?? "") : "";
  return (a + b).toUpperCase();
}

/** A room as written in running text: `#name`, or the other person's name for a DM. */
export function roomLabel(room: string, me: string): string {
  const t = roomTitle(room, me);
  return t.dm ? t.title : `#${t.title}`;
}
