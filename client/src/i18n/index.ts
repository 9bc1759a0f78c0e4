/**
 * Translations: `t(key, params)` and the language the page speaks. How to add a string: see
 * the comment at the top of en.ts. The language is chosen once per page load (`?lang=`, then
 * the person's choice in localStorage, then the browser's languages, then English); choosing
 * another one in the sidebar saves it and reloads, so that no component keeps a stale string.
 * Without a DOM (unit tests) the language is English.
 */
import { de } from "./de.js";
import { en, type Catalogue, type Entry, type Key } from "./en.js";

export type { Key } from "./en.js";
export type Params = Record<string, string | number>;

export const LANGUAGES = { en, de } as const satisfies Record<string, Catalogue>;
export type Lang = keyof typeof LANGUAGES;
/** Each language's name in itself, for the chooser. */
export const LANGUAGE_NAMES: Record<Lang, string> = { en: "English", de: "Deutsch" };
export const STORAGE_KEY = "chat.lang";

let lang: Lang = "en";
let plurals = new Intl.PluralRules("en");

export function isLang(x: unknown): x is Lang {
  return typeof x === "string" && Object.hasOwn(LANGUAGES, x);
}

/** The first of `wanted` (BCP 47 tags, best first) this client speaks, by primary language; else English. */
export function pickLanguage(wanted: readonly (string | null | undefined)[]): Lang {
  for (const w of wanted) {
    const primary = w?.toLowerCase().split(/[-_]/)[0];
    if (isLang(primary)) return primary;
  }
  return "en";
}

export function setLanguage(l: Lang): void {
  lang = l;
  plurals = new Intl.PluralRules(l);
}

export function language(): Lang {
  return lang;
}

/** The locale for dates and numbers: the chosen language. */
export function locale(): string {
  return lang;
}

function pick(entry: Entry, params: Params | undefined): string {
  if (typeof entry === "string") return entry;
  const count = Number(params?.count ?? 0);
  return entry[plurals.select(count)] ?? entry.other;
}

/** The string for `key` in the page's language, with `{name}` replaced by `params.name`. */
export function t(key: Key, params?: Params): string {
  const s = pick(LANGUAGES[lang][key] ?? en[key], params);
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (all, name: string) => (name in params ? String(params[name]) : all));
}

/**
 * Like t(), for a string with elements in it: the text split around the placeholders that
 * `parts` fills (an element, say), other params as in t(). Render the array as children.
 */
export function tParts<T>(key: Key, parts: Record<string, T>, params?: Params): (string | T)[] {
  const s = t(key, params);
  const out: (string | T)[] = [];
  let at = 0;
  for (const m of s.matchAll(/\{(\w+)\}/g)) {
    if (!(m[1]! in parts)) continue;
    if (m.index > at) out.push(s.slice(at, m.index));
    out.push(parts[m[1]!]!);
    at = m.index + m[0].length;
  }
  if (at < s.length) out.push(s.slice(at));
  return out;
}

/** The page's language from `?lang=`, the saved choice, then the browser's; sets `<html lang>`. */
export function initLanguage(): Lang {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be off (private modes): the browser's languages decide.
  }
  const query = new URLSearchParams(location.search).get("lang");
  const chosen = isLang(query) ? query : isLang(saved) ? saved : pickLanguage(navigator.languages ?? [navigator.language]);
  setLanguage(chosen);
  document.documentElement.lang = chosen;
  return chosen;
}

/** The person chose a language: saved for next time, and the page reloads in it. */
export function chooseLanguage(l: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // Not saved: it still applies to this load through ?lang=.
  }
  const url = new URL(location.href);
  if (url.searchParams.has("lang")) {
    url.searchParams.set("lang", l);
    location.replace(url.href);
  } else {
    location.reload();
  }
}
