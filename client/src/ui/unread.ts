/**
 * The "New messages" line of the open room (state/unreadLine.ts) in the page: it takes the
 * room's read marker during the render that first shows the room, before the message list
 * can mark it read, and notices the person looking away and coming back.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import type { ChatClient, Room } from "../state/chat.js";
import { UnreadLine, type LinePlace } from "../state/unreadLine.js";

export interface UnreadLineView {
  place: LinePlace;
  /** The person sent a message in the room: the line goes. */
  sent(): void;
  /** Loads older history until the line's message is loaded. */
  loadToLine(): void;
}

const NONE: LinePlace = { kind: "none" };

export function useUnreadLine(chat: ChatClient, room: Room | undefined): UnreadLineView {
  const line = useMemo(() => new UnreadLine(chat.me), [chat]);
  const [, setTick] = useState(0);
  line.open(room?.room);
  if (room) line.observe(room.log);

  useEffect(() => {
    if (!room) return;
    const look = () => {
      const away = document.visibilityState === "hidden" || !document.hasFocus();
      if (away) line.away(room.log);
      else line.back(room.log);
      setTick((t) => t + 1);
    };
    document.addEventListener("visibilitychange", look);
    addEventListener("blur", look);
    addEventListener("focus", look);
    return () => {
      document.removeEventListener("visibilitychange", look);
      removeEventListener("blur", look);
      removeEventListener("focus", look);
    };
  }, [line, room]);

  return {
    place: room ? line.place(room.log) : NONE,
    sent: () => {
      line.sent();
      setTick((t) => t + 1);
    },
    loadToLine: () => {
      const seq = line.loadTarget();
      if (room && seq !== undefined) void chat.loadUntil(room.room, seq, 100);
    },
  };
}

/** The "New messages" line is above what `scroller` shows, or not loaded yet. */
export function lineAbove(scroller: HTMLElement | null, place: LinePlace | undefined): boolean {
  if (place?.kind === "older") return true;
  const line = place?.kind === "at" ? scroller?.querySelector(".unread-line") : undefined;
  return !!line && line.getBoundingClientRect().bottom <= scroller!.getBoundingClientRect().top;
}

/** The message after the line says so when focused: a screen reader reads the articles, not the line. */
export function describeLine(list: HTMLElement | null): void {
  for (const m of list?.querySelectorAll('[aria-describedby="unread-line-text"]') ?? []) m.removeAttribute("aria-describedby");
  list?.querySelector(".unread-line + [role=article]")?.setAttribute("aria-describedby", "unread-line-text");
}
