/** The sidebar: search, the join box, the rooms and DMs with their unread and mention counts, and who is signed in. */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { PUBLIC_ROOM_PATTERN, isRoomName } from "../../../src/shared/wire.js";
import type { Room } from "../state/chat.js";
import { roomTitle } from "../state/format.js";
import { Avatar, Icon } from "./bits.js";
import { MutedMark } from "./NotifyControls.js";

export interface SidebarProps {
  me: string;
  rooms: Room[];
  active?: string;
  onSelect(room: string): void;
  onJoin(room: string): Promise<string | undefined>;
  onSignOut(): void;
  onSearch(query: string): void;
  /** Opens "Browse rooms". */
  onBrowse?(): void;
  /** Rooms whose notifications are muted, marked as such. */
  muted?: ReadonlySet<string>;
  /** Settings beside the signed-in name (notifications). */
  tools?: ComponentChildren;
}

export function Sidebar({ me, rooms, active, onSelect, onJoin, onSignOut, onSearch, onBrowse, muted, tools }: SidebarProps) {
  const [name, setName] = useState("");
  const [query, setQuery] = useState("");
  const [error, setError] = useState<string | undefined>();
  const publicRooms = rooms.filter((r) => !roomTitle(r.room, me).dm);
  const dms = rooms.filter((r) => roomTitle(r.room, me).dm);

  const submit = async (e: Event) => {
    e.preventDefault();
    const room = name.trim().replace(/^#/, "").toLowerCase();
    if (!room) return;
    if (!PUBLIC_ROOM_PATTERN.test(room) && !isRoomName(room)) {
      setError("Room names use lowercase letters, digits, - and _, up to 64, starting with a letter or digit.");
      return;
    }
    setError(undefined);
    const submitted = name;
    const err = await onJoin(room);
    if (err) setError(err);
    // Emptied only if it still holds what was sent: the answer can come while the next
    // name is being typed.
    else setName((now) => (now === submitted ? "" : now));
  };

  const item = (r: Room) => {
    const t = roomTitle(r.room, me);
    const unread = r.room === active ? 0 : r.log.unread();
    const mentions = r.room === active ? 0 : r.log.mentions();
    const threads = r.room === active ? 0 : r.threads.unreadThreads(r.log);
    return (
      <li key={r.room}>
        <button
          type="button"
          class={`room-link${r.room === active ? " active" : ""}${unread > 0 ? " has-unread" : ""}`}
          aria-current={r.room === active ? "page" : undefined}
          onClick={() => onSelect(r.room)}
        >
          {t.dm ? (
            <Avatar name={t.title} size="sm" />
          ) : (
            <span class="room-hash" aria-hidden="true">
              #
            </span>
          )}
          <span class="room-name">{t.title}</span>
          {muted?.has(r.room) && <MutedMark />}
          {mentions > 0 && (
            <span class="badge mention-badge" title={`${mentions} ${mentions === 1 ? "mention" : "mentions"} of you`}>
              @{mentions > 1 ? (mentions > 99 ? "99+" : mentions) : ""}
              <span class="sr-only"> {mentions === 1 ? "mention" : "mentions"}</span>
            </span>
          )}
          {threads > 0 && (
            <span class="badge thread-badge" title={`${threads} ${threads === 1 ? "thread" : "threads"} with new replies`}>
              <Icon name="thread" />
              {threads > 1 ? (threads > 99 ? "99+" : threads) : ""}
              <span class="sr-only"> {threads === 1 ? "thread" : "threads"} with new replies</span>
            </span>
          )}
          {unread > 0 && (
            <span class="badge">
              {unread > 99 ? "99+" : unread}
              <span class="sr-only"> unread</span>
            </span>
          )}
        </button>
      </li>
    );
  };

  return (
    <aside class="sidebar" id="sidebar" aria-label="Rooms and direct messages">
      <div class="brand">
        <span class="brand-mark" aria-hidden="true" />
        <span>Chat</span>
      </div>
      <form
        class="join-box search-box"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          if (query.trim() !== "") onSearch(query.trim());
        }}
      >
        <label class="sr-only" for="search-messages">
          Search messages
        </label>
        <input
          id="search-messages"
          type="search"
          placeholder="Search messages"
          autocomplete="off"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <button class="icon-btn" type="submit" aria-label="Search">
          <Icon name="search" />
        </button>
      </form>
      <form class="join-box" onSubmit={submit}>
        <label class="sr-only" for="join-room">
          Join or create a room
        </label>
        <input
          id="join-room"
          placeholder="Join or create a room"
          autocapitalize="off"
          autocomplete="off"
          spellcheck={false}
          value={name}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "join-error" : undefined}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button class="icon-btn" type="submit" aria-label="Join room">
          <Icon name="plus" />
        </button>
      </form>
      {error && (
        <p id="join-error" class="form-error small" role="alert">
          {error}
        </p>
      )}
      <nav class="room-nav" aria-label="Rooms">
        <h2>Rooms</h2>
        {onBrowse && (
          <button class="btn link browse-open" type="button" onClick={onBrowse}>
            <Icon name="compass" /> Browse rooms
          </button>
        )}
        {publicRooms.length > 0 ? <ul>{publicRooms.map(item)}</ul> : <p class="muted small pad">No rooms yet.</p>}
        <h2>Direct messages</h2>
        {dms.length > 0 ? (
          <ul>{dms.map(item)}</ul>
        ) : (
          <p class="muted small pad">Open someone's name in a room's member list to message them.</p>
        )}
      </nav>
      <div class="me">
        <Avatar name={me} size="sm" />
        <span class="me-name" title={me}>
          {me}
        </span>
        {tools}
        <button class="icon-btn" type="button" onClick={onSignOut} aria-label="Sign out" title="Sign out">
          <Icon name="logout" />
        </button>
      </div>
    </aside>
  );
}
