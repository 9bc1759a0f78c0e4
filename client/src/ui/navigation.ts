/**
 * Which room is open, and how it came to be: from the address (`#/room`), a click, a join
 * by name, a search result or a mention toast. The address names the open room so reloads
 * and back/forward keep it.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { isRoomName } from "../../../src/shared/wire.js";
import type { ChatClient, Room } from "../state/chat.js";
import { t } from "../i18n/index.js";
import { errorText } from "../state/format.js";
import { roomFromHash, setHashRoom } from "./session.js";

export interface Navigation {
  active: string | undefined;
  /** Whether the open room is one the person chose, or one opened for them (see Composer). */
  chosen: boolean;
  roomError: string | undefined;
  setRoomError(e: string | undefined): void;
  /** The person opened something else (the search, a drawer): a late join answer leaves them there. */
  noteOpened(): void;
  select(room: string): void;
  /** Joins a room asked for by name and opens it; resolves to the error to show, if any. */
  joinByName(room: string): Promise<string | undefined>;
  /** Opens a room (joining it if need be) and brings one message into view. */
  jumpTo(room: string, seq: number): Promise<void>;
  /** A room was left: if it is open, the most recently active other room opens instead (or none). */
  left(room: string): void;
  /** The message jumped to, marked for a few seconds. */
  highlight: { room: string; seq: number } | undefined;
}

/** `rooms` in sidebar order; `onSelect` closes what covers the room (drawers, the search). */
export function useNavigation(chat: ChatClient, rooms: Room[], onSelect: () => void): Navigation {
  const [active, setActive] = useState<string | undefined>(() => roomFromHash());
  const [roomError, setRoomError] = useState<string | undefined>();
  const [highlight, setHighlight] = useState<{ room: string; seq: number } | undefined>();
  // How many times the person has opened something (a room, the search, a drawer). A join
  // answered late opens its room only if they have not since, so the answer never replaces
  // the room they went to meanwhile nor closes the search or drawer they opened.
  const opened = useRef(0);
  const closeOthers = useRef(onSelect);
  closeOthers.current = onSelect;

  useEffect(() => setHashRoom(active), [active]);
  // State, not a ref: a room the page opened for them and that they then pick is chosen.
  const [chosen, setChosen] = useState(false);
  useEffect(() => {
    const onHash = () => {
      opened.current++;
      setChosen(true);
      setActive(roomFromHash());
    };
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  // A room named in the address but not in the sidebar: join it once connected.
  const tried = useRef(new Set<string>());
  useEffect(() => {
    if (active && !chat.rooms.has(active) && chat.hasLeft(active)) {
      left(active); // left here or on another tab: not joined again from the address
      return;
    }
    if (!active || chat.conn !== "connected" || chat.rooms.has(active) || tried.current.has(active)) return;
    tried.current.add(active);
    if (!isRoomName(active)) {
      setRoomError(t("app.notRoomName", { room: active }));
      return;
    }
    void chat.openRoom(active).then((err) => {
      if (err && err.code !== "disconnected") setRoomError(errorText(err));
    });
  }, [active, chat.conn, chat.rooms.size]);

  // A room asked for by name (the join box), until its join is answered. The room is in the
  // sidebar before the answer, so as the first room the page may open it before the answer
  // selects it: it opens as chosen then, and the answer's select changes nothing, instead of
  // taking the cursor a moment later from whatever the person went on to type in.
  const asked = useRef<string | undefined>(undefined);
  // Nothing chosen yet: the most recently active room.
  useEffect(() => {
    if (active || !rooms[0]) return;
    setChosen(rooms[0].room === asked.current);
    setActive(rooms[0].room);
  }, [active, rooms[0]?.room]);

  const show = (room: string) => {
    setChosen(true);
    setRoomError(undefined);
    setActive(room);
    closeOthers.current();
  };
  const select = useCallback((room: string) => {
    opened.current++;
    show(room);
  }, []);

  // Joins asked for by name so far: only the latest one's answer opens its room.
  const joins = useRef(0);
  const joinByName = async (room: string): Promise<string | undefined> => {
    asked.current = room;
    const at = opened.current;
    const ticket = ++joins.current;
    const err = await chat.openRoom(room);
    if (asked.current === room) asked.current = undefined;
    if (err && err.code !== "disconnected") return errorText(err);
    // The answer opens what the person asked for: it is not them opening something else, so
    // the answer to an earlier join (its room already open) does not keep a later one shut.
    if (opened.current === at && ticket === joins.current) show(room);
    return undefined;
  };

  const jumpTo = async (room: string, seq: number) => {
    if (!chat.rooms.has(room)) {
      const err = await chat.openRoom(room);
      if (err && err.code !== "disconnected") {
        setRoomError(errorText(err));
        return;
      }
    }
    select(room);
    setHighlight({ room, seq });
    void chat.loadUntil(room, seq);
  };
  useEffect(() => {
    if (!highlight) return;
    const t = setTimeout(() => setHighlight(undefined), 4000);
    return () => clearTimeout(t);
  }, [highlight]);

  const noteOpened = () => {
    opened.current++;
  };
  // The most recently active other room, rather than an address naming the room left.
  const left = (room: string) => {
    const next = rooms.find((r) => r.room !== room)?.room;
    setActive((a) => (a === room ? next : a));
  };
  return { active, chosen, roomError, setRoomError, noteOpened, select, joinByName, jumpTo, left, highlight };
}
