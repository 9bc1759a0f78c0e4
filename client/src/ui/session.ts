/**
 * Who is signed in, kept across reloads: the username in localStorage (open mode),
 * a token in sessionStorage (jwt mode; also taken once from `?token=` and then removed
 * from the address bar so it does not leak into history or screenshots).
 */
import type { Credentials } from "../state/chat.js";

const USER_KEY = "chat.username";
const TOKEN_KEY = "chat.token";

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined; // storage disabled (private mode, policies)
  }
}

export function loadCredentials(): Credentials | undefined {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl) {
    url.searchParams.delete("token");
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    safe(() => sessionStorage.setItem(TOKEN_KEY, fromUrl));
    return { token: fromUrl };
  }
  const token = safe(() => sessionStorage.getItem(TOKEN_KEY));
  if (token) return { token };
  const username = safe(() => localStorage.getItem(USER_KEY));
  if (username) return { username };
  return undefined;
}

export function saveCredentials(c: Credentials) {
  if ("username" in c) {
    safe(() => localStorage.setItem(USER_KEY, c.username));
    safe(() => sessionStorage.removeItem(TOKEN_KEY));
  } else {
    safe(() => sessionStorage.setItem(TOKEN_KEY, c.token));
  }
}

export function clearCredentials() {
  safe(() => localStorage.removeItem(USER_KEY));
  safe(() => sessionStorage.removeItem(TOKEN_KEY));
}

/**
 * A fresh token from the page that serves the client, if it offers one: a same-origin
 * script (the CSP allows no other) defines `window.chatCluster.getToken()`, returning a
 * token or a promise of one (client/README.md). Looked up at each renewal, so the hook may
 * be defined after the client starts.
 */
export async function pageTokenSource(): Promise<string | undefined> {
  const page = (globalThis as { chatCluster?: { getToken?: unknown } }).chatCluster;
  if (typeof page?.getToken !== "function") return undefined;
  const token: unknown = await page.getToken();
  return typeof token === "string" && token !== "" ? token : undefined;
}

/** The room named in the address (`#/general`, `#/dm:alice:bob`), or undefined. */
export function roomFromHash(): string | undefined {
  const h = location.hash;
  if (!h.startsWith("#/") || h.length < 3) return undefined;
  try {
    return decodeURIComponent(h.slice(2));
  } catch {
    return undefined;
  }
}

export function setHashRoom(room: string | undefined) {
  const next = room ? `#/${encodeURIComponent(room).replace(/%3A/gi, ":")}` : "";
  if (location.hash !== next) history.replaceState(history.state, "", next || location.pathname + location.search);
}
