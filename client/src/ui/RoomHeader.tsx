/** The open room's header: its title, leaving, muting, and the members toggle. */
import { t } from "../i18n/index.js";
import type { ChatClient, Room } from "../state/chat.js";
import type { roomTitle } from "../state/format.js";
import { Avatar, Icon } from "./bits.js";
import { LeaveRoom } from "./LeaveRoom.js";
import type { Notifications } from "./notifications.js";
import { MuteButton } from "./NotifyControls.js";

interface RoomHeaderProps {
  chat: ChatClient;
  current: Room | undefined;
  title: ReturnType<typeof roomTitle> | undefined;
  drawer: "none" | "rooms" | "members";
  toggleDrawer(which: "rooms" | "members"): void;
  totalUnread: number;
  totalMentions: number;
  notifications: Notifications;
  /** The room was left (navigation.ts moves on). */
  onLeft(room: string): void;
}

export function RoomHeader(props: RoomHeaderProps) {
  const { chat, current, title, drawer, toggleDrawer, totalUnread, totalMentions, notifications, onLeft } = props;
  return (
    <header class="room-header">
      <button
        class="icon-btn only-narrow"
        type="button"
        aria-label={t("app.roomsButton")}
        aria-expanded={drawer === "rooms"}
        aria-controls="sidebar"
        onClick={() => toggleDrawer("rooms")}
      >
        <Icon name="menu" />
        {totalUnread > 0 && (
          <span
            class={`dot${totalMentions > 0 ? " mention" : ""}`}
            aria-label={
              totalMentions > 0
                ? t("app.unreadMentions", { unread: totalUnread, mentions: totalMentions })
                : t("app.unread", { unread: totalUnread })
            }
          />
        )}
      </button>
      <h1 class="room-title">
        {title ? (
          title.dm ? (
            <>
              <Avatar name={title.title} size="sm" /> {title.title}
            </>
          ) : (
            <>
              <span class="hash" aria-hidden="true">
                #
              </span>
              {title.title}
            </>
          )
        ) : (
          t("app.name")
        )}
      </h1>
      {current && !title?.dm && <LeaveRoom key={current.room} chat={chat} room={current.room} onLeft={onLeft} />}
      {current && <MuteButton room={current.room} label={title!.dm ? title!.title : `#${title!.title}`} n={notifications} />}
      {current && (
        <button
          class="members-toggle"
          type="button"
          aria-expanded={drawer === "members"}
          aria-controls="members"
          onClick={() => toggleDrawer("members")}
        >
          {chat.conn === "connected" ? (
            <>
              <span class="online-dot" aria-hidden="true" />
              {t("app.online", { count: current.members.size })}
            </>
          ) : (
            t("conn.notConnected")
          )}
        </button>
      )}
    </header>
  );
}
