/** "N replies" under a thread's root: who replied last and when; opens the thread panel. */
import { t } from "../i18n/index.js";
import type { Message } from "../../../src/shared/wire.js";
import { fullTime, relativeTime } from "../state/format.js";
import { replyCountText } from "../state/thread.js";
import { Avatar } from "./bits.js";

export function ThreadSummary({ message: m, onOpen }: { message: Message; onOpen(seq: number): void }) {
  const n = m.replyCount ?? 0;
  const repliers = m.repliers ?? [];
  const when = m.lastReplyAt ? relativeTime(m.lastReplyAt, new Date()) : "";
  return (
    <button
      type="button"
      class="thread-summary"
      data-root={m.seq}
      onClick={() => onOpen(m.seq)}
    >
      <span class="thread-avatars" aria-hidden="true">
        {repliers.map((u) => (
          <Avatar key={u} name={u} size="sm" />
        ))}
      </span>
      <span class="thread-count">{replyCountText(n)}</span>
      {repliers.length > 0 && <span class="sr-only"> {t("thread.from", { names: repliers.join(", ") })}</span>}
      {m.lastReplyAt && (
        <time class="muted small" dateTime={m.lastReplyAt} title={fullTime(m.lastReplyAt)}>
          {t("thread.lastReply", { when })}
        </time>
      )}
    </button>
  );
}
