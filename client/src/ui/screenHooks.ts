/**
 * The chat screen's (App.tsx's Chat) smaller hooks: room order, the message actions, keyboard
 * shortcuts, the unread count in the title, the live region's text and the people to mention.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { t } from "../i18n/index.js";
import type { ChatClient, Room } from "../state/chat.js";
import { attachmentsOf, attachmentSummary } from "../state/attachments.js";
import type { roomTitle } from "../state/format.js";
import { plainText } from "../state/markdown.js";
import type { MessageActions } from "./MessageList.js";

export function sortRooms(rooms: Room[]): Room[] {
  const activity = (r: Room) => {
    const m = r.log.newest();
    return m ? Date.parse(m.createdAt) : 0;
  };
  return rooms.sort((a, b) => activity(b) - activity(a) || a.listRank - b.listRank || a.room.localeCompare(b.room));
}

export function focusComposer() {
  setTimeout(() => document.getElementById("composer-input")?.focus(), 0);
}

/** One actions object per room, so message rows that did not change skip re-rendering. */
export function useMessageActions(
  chat: ChatClient,
  active: string | undefined,
  setEditing: (e: { room: string; seq: number } | undefined) => void,
): MessageActions | undefined {
  return useMemo<MessageActions | undefined>(() => {
    if (!active) return undefined;
    const room = active;
    return {
      startEdit: (seq) => setEditing({ room, seq }),
      saveEdit: (seq, body) => chat.edit(room, seq, body),
      cancelEdit: () => {
        setEditing(undefined);
        focusComposer();
      },
      remove: (seq) => {
        void chat.remove(room, seq).then((ok) => {
          if (ok) focusComposer();
        });
      },
      react: (seq, emoji) => void chat.react(room, seq, emoji),
      dismissError: (seq) => chat.clearMessageError(room, seq),
      openThread: (seq) => chat.threads.open(room, seq),
    };
  }, [chat, active]);
}

interface Keys {
  drawer: "none" | "rooms" | "members";
  setDrawer(d: "none"): void;
  searchOpen: boolean;
  setSearchOpen(open: boolean): void;
  setSwitcher(toggle: (open: boolean) => boolean): void;
}

/** Ctrl/Cmd+K toggles the quick switcher; Escape closes a drawer, else the search. */
export function useChatKeys({ drawer, setDrawer, searchOpen, setSearchOpen, setSwitcher }: Keys) {
  // Ctrl/Cmd+K: the quick room switcher, from anywhere in the chat.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setSwitcher((open) => !open);
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);

  // Escape closes the drawers.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && drawer !== "none") setDrawer("none");
      else if (e.key === "Escape" && searchOpen) {
        setSearchOpen(false);
        focusComposer();
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [drawer, searchOpen]);
}

/** Unread messages and mentions outside the open room; the count goes in the page's title too. */
export function useUnreadTotals(rooms: Room[], active: string | undefined) {
  const totalUnread = rooms.reduce((n, r) => n + (r.room === active ? 0 : r.log.unread()), 0);
  const totalMentions = rooms.reduce((n, r) => n + (r.room === active ? 0 : r.log.mentions()), 0);
  useEffect(() => {
    document.title = totalUnread > 0 ? t("app.titleUnread", { count: totalUnread }) : t("app.name");
  }, [totalUnread]);
  return { totalUnread, totalMentions };
}

/**
 * The live region speaks a message once, when it arrives in the open room: switching rooms
 * empties it, and coming back does not say the last message again.
 */
export function useAnnouncement(chat: ChatClient, active: string | undefined): string {
  const incoming = chat.lastIncoming;
  const [announced, setAnnounced] = useState("");
  useEffect(() => setAnnounced(""), [active]);
  useEffect(() => {
    if (incoming && incoming.room === active) {
      setAnnounced(`${incoming.user}: ${incoming.body ? plainText(incoming.body) : attachmentSummary(attachmentsOf(incoming))}`);
    }
  }, [incoming]);
  return announced;
}

/** Who the composer offers to mention: the members and the recent authors (a DM: the peer). */
export function usePeople(current: Room | undefined, title: ReturnType<typeof roomTitle> | undefined): string[] {
  return useMemo(() => {
    if (!current) return [];
    if (title?.dm) return title.peer ? [title.peer] : [];
    const names = new Set(current.members);
    const list = current.log.messages();
    for (let i = list.length - 1; i >= 0 && i >= list.length - 300; i--) names.add(list[i]!.user);
    return [...names];
  }, [current, current?.log.version, current?.members]);
}
