/** Search results across rooms or in one, with their scope, paging and state. */
import type { Message } from "../../../src/shared/wire.js";
import { t, tParts } from "../i18n/index.js";
import { attachmentsOf, attachmentSummary } from "../state/attachments.js";
import { fullTime, relativeTime, richText, roomLabel, roomTitle } from "../state/format.js";
import { searchErrorText, type SearchState } from "../state/searchState.js";
import { Icon } from "./bits.js";

/** A result's body: text and mentions; links stay text (the whole result is one button). */
export function ResultBody({ text, me }: { text: string; me: string }) {
  return (
    <>
      {richText(text, me).map((s, i) =>
        s.kind === "mention" ? (
          <span key={i} class={`mention${s.me ? " is-me" : ""}`}>
            {s.text}
          </span>
        ) : (
          s.text
        ),
      )}
    </>
  );
}

export interface SearchPanelProps {
  search: SearchState;
  me: string;
  now: number;
  current?: string;
  onScope(room: string | undefined): void;
  onMore(): void;
  onOpen(m: Message): void;
  onClose(): void;
}

export function SearchPanel({ search: s, me, now, current, onScope, onMore, onOpen, onClose }: SearchPanelProps) {
  const at = new Date(now);
  const scopeRoom = s.room ?? current;
  return (
    <section class="search-panel" aria-label={t("search.label")}>
      <header class="search-head">
        <h2>
          {tParts("search.resultsFor", { query: <q>{s.query}</q> })}
        </h2>
        <div class="scope" role="group" aria-label={t("search.scope")}>
          <button type="button" class="btn small" aria-pressed={!s.room} onClick={() => onScope(undefined)}>
            {t("search.allRooms")}
          </button>
          {scopeRoom && (
            <button type="button" class="btn small" aria-pressed={s.room === scopeRoom} onClick={() => onScope(scopeRoom)}>
              {roomLabel(scopeRoom, me)}
            </button>
          )}
        </div>
        <button class="icon-btn" type="button" aria-label={t("search.close")} title={t("search.closeTitle")} onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      <div class="search-scroll">
        {s.results.length > 0 && (
          <ol class="results">
            {s.results.map((m) => (
              <li key={`${m.room}:${m.seq}`}>
                <button type="button" class="result" onClick={() => onOpen(m)}>
                  <span class="result-meta">
                    <span class="result-room">{roomTitle(m.room, me).dm ? t("search.dm") : roomLabel(m.room, me)}</span>
                    <span class="author">{m.user}</span>
                    <time dateTime={m.createdAt} title={fullTime(m.createdAt)}>
                      {relativeTime(m.createdAt, at)}
                    </time>
                  </span>
                  <span class="result-body">
                    <ResultBody text={m.body} me={me} />
                  </span>
                  {attachmentsOf(m).length > 0 && <span class="result-files">{attachmentSummary(attachmentsOf(m))}</span>}
                </button>
              </li>
            ))}
          </ol>
        )}
        <div class="search-status" role="status">
          {s.loading ? (
            <span class="muted">{t("search.searching")}</span>
          ) : s.error ? (
            <span class="form-error small">{searchErrorText(s.error)}</span>
          ) : s.done && s.results.length === 0 ? (
            <span class="muted">{t("search.none")}</span>
          ) : s.hasMore ? (
            <button class="btn" type="button" onClick={onMore}>
              {t("search.more")}
            </button>
          ) : s.done ? (
            <span class="muted small">{t("search.noMore")}</span>
          ) : null}
        </div>
      </div>
    </section>
  );
}
