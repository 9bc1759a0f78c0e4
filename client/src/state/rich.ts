/**
 * Rich messaging without the DOM: who a message mentions, reactions as the view shows
 * them, the composer's `@` autocomplete, and edit/delete/react errors in plain words.
 */
import { mentionsIn, type Message } from "../../../src/shared/wire.js";
import { t } from "../i18n/index.js";
import { errorText, type ClientError } from "./format.js";

/** The reaction picker's choices: a small fixed set of common emoji. */
export const REACTION_CHOICES = ["👍", "❤️", "😂", "🎉", "😮", "😢", "👀", "🙏"] as const;

/** Someone else's live message that names `me` with `@me`. */
export function mentionsMe(m: Message, me: string): boolean {
  return !m.deleted && m.user !== me && mentionsIn(m.body).includes(me);
}

export interface ReactionView {
  emoji: string;
  count: number;
  /** Sorted, with "you" for this user, first. */
  users: string[];
  mine: boolean;
  /** "👍 2 reactions from you and bob" style text for screen readers and the tooltip. */
  label: string;
}

function people(users: string[]): string {
  if (users.length <= 1) return users.join("");
  return t("msg.and", { list: users.slice(0, -1).join(", "), last: users[users.length - 1]! });
}

/** The reactions of a message as chips: in the picker's order, then any others in first-seen order. */
export function reactionViews(m: Message, me: string): ReactionView[] {
  const entries = Object.entries(m.reactions ?? {}).filter(([, users]) => users.length > 0);
  const rank = (e: string) => {
    const i = (REACTION_CHOICES as readonly string[]).indexOf(e);
    return i < 0 ? REACTION_CHOICES.length : i;
  };
  entries.sort((a, b) => rank(a[0]) - rank(b[0]));
  return entries.map(([emoji, users]) => {
    const mine = users.includes(me);
    const others = users.filter((u) => u !== me).sort((a, b) => a.localeCompare(b));
    const named = mine ? [t("msg.you"), ...others] : others;
    return {
      emoji,
      count: users.length,
      users: named,
      mine,
      label: t("msg.reactionLabel", { emoji, count: users.length, people: people(named) }),
    };
  });
}

/** The `on` to send when this user clicks `emoji` on `m`: a click toggles their own reaction. */
export function reactionToggle(m: Message, emoji: string, me: string): boolean {
  return !(m.reactions?.[emoji] ?? []).includes(me);
}

/** A message with `me`'s reaction set or cleared: what the screen shows while the server answers. */
export function withReaction(m: Message, emoji: string, me: string, on: boolean): Message {
  const reactions = { ...(m.reactions ?? {}) };
  const users = (reactions[emoji] ?? []).filter((u) => u !== me);
  if (on) users.push(me);
  if (users.length > 0) reactions[emoji] = users;
  else delete reactions[emoji];
  const next: Message = { ...m, reactions };
  if (Object.keys(reactions).length === 0) delete next.reactions;
  return next;
}

/** This user's newest message that can still be edited (Up arrow in an empty composer). */
export function lastEditable(messages: readonly Message[], me: string): Message | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.user === me && !m.deleted) return m;
  }
  return undefined;
}

// ---- the composer's @ autocomplete ----

export interface MentionQuery {
  /** Index of the "@". */
  start: number;
  /** What follows the "@" up to the caret. */
  prefix: string;
}

/** The `@prefix` the caret is at the end of, when it is a mention being typed. */
export function mentionQuery(text: string, caret: number): MentionQuery | undefined {
  const before = text.slice(0, caret);
  const m = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{0,32})$/.exec(before);
  if (!m) return undefined;
  return { start: caret - m[2]!.length - 1, prefix: m[2]! };
}

/**
 * Who to offer for `prefix`: names starting with it (case-insensitive), online people
 * first, then by name; never `me`; at most `limit`.
 */
export function mentionCandidates(
  prefix: string,
  known: Iterable<string>,
  online: ReadonlySet<string>,
  me: string,
  limit = 6,
): string[] {
  const p = prefix.toLowerCase();
  const names = new Set<string>();
  for (const u of known) if (u !== me && u.toLowerCase().startsWith(p)) names.add(u);
  return [...names]
    .sort((a, b) => Number(online.has(b)) - Number(online.has(a)) || a.localeCompare(b))
    .slice(0, limit);
}

/** Replaces the `@prefix` at `q` with `@name ` and says where the caret goes. */
export function completeMention(text: string, caret: number, q: MentionQuery, name: string): { text: string; caret: number } {
  const inserted = `@${name} `;
  const rest = text.slice(caret).replace(/^[A-Za-z0-9_.-]*/, "").replace(/^ /, "");
  return { text: text.slice(0, q.start) + inserted + rest, caret: q.start + inserted.length };
}

// ---- errors ----

export type MessageAction = "edit" | "delete" | "react";

/** An edit, delete or react error in plain words, shown on the message. */
export function actionErrorText(action: MessageAction, e: ClientError): string {
  switch (e.code) {
    case "forbidden":
      return t(action === "edit" ? "action.editForbidden" : action === "delete" ? "action.deleteForbidden" : "action.reactForbidden");
    case "not_found":
      return t("action.notFound");
    case "not_joined":
      return t("action.notJoined");
    case "invalid_payload":
      if (action === "edit") {
        if (/empty/i.test(e.message)) return t("action.editEmpty");
        if (/longer|too long|too_big|max/i.test(e.message)) return errorText(e);
        return t("action.editRefused");
      }
      if (action === "react") return t("action.reactRefused");
      return t("action.refused");
    case "disconnected":
      return t("action.disconnected");
    default:
      return errorText(e);
  }
}
