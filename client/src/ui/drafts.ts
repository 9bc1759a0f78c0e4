/**
 * Unsent text per room, kept in localStorage so a reload (or a crash) does not lose it.
 * One key per signed-in name; signing out removes it (the next person on this browser
 * does not see it). Storage that is full or refused leaves drafts in memory only.
 */
const key = (me: string) => `chat.drafts.${me}`;
/** Rooms kept at most: the oldest drafts go first. */
const MAX_ROOMS = 100;

export function loadDrafts(me: string): Map<string, string> {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(key(me)) ?? "{}");
    if (!raw || typeof raw !== "object") return new Map();
    return new Map(Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return new Map();
  }
}

/** Sets (or with "" removes) one room's draft and writes them all. */
export function saveDraft(me: string, drafts: Map<string, string>, room: string, text: string): void {
  drafts.delete(room);
  if (text.trim() !== "") drafts.set(room, text);
  while (drafts.size > MAX_ROOMS) drafts.delete(drafts.keys().next().value!);
  try {
    if (drafts.size === 0) localStorage.removeItem(key(me));
    else localStorage.setItem(key(me), JSON.stringify(Object.fromEntries(drafts)));
  } catch {
    // Full or refused (private mode): the drafts stay for this page only.
  }
}

export function clearDrafts(me: string): void {
  try {
    localStorage.removeItem(key(me));
  } catch {
    // Nothing was stored.
  }
}
