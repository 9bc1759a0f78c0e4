/** The room header's "Leave room" button and its confirmation. */
import { t, tParts } from "../i18n/index.js";
import { useRef, useState } from "preact/hooks";
import type { ChatClient } from "../state/chat.js";
import { errorText } from "../state/format.js";
import { Icon } from "./bits.js";
import { Dialog } from "./Dialog.js";

interface Props {
  chat: ChatClient;
  room: string;
  /** The room is gone from the list: open another. */
  onLeft(room: string): void;
}

export function LeaveRoom({ chat, room, onLeft }: Props) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const cancel = useRef<HTMLButtonElement>(null);
  const close = () => {
    setAsking(false);
    setError(undefined);
  };
  const leave = async () => {
    setBusy(true);
    const err = await chat.leaveRoom(room);
    setBusy(false);
    if (err) {
      setError(err.code === "disconnected" ? t("leave.disconnected") : errorText(err));
      return;
    }
    setAsking(false);
    onLeft(room);
  };
  return (
    <>
      <button class="icon-btn" type="button" aria-label={t("leave.label", { room })} title={t("leave.button")} onClick={() => setAsking(true)}>
        <Icon name="leave" />
      </button>
      {asking && (
        <Dialog labelledBy="leave-title" role="alertdialog" class="leave-confirm" initial={cancel} onClose={close}>
          <h2 id="leave-title">{t("leave.title", { room })}</h2>
          <p class="muted">
            {tParts("leave.explain", { browse: <strong>{t("sidebar.browse")}</strong> })}
          </p>
          {error && (
            <p class="form-error small" role="alert">
              {error}
            </p>
          )}
          <div class="dialog-actions">
            <button ref={cancel} class="btn small" type="button" onClick={close}>
              {t("msg.cancel")}
            </button>
            <button class="btn small danger" type="button" disabled={busy} onClick={() => void leave()}>
              {t("leave.button")}
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}
