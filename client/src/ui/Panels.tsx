/** The small panels around a room: the connection banner, the member list, the welcome screen, mention toasts and the footer. */
import { t, tParts } from "../i18n/index.js";
import type { ConnState, MentionAlert } from "../state/chat.js";
import { roomLabel } from "../state/format.js";
import { Avatar, Icon } from "./bits.js";

export function ConnectionBanner({ conn }: { conn: ConnState }) {
  if (conn === "connected" || conn === "refused") return null;
  const text = t(conn === "connecting" ? "conn.connecting" : conn === "reconnecting" ? "conn.reconnecting" : "conn.offline");
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
      <aside class="members" id="members" aria-label={t("members.label")}>
        <h2>{t("conn.notConnected")}</h2>
        <p class="muted small members-offline">{t("members.offlineHint")}</p>
      </aside>
    );
  }
  const list = [...members].sort((a, b) => (a === me ? -1 : b === me ? 1 : a.localeCompare(b)));
  return (
    <aside class="members" id="members" aria-label={t("members.label")}>
      <h2>{t("members.heading", { count: list.length })}</h2>
      <ul>
        {list.map((u) => (
          <li key={u}>
            {u === me || dm ? (
              <span class="member">
                <Avatar name={u} size="sm" />
                <span class="member-name">{u}</span>
                {u === me && <span class="muted small">{t("members.you")}</span>}
              </span>
            ) : (
              <button type="button" class="member" onClick={() => onOpenDm(u)} title={t("members.message", { name: u })}>
                <Avatar name={u} size="sm" />
                <span class="member-name">{u}</span>
                <span class="sr-only">{t("members.sendDm")}</span>
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
        <p class="muted">{t("welcome.loading")}</p>
      ) : (
        <>
          <h2>{t("welcome.title")}</h2>
          <p class="muted">{t("welcome.intro")}</p>
          <button class="btn primary" type="button" onClick={() => onJoin("general")}>
            {t("welcome.joinGeneral")}
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
            {tParts(
              a.reply ? "toast.replied" : a.root !== undefined ? "toast.mentionedInThread" : "toast.mentioned",
              { from: <strong>{a.from}</strong> },
              { room: roomLabel(a.room, me) },
            )}
          </span>
          <button class="btn small primary" type="button" onClick={() => onOpen(a)}>
            {t("toast.open")}
          </button>
          <button class="icon-btn" type="button" aria-label={t("toast.dismiss")} onClick={() => onDismiss(a)}>
            <Icon name="close" />
          </button>
        </div>
      ))}
    </div>
  );
}

/** Which node serves the connection, or that there is none. */
export function NodeFooter({ conn, node, protocolVersion }: { conn: ConnState; node?: string; protocolVersion?: number }) {
  return (
    <footer class="node-footer">
      {node && conn === "connected" ? (
        <>
          {tParts("app.servedBy", { node: <strong>{node}</strong> })}
          {protocolVersion !== undefined && t("app.protocol", { version: protocolVersion })}
        </>
      ) : (
        <>
          {t("conn.notConnected")}
          {conn === "reconnecting" ? t("app.reconnecting") : conn === "offline" ? t("app.offline") : ""}
        </>
      )}
    </footer>
  );
}
