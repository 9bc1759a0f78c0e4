/** The small panels around a room: the connection banner, the member list, the welcome screen and mention toasts. */
import type { ConnState, MentionAlert } from "../state/chat.js";
import { roomLabel } from "../state/format.js";
import { Avatar, Icon } from "./bits.js";

export function ConnectionBanner({ conn }: { conn: ConnState }) {
  if (conn === "connected" || conn === "refused") return null;
  const text =
    conn === "connecting"
      ? "Connecting..."
      : conn === "reconnecting"
        ? "Connection lost. Reconnecting... Messages you send now go out when it is back."
        : "You're offline. Messages you send now go out when you're back online.";
  return (
    <p class={`banner banner-${conn}`} role="status">
      <span class="spinner" aria-hidden="true" />
      {text}
    </p>
  );
}

export function Members({
  me,
  members,
  dm,
  connected,
  onOpenDm,
}: {
  me: string;
  members: Set<string>;
  dm: boolean;
  /** Without a connection, who was online may be gone: the panel says so instead. */
  connected: boolean;
  onOpenDm(user: string): void;
}) {
  if (!connected) {
    return (
      <aside class="members" id="members" aria-label="Online members">
        <h2>Not connected</h2>
        <p class="muted small members-offline">Who is online shows again when the connection is back.</p>
      </aside>
    );
  }
  const list = [...members].sort((a, b) => (a === me ? -1 : b === me ? 1 : a.localeCompare(b)));
  return (
    <aside class="members" id="members" aria-label="Online members">
      <h2>Online · {list.length}</h2>
      <ul>
        {list.map((u) => (
          <li key={u}>
            {u === me || dm ? (
              <span class="member">
                <Avatar name={u} size="sm" />
                <span class="member-name">{u}</span>
                {u === me && <span class="muted small">you</span>}
              </span>
            ) : (
              <button type="button" class="member" onClick={() => onOpenDm(u)} title={`Message ${u}`}>
                <Avatar name={u} size="sm" />
                <span class="member-name">{u}</span>
                <span class="sr-only">, send a direct message</span>
              </button>
            )}
          </li>
        ))}
      </ul>
    </aside>
  );
}

export function Welcome({ waiting, onJoin }: { waiting: boolean; onJoin(room: string): void }) {
  return (
    <section class="welcome">
      {waiting ? (
        <p class="muted">Loading...</p>
      ) : (
        <>
          <h2>Pick a room</h2>
          <p class="muted">Join a room from the sidebar, or start with the general one.</p>
          <button class="btn primary" type="button" onClick={() => onJoin("general")}>
            Join #general
          </button>
        </>
      )}
    </section>
  );
}

export function Toasts({
  alerts,
  me,
  onOpen,
  onDismiss,
}: {
  alerts: MentionAlert[];
  me: string;
  onOpen(a: MentionAlert): void;
  onDismiss(a: MentionAlert): void;
}) {
  return (
    <div class="toasts" role="status" aria-live="polite">
      {alerts.slice(-3).map((a) => (
        <div class="toast" key={a.id}>
          <span class="toast-icon" aria-hidden="true">
            <Icon name={a.reply ? "thread" : "at"} />
          </span>
          <span class="toast-text">
            <strong>{a.from}</strong> {a.reply ? "replied in a thread you follow in" : a.root !== undefined ? "mentioned you in a thread in" : "mentioned you in"}{" "}
            {roomLabel(a.room, me)}
          </span>
          <button class="btn small primary" type="button" onClick={() => onOpen(a)}>
            Open
          </button>
          <button class="icon-btn" type="button" aria-label="Dismiss" onClick={() => onDismiss(a)}>
            <Icon name="close" />
          </button>
        </div>
      ))}
    </div>
  );
}
