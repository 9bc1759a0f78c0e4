/** Search results across rooms or in one, with their scope, paging and state. */
import type { Message } from "../../../src/shared/wire.js";
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
    <section class="search-panel" aria-label="Search results">
      <header class="search-head">
        <h2>
          Results for <q>{s.query}</q>
        </h2>
        <div class="scope" role="group" aria-label="Where to search">
          <button type="button" class="btn small" aria-pressed={!s.room} onClick={() => onScope(undefined)}>
            All rooms
          </button>
          {scopeRoom && (
            <button type="button" class="btn small" aria-pressed={s.room === scopeRoom} onClick={() => onScope(scopeRoom)}>
              {roomLabel(scopeRoom, me)}
            </button>
          )}
        </div>
        <button class="icon-btn" type="button" aria-label="Close search" title="Close search (Escape)" onClick={onClose}>
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
                    <span class="result-room">{roomTitle(m.room, me).dm ? "Direct message" : roomLabel(m.room, me)}</span>
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
            <span class="muted">Searching...</span>
          ) : s.error ? (
            <span class="form-error small">{searchErrorText(s.error)}</span>
          ) : s.done && s.results.length === 0 ? (
            <span class="muted">No messages found.</span>
          ) : s.hasMore ? (
            <button class="btn" type="button" onClick={onMore}>
              Load more results
            </button>
          ) : s.done ? (
            <span class="muted small">No more results.</span>
          ) : null}
        </div>
      </div>
    </section>
  );
}
