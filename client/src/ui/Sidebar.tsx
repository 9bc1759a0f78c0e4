/** The sidebar: search, the join box, the rooms and DMs with their unread and mention counts, and who is signed in. */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { PUBLIC_ROOM_PATTERN, isRoomName } from "../../../src/shared/wire.js";
import { t } from "../i18n/index.js";
import type { Room } from "../state/chat.js";
import { roomTitle } from "../state/format.js";
import { Avatar, Icon } from "./bits.js";
import { LanguageSelect } from "./LanguageSelect.js";
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
      setError(t("sidebar.badRoomName"));
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
    const rt = roomTitle(r.room, me);
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
          {rt.dm ? (
            <Avatar name={rt.title} size="sm" />
          ) : (
            <span class="room-hash" aria-hidden="true">
              #
            </span>
          )}
          <span class="room-name">{rt.title}</span>
          {muted?.has(r.room) && <MutedMark />}
          {mentions > 0 && (
            <span class="badge mention-badge" title={t("sidebar.mentionsTitle", { count: mentions })}>
              @{mentions > 1 ? (mentions > 99 ? "99+" : mentions) : ""}
              <span class="sr-only"> {t("sidebar.mentions", { count: mentions })}</span>
            </span>
          )}
          {threads > 0 && (
            <span class="badge thread-badge" title={t("sidebar.threadsTitle", { count: threads })}>
              <Icon name="thread" />
              {threads > 1 ? (threads > 99 ? "99+" : threads) : ""}
              <span class="sr-only"> {t("sidebar.threads", { count: threads })}</span>
            </span>
          )}
          {unread > 0 && (
            <span class="badge">
              {unread > 99 ? "99+" : unread}
              <span class="sr-only"> {t("sidebar.unread")}</span>
            </span>
          )}
        </button>
      </li>
    );
  };

  return (
    <aside class="sidebar" id="sidebar" aria-label={t("sidebar.label")}>
      <div class="brand">
        <span class="brand-mark" aria-hidden="true" />
        <span>{t("app.name")}</span>
        <LanguageSelect id="language" />
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
          {t("sidebar.search")}
        </label>
        <input
          id="search-messages"
          type="search"
          placeholder={t("sidebar.searchPlaceholder")}
          autocomplete="off"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <button class="icon-btn" type="submit" aria-label={t("sidebar.searchButton")}>
          <Icon name="search" />
        </button>
      </form>
      <form class="join-box" onSubmit={submit}>
        <label class="sr-only" for="join-room">
          {t("sidebar.join")}
        </label>
        <input
          id="join-room"
          placeholder={t("sidebar.joinPlaceholder")}
          autocapitalize="off"
          autocomplete="off"
          spellcheck={false}
          value={name}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "join-error" : undefined}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button class="icon-btn" type="submit" aria-label={t("sidebar.joinButton")}>
          <Icon name="plus" />
        </button>
      </form>
      {error && (
        <p id="join-error" class="form-error small" role="alert">
          {error}
        </p>
      )}
      <nav class="room-nav" aria-label={t("sidebar.rooms")}>
        <h2>{t("sidebar.rooms")}</h2>
        {onBrowse && (
          <button class="btn link browse-open" type="button" onClick={onBrowse}>
            <Icon name="compass" /> {t("sidebar.browse")}
          </button>
        )}
        {publicRooms.length > 0 ? <ul>{publicRooms.map(item)}</ul> : <p class="muted small pad">{t("sidebar.noRooms")}</p>}
        <h2>{t("sidebar.dms")}</h2>
        {dms.length > 0 ? (
          <ul>{dms.map(item)}</ul>
        ) : (
          <p class="muted small pad">{t("sidebar.noDms")}</p>
        )}
      </nav>
      <div class="me">
        <Avatar name={me} size="sm" />
        <span class="me-name" title={me}>
          {me}
        </span>
        {tools}
        <button class="icon-btn" type="button" onClick={onSignOut} aria-label={t("sidebar.signOut")} title={t("sidebar.signOut")}>
          <Icon name="logout" />
        </button>
      </div>
    </aside>
  );
}
