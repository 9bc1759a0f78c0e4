/** One message still being sent (or failed): its text and files, and what became of it. */
import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n/index.js";
import { errorText } from "../state/format.js";
import type { Outgoing } from "../state/roomLog.js";
import { PendingFiles } from "./Attachments.js";
import { Avatar } from "./bits.js";
import { Body } from "./MessageRow.js";

export interface PendingProps {
  me: string;
  outgoing: Outgoing;
  groupStart: boolean;
  onRetry(clientId: string): void;
  onDiscard(clientId: string): void;
  role?: "article";
}

export function PendingRow({ me, outgoing: o, groupStart, onRetry, onDiscard, role }: PendingProps) {
  return (
    <li class={`msg mine ${o.status}${groupStart ? " group-start" : ""}`} role={role} data-client-id={o.clientId}>
      {groupStart ? <Avatar name={me} /> : <span class="avatar-gap" aria-hidden="true" />}
      <div class="msg-main">
        {groupStart && (
          <div class="msg-meta">
            <span class="author">{me}</span>
          </div>
        )}
        <div class="body">
          <Body text={o.body} me={me} />
        </div>
        <PendingFiles files={o.files} />
        {o.status === "pending" && o.retryAt !== undefined ? (
          <p class="send-state muted">
            <Countdown until={o.retryAt} />
          </p>
        ) : o.status === "pending" ? (
          <p class="send-state muted">{t("msg.sending")}</p>
        ) : (
          <p class="send-state failed-text">
            {o.error ? t("msg.notSentBecause", { reason: errorText(o.error) }) : t("msg.notSent")}{" "}
            <button class="btn link" type="button" onClick={() => onRetry(o.clientId)}>
              {t("msg.retry")}
            </button>{" "}
            <button class="btn link" type="button" onClick={() => onDiscard(o.clientId)}>
              {t("msg.discard")}
            </button>
          </p>
        )}
      </div>
    </li>
  );
}

/** "Sending again in N s.", counting down to a rate-limited message's own retry. */
function Countdown({ until }: { until: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [until]);
  const left = Math.ceil((until - now) / 1000);
  return <>{left > 0 ? t("msg.sendingAgain", { seconds: left }) : t("msg.sending")}</>;
}
