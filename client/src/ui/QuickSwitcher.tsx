/**
 * Ctrl/Cmd+K: a small dialog to go to a room by typing part of its name. Arrow keys move,
 * Enter opens, Escape closes; Tab stays inside, and closing gives the focus back.
 */
import { useRef, useState } from "preact/hooks";
import { t } from "../i18n/index.js";
import type { Room } from "../state/chat.js";
import { roomTitle } from "../state/format.js";
import { trapTab, useModalFocus } from "./focus.js";

interface Props {
  me: string;
  /** In sidebar order. */
  rooms: readonly Room[];
  onPick(room: string): void;
  onClose(): void;
}

/** The rooms whose shown name contains `query` (case-insensitive), those starting with it first. */
export function switcherMatches(rooms: readonly Room[], me: string, query: string): { room: string; title: string }[] {
  const q = query.trim().toLowerCase();
  const all = rooms.map((r) => ({ room: r.room, title: roomTitle(r.room, me).title }));
  if (q === "") return all;
  const hits = all.filter((r) => r.title.toLowerCase().includes(q));
  return [...hits.filter((r) => r.title.toLowerCase().startsWith(q)), ...hits.filter((r) => !r.title.toLowerCase().startsWith(q))];
}

export function QuickSwitcher({ me, rooms, onPick, onClose }: Props) {
  const [query, setQuery] = useState("");
  const [pick, setPick] = useState(0);
  const root = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const matches = switcherMatches(rooms, me, query);
  const active = Math.min(pick, matches.length - 1);

  useModalFocus(root, () => input.current);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      onClose();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = matches.length;
      if (n > 0) setPick((active + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
    } else if (e.key === "Enter") {
      e.preventDefault();
      const m = matches[active];
      if (m) onPick(m.room);
    } else if (root.current) {
      trapTab(e, root.current);
    }
  };

  return (
    <div class="switcher-backdrop" onClick={onClose}>
      <div
        class="switcher"
        ref={root}
        role="dialog"
        aria-modal="true"
        aria-label={t("switcher.label")}
        onClick={(e) => e.stopPropagation()}
        onKeyDown={onKeyDown}
      >
        <input
          ref={input}
          class="switcher-input"
          type="text"
          role="combobox"
          aria-label={t("switcher.input")}
          aria-expanded={matches.length > 0}
          aria-controls="switcher-list"
          aria-autocomplete="list"
          aria-activedescendant={matches.length > 0 ? `switcher-opt-${active}` : undefined}
          placeholder={t("switcher.placeholder")}
          autocomplete="off"
          value={query}
          onInput={(e) => {
            setQuery(e.currentTarget.value);
            setPick(0);
          }}
        />
        <ul id="switcher-list" class="switcher-list" role="listbox" aria-label={t("switcher.rooms")}>
          {matches.map((m, i) => (
            <li
              key={m.room}
              id={`switcher-opt-${i}`}
              role="option"
              aria-selected={i === active}
              class={i === active ? "active" : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                onPick(m.room);
              }}
              onMouseEnter={() => setPick(i)}
            >
              {m.title}
            </li>
          ))}
        </ul>
        {matches.length === 0 && <p class="muted small switcher-empty">{t("switcher.none")}</p>}
      </div>
    </div>
  );
}
