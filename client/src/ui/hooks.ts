/**
 * The chat screen's hooks that are not about one view: the controller's life, the clock,
 * mention toasts and read receipts. Navigation (which room is open) is in navigation.ts.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ChatClient, type Credentials, type MentionAlert } from "../state/chat.js";
import { pageTokenSource, saveCredentials } from "./session.js";

/** One controller per sign-in, started with the component and stopped with it; jwt mode renews its token (state/renewal.ts). */
export function useChat(credentials: Credentials): ChatClient {
  const chat = useMemo(
    () => new ChatClient({ credentials, getToken: pageTokenSource, onTokenRenewed: (token) => saveCredentials({ token }) }),
    [credentials],
  );
  const [, setVersion] = useState(0);
  useEffect(() => {
    const off = chat.subscribe(() => setVersion(chat.version));
    const online = () => chat.setOnline(true);
    const offline = () => chat.setOnline(false);
    addEventListener("online", online);
    addEventListener("offline", offline);
    if (!navigator.onLine) chat.setOnline(false);
    chat.start();
    return () => {
      off();
      removeEventListener("online", online);
      removeEventListener("offline", offline);
      chat.stop();
    };
  }, [chat]);
  return chat;
}

/** A clock for relative times that ticks every 30 s. */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);
  return now;
}

/**
 * The mention alerts to show as toasts: mentions in the room on screen need none (unless
 * the search covers it or the window is in the background); the others go after 10 s.
 */
export function useMentionToasts(chat: ChatClient, active: string | undefined, searchOpen: boolean): MentionAlert[] {
  const open = chat.threads.current;
  // A reply is not on the room's timeline: its alert shows unless its thread is open.
  const alerts = chat.mentionAlerts.filter((a) =>
    a.root !== undefined
      ? open?.room !== a.room || open.root !== a.root || !document.hasFocus()
      : searchOpen || a.room !== active || !document.hasFocus(),
  );
  useEffect(() => {
    for (const a of chat.mentionAlerts) if (!alerts.includes(a)) chat.dismissMention(a.id);
  }, [chat.mentionAlerts.length, active, searchOpen, open]);
  const timers = useRef(new Set<number>());
  useEffect(() => {
    for (const a of alerts) {
      if (timers.current.has(a.id)) continue;
      timers.current.add(a.id);
      setTimeout(() => chat.dismissMention(a.id), 10_000);
    }
  }, [alerts.length]);
  return alerts;
}

/**
 * Read receipts: sent when the newest message is on screen and the window has focus.
 * Returns what the message list calls when the newest message comes into view; coming
 * back to the window or tab marks the room read again if it was.
 */
export function useReadReceipts(chat: ChatClient, active: string | undefined): () => void {
  const seeNewest = useCallback(() => {
    if (!active) return;
    if (document.visibilityState === "visible" && document.hasFocus()) chat.markRead(active);
  }, [chat, active]);
  const atBottom = useRef(true);
  useEffect(() => {
    const again = () => {
      if (atBottom.current) seeNewest();
    };
    addEventListener("focus", again);
    document.addEventListener("visibilitychange", again);
    return () => {
      removeEventListener("focus", again);
      document.removeEventListener("visibilitychange", again);
    };
  }, [seeNewest]);
  return useCallback(() => {
    atBottom.current = true;
    seeNewest();
  }, [seeNewest]);
}
