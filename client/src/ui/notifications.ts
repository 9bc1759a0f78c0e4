/**
 * Desktop notifications and their sound in the page; what notifies is decided in
 * state/notify.ts. The browser is asked for permission only when the person turns them on
 * (never on load). Settings and muted rooms are kept per signed-in name in localStorage;
 * they are preferences, not content, so signing out keeps them.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ChatClient } from "../state/chat.js";
import { NotifyPolicy, parseSettings, serializeSettings, withMute, type Notice, type NotifySettings } from "../state/notify.js";

const key = (me: string) => `chat.notify.${me}`;

export type Permission = NotificationPermission | "unsupported";

export interface Notifications {
  settings: NotifySettings;
  /** What the browser allows: "default" until asked. */
  permission: Permission;
  /** Turns desktop notifications on (asking the browser if it has not been asked) or off. */
  setDesktop(on: boolean): Promise<void>;
  setSound(on: boolean): void;
  setMuted(room: string, muted: boolean): void;
}

function load(me: string): NotifySettings {
  try {
    return parseSettings(localStorage.getItem(key(me)));
  } catch {
    return parseSettings(null);
  }
}

function save(me: string, s: NotifySettings): void {
  try {
    localStorage.setItem(key(me), serializeSettings(s));
  } catch {
    // Full or refused (private mode): the settings last for this page only.
  }
}

function permissionNow(): Permission {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

let audio: AudioContext | undefined;

/**
 * The audio context, made and resumed in answer to the person (a click or a key): a browser
 * keeps one made otherwise silent, and a hidden tab cannot start one.
 */
function wakeAudio(): void {
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") void audio.resume();
  } catch {
    // No Web Audio: notifications stay silent.
  }
}

/** A short soft two-note chime, generated (no sound file to ship). */
function chime(): void {
  const ctx = audio;
  if (!ctx || ctx.state !== "running") return;
  const t = ctx.currentTime;
  [880, 1320].forEach((hz, i) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    const at = t + i * 0.12;
    osc.type = "sine";
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.12, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.25);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + 0.3);
  });
}

/** Shows a message: its room, and its thread if it is a reply. */
export type OpenAt = (room: string, seq: number, root?: number) => void;

function show(n: Notice, open: OpenAt): void {
  try {
    const note = new Notification(n.title, { body: n.body, tag: n.key });
    note.onclick = () => {
      window.focus();
      open(n.room, n.seq, n.root);
      note.close();
    };
  } catch {
    // Browsers that only notify from a service worker (Chrome on Android) throw here.
  }
}

/** Notifies of live messages and mentions while the page is hidden; `open` shows a message. */
export function useNotifications(chat: ChatClient, open: OpenAt): Notifications {
  const me = chat.me;
  const [settings, setSettings] = useState(() => load(me));
  const [permission, setPermission] = useState<Permission>(permissionNow);
  const current = useRef(settings);
  current.current = settings;
  const opener = useRef(open);
  opener.current = open;
  const policy = useMemo(() => new NotifyPolicy(me), [me]);

  useEffect(
    () =>
      chat.onLive((e) => {
        const ctx = { settings: current.current, hidden: document.visibilityState === "hidden" };
        let n: Notice | undefined;
        if (e.kind === "message") {
          const m = e.message;
          const r = chat.rooms.get(m.room);
          n = policy.message(m, ctx, m.threadOf !== undefined && !!r && r.threads.follows(r.log, m.threadOf));
        } else {
          n = policy.mention(e, ctx, chat.rooms.has(e.room));
        }
        if (!n) return;
        if (ctx.settings.desktop && permissionNow() === "granted") show(n, (room, seq, root) => opener.current(room, seq, root));
        if (ctx.settings.sound) chime();
      }),
    [chat, policy],
  );

  // With the sound on from an earlier visit, the first click or key of this one wakes it.
  useEffect(() => {
    if (!settings.sound) return;
    const wake = () => wakeAudio();
    addEventListener("pointerdown", wake, { once: true });
    addEventListener("keydown", wake, { once: true });
    return () => {
      removeEventListener("pointerdown", wake);
      removeEventListener("keydown", wake);
    };
  }, [settings.sound]);

  const update = (next: NotifySettings) => {
    current.current = next;
    setSettings(next);
    save(me, next);
  };

  return {
    settings,
    permission,
    setDesktop: async (on) => {
      if (!on || typeof Notification === "undefined") {
        update({ ...current.current, desktop: false });
        return;
      }
      let p = Notification.permission;
      if (p === "default") p = await Notification.requestPermission();
      setPermission(p);
      update({ ...current.current, desktop: p === "granted" });
    },
    setSound: (on) => {
      if (on) {
        wakeAudio();
        chime();
      }
      update({ ...current.current, sound: on });
    },
    setMuted: (room, muted) => update(withMute(current.current, room, muted)),
  };
}
