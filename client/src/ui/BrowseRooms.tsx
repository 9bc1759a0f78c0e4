/**
 * "Browse rooms": the public rooms that exist (`rooms:browse`), filtered by the start of
 * their name as the person types, with member counts and last activity, a page at a time.
 * Joining one opens it; one already in the sidebar is opened.
 */
import { t } from "../i18n/index.js";
import { useEffect, useRef, useState } from "preact/hooks";
import type { ChatClient } from "../state/chat.js";
import { BROWSE_DEBOUNCE_MS, browseErrorText } from "../state/browse.js";
import { fullTime, relativeTime } from "../state/format.js";
import { Icon } from "./bits.js";
import { Dialog } from "./Dialog.js";

interface Props {
  chat: ChatClient;
  now: number;
  /** Joins a room and opens it; resolves to the error to show, if any. */
  onJoin(room: string): Promise<string | undefined>;
  onOpen(room: string): void;
  onClose(): void;
}

export function BrowseRooms({ chat, now, onJoin, onOpen, onClose }: Props) {
  const [typed, setTyped] = useState("");
  const [joining, setJoining] = useState<string | undefined>();
  const [joinError, setJoinError] = useState<string | undefined>();
  const input = useRef<HTMLInputElement>(null);
  const first = useRef(true);

  // The first page at once, then each filter once typing rests: every call spends the
  // person's search limit.
  useEffect(() => {
    const wait = first.current ? 0 : BROWSE_DEBOUNCE_MS;
    first.current = false;
    const t = setTimeout(() => void chat.browser.run(typed), wait);
    return () => clearTimeout(t);
  }, [typed]);
  useEffect(() => () => chat.browser.close(), []);

  const s = chat.browser.state;
  const at = new Date(now);
  const join = async (room: string) => {
    setJoining(room);
    setJoinError(undefined);
    const wasMember = chat.rooms.has(room);
    const err = await onJoin(room);
    setJoining(undefined);
    if (err) {
      setJoinError(err);
      return;
    }
    if (!wasMember) chat.browser.counted(room, 1);
    onClose();
  };
  const status = !s || (s.loading && s.rooms.length === 0)
    ? t("browse.loading")
    : s.error
      ? browseErrorText(s.error)
      : s.rooms.length === 0
        ? s.query
          ? t("browse.noMatch", { query: s.query })
          : t("browse.none")
        : t(s.next ? "browse.countMore" : "browse.count", { count: s.rooms.length });

  return (
    <Dialog labelledBy="browse-title" class="browse" initial={input} onClose={onClose}>
      <header class="browse-head">
        <h2 id="browse-title">{t("sidebar.browse")}</h2>
        <button class="icon-btn" type="button" aria-label={t("browse.close")} title={t("browse.closeTitle")} onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      <div class="browse-filter" role="search">
        <label class="sr-only" for="browse-query">
          {t("browse.filter")}
        </label>
        <input
          ref={input}
          id="browse-query"
          type="search"
          placeholder={t("browse.placeholder")}
          autocapitalize="off"
          autocomplete="off"
          spellcheck={false}
          maxLength={64}
          value={typed}
          aria-describedby="browse-status"
          onInput={(e) => setTyped(e.currentTarget.value)}
        />
      </div>
      <p id="browse-status" class="muted small browse-status" role="status">
        {status}
      </p>
      {s?.error && s.rooms.length === 0 && (
        <button class="btn small browse-retry" type="button" onClick={() => void chat.browser.run(typed)}>
          {t("browse.retry")}
        </button>
      )}
      {joinError && (
        <p class="form-error small" role="alert">
          {joinError}
        </p>
      )}
      <div class="browse-scroll">
        {s && s.rooms.length > 0 && (
          <ul class="browse-list" aria-label={s.query ? t("browse.startingWith", { query: s.query }) : t("sidebar.rooms")}>
            {s.rooms.map((r) => {
              const member = chat.rooms.has(r.room);
              return (
                <li key={r.room} class="browse-item">
                  <span class="browse-name">
                    <span class="hash" aria-hidden="true">
                      #
                    </span>
                    {r.room}
                  </span>
                  <span class="browse-meta muted small">
                    {t("browse.members", { count: r.members })}{" "}
                    <time dateTime={r.lastActivityAt} title={fullTime(r.lastActivityAt)}>
                      {relativeTime(r.lastActivityAt, at)}
                    </time>
                  </span>
                  {member ? (
                    <button
                      class="btn small"
                      type="button"
                      aria-label={t("browse.openRoom", { room: r.room })}
                      onClick={() => {
                        onOpen(r.room);
                        onClose();
                      }}
                    >
                      {t("toast.open")}
                    </button>
                  ) : (
                    <button
                      class="btn small primary"
                      type="button"
                      aria-label={t("browse.joinRoom", { room: r.room })}
                      disabled={joining !== undefined}
                      onClick={() => void join(r.room)}
                    >
                      {t(joining === r.room ? "browse.joining" : "browse.join")}
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        )}
        {s?.next !== undefined && (
          <button class="btn small browse-more" type="button" disabled={s.loading} onClick={() => void chat.browser.more()}>
            {t(s.loading ? "welcome.loading" : "browse.more")}
          </button>
        )}
      </div>
    </Dialog>
  );
}
