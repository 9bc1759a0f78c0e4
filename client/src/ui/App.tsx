import { useEffect, useMemo, useState } from "preact/hooks";
import type { Credentials } from "../state/chat.js";
import { t } from "../i18n/index.js";
import { connectErrorText, errorText, roomTitle } from "../state/format.js";
import { lastEditable } from "../state/rich.js";
import { typingText } from "../state/typing.js";
import { BrowseRooms } from "./BrowseRooms.js";
import { useDrawerFocus } from "./focus.js";
import { Composer } from "./Composer.js";
import { MessageList } from "./MessageList.js";
import { ConnectionBanner, Members, NodeFooter, Toasts, Welcome } from "./Panels.js";
import { QuickSwitcher } from "./QuickSwitcher.js";
import { RoomHeader } from "./RoomHeader.js";
import {
  focusComposer,
  sortRooms,
  useAnnouncement,
  useChatKeys,
  useMessageActions,
  usePeople,
  useUnreadTotals,
} from "./screenHooks.js";
import { SearchPanel } from "./SearchPanel.js";
import { clearDrafts, loadDrafts, saveDraft } from "./drafts.js";
import { FilesContext, useFilesKit } from "./files.js";
import { useChat, useMentionToasts, useNow, useReadReceipts } from "./hooks.js";
import { useNavigation } from "./navigation.js";
import { useNotifications } from "./notifications.js";
import { NotifyMenu } from "./NotifyControls.js";
import { clearCredentials, loadCredentials, saveCredentials } from "./session.js";
import { Sidebar } from "./Sidebar.js";
import { ThreadPanel } from "./ThreadPanel.js";
import { timeline } from "../state/thread.js";
import { SignIn } from "./SignIn.js";
import { useUnreadLine } from "./unread.js";

export function App() {
  const [cred, setCred] = useState<Credentials | undefined>(() => loadCredentials());
  const [refusal, setRefusal] = useState<string | undefined>();
  // What was refused, back in the form to be corrected rather than typed again.
  const [refused, setRefused] = useState<Credentials | undefined>();

  if (!cred) {
    return (
      <SignIn
        error={refusal ? connectErrorText(refusal) : undefined}
        tokenMode={refusal === "unauthorized" || refusal === "session_expired"}
        initial={
          refused &&
          (refusal === "unauthorized" && "token" in refused
            ? refused.token
            : refusal === "invalid_username" && "username" in refused
              ? refused.username
              : "")
        }
        onSubmit={(c) => {
          saveCredentials(c);
          setRefusal(undefined);
          setCred(c);
        }}
      />
    );
  }
  return (
    <Chat
      key={"username" in cred ? `u:${cred.username}` : `t:${cred.token}`}
      credentials={cred}
      onRefused={(why) => {
        clearCredentials();
        setRefusal(why);
        setRefused(cred);
        setCred(undefined);
      }}
      onSignOut={() => {
        clearCredentials();
        setRefusal(undefined);
        setCred(undefined);
      }}
    />
  );
}

interface ChatProps {
  credentials: Credentials;
  onRefused(why: string): void;
  onSignOut(): void;
}

function Chat({ credentials, onRefused, onSignOut }: ChatProps) {
  const chat = useChat(credentials);
  const files = useFilesKit(chat);
  const now = useNow();
  const [drawer, setDrawer] = useState<"none" | "rooms" | "members">("none");
  const [editing, setEditing] = useState<{ room: string; seq: number } | undefined>();
  const [searchOpen, setSearchOpen] = useState(false);
  const [switcher, setSwitcher] = useState(false);
  const [browsing, setBrowsing] = useState(false);
  const me = chat.me;
  const drafts = useMemo(() => loadDrafts(me), [me]);

  useEffect(() => {
    if (chat.conn === "refused" && chat.refusal) onRefused(chat.refusal);
  }, [chat.conn, chat.refusal]);

  const rooms = sortRooms([...chat.rooms.values()]);
  const nav = useNavigation(chat, rooms, () => {
    setDrawer("none");
    setSearchOpen(false);
  });
  const { active, chosen, roomError, setRoomError, select, joinByName, jumpTo, highlight } = nav;
  const current = active ? chat.rooms.get(active) : undefined;
  // Before the message list renders: it may mark the room read as it shows it.
  const unread = useUnreadLine(chat, current);
  const toggleDrawer = (which: "rooms" | "members") => {
    if (drawer !== which) nav.noteOpened();
    setDrawer(drawer === which ? "none" : which);
  };

  const actions = useMessageActions(chat, active, setEditing);
  const thread = chat.threads.current?.room === active ? chat.threads.current : undefined;
  // A thread belongs to its room: going to another room closes it.
  useEffect(() => {
    if (chat.threads.current && chat.threads.current.room !== active) chat.threads.close();
  }, [active]);
  /** Opens a room at a message; a reply opens its thread too. */
  const openAt = (room: string, seq: number, root?: number) => {
    void jumpTo(room, root ?? seq).then(() => root !== undefined && chat.threads.open(room, root));
  };
  const notifications = useNotifications(chat, openAt);

  const alerts = useMentionToasts(chat, active, searchOpen);
  const seeNewest = useReadReceipts(chat, active);

  useChatKeys({ drawer, setDrawer, searchOpen, setSearchOpen, setSwitcher });
  useDrawerFocus(drawer === "none" ? undefined : drawer === "rooms" ? "sidebar" : "members");

  const { totalUnread, totalMentions } = useUnreadTotals(rooms, active);

  const openDm = async (user: string) => {
    const r = await chat.openDm(user);
    if ("room" in r) select(r.room);
    else setRoomError(errorText(r.error));
  };

  const title = current ? roomTitle(current.room, me) : undefined;
  const typingUsers = current ? chat.typingUsers(current.room) : [];
  const announced = useAnnouncement(chat, active);
  const editingSeq = current && editing?.room === current.room ? editing.seq : undefined;
  const editingLive = editingSeq !== undefined && current?.log.get(editingSeq)?.deleted !== true ? editingSeq : undefined;
  const people = usePeople(current, title);

  return (
    <FilesContext.Provider value={files}>
    <div class={`shell drawer-${drawer}${thread ? " thread-open" : ""}`}>
      <a class="skip-link" href="#composer-input">
        {t("app.skipToComposer")}
      </a>
      <Sidebar
        me={me}
        rooms={rooms}
        active={active}
        onSelect={select}
        onJoin={joinByName}
        onSignOut={() => {
          clearDrafts(me);
          onSignOut();
        }}
        muted={notifications.settings.muted}
        tools={<NotifyMenu n={notifications} />}
        onSearch={(q) => {
          nav.noteOpened();
          setSearchOpen(true);
          setDrawer("none");
          void chat.runSearch(q);
        }}
        onBrowse={() => setBrowsing(true)}
      />
      <div class="scrim" onClick={() => setDrawer("none")} aria-hidden="true" />
      <main class="room" aria-label={title ? (title.dm ? t("app.dmWith", { name: title.title }) : `#${title.title}`) : t("app.name")}>
        <RoomHeader
          chat={chat}
          current={current}
          title={title}
          drawer={drawer}
          toggleDrawer={toggleDrawer}
          totalUnread={totalUnread}
          totalMentions={totalMentions}
          notifications={notifications}
          onLeft={nav.left}
        />
        <ConnectionBanner conn={chat.conn} />
        {roomError && (
          <p class="room-error" role="alert">
            {roomError}
          </p>
        )}
        {searchOpen && chat.search ? (
          <SearchPanel
            search={chat.search}
            me={me}
            now={now}
            current={current?.room}
            onScope={(room) => void chat.runSearch(chat.search!.query, room)}
            onMore={() => void chat.searchMore()}
            onOpen={(m) => openAt(m.room, m.seq, m.threadOf)}
            onClose={() => {
              setSearchOpen(false);
              focusComposer();
            }}
          />
        ) : current && actions ? (
          <>
            <MessageList
              room={current.room}
              me={me}
              messages={timeline(current.log.messages())}
              outgoing={current.log.outgoing().filter((o) => o.threadOf === undefined)}
              notices={current.log.notices}
              seenBy={current.log.seenBy()}
              hasOlder={current.log.hasOlder}
              loadingOlder={current.loadingOlder}
              now={now}
              onNearTop={() => void chat.loadOlder(current.room)}
              onSeeNewest={seeNewest}
              onRetry={(id) => chat.retry(current.room, id)}
              onDiscard={(id) => chat.discard(current.room, id)}
              actions={actions}
              editing={editingLive}
              errors={current.messageErrors}
              highlight={highlight?.room === current.room ? highlight.seq : undefined}
              unreadLine={unread.place}
              onLoadUnread={unread.loadToLine}
            />
            <Composer
              room={current.room}
              label={title!.dm ? title!.title : `#${title!.title}`}
              draft={drafts.get(current.room) ?? ""}
              error={current.error ? errorText(current.error) : undefined}
              typingText={typingText(typingUsers)}
              onDraft={(t) => saveDraft(me, drafts, current.room, t)}
              maxChars={chat.maxMessageChars}
              returned={current.returned}
              onReturned={() => {
                current.takeReturned();
                files.uploads.restore(current.room, current.takeReturnedFiles());
              }}
              onSend={(t) => {
                unread.sent();
                return chat.send(current.room, t, undefined, files.uploads.take(current.room));
              }}
              uploads={files.uploads}
              onTyping={(has) => chat.typingInput(current.room, has)}
              onStopTyping={() => chat.typingStop(current.room)}
              onDismissError={() => chat.clearError(current.room)}
              onEditLast={() => {
                const m = lastEditable(timeline(current.log.messages()), me);
                if (m) setEditing({ room: current.room, seq: m.seq });
                return m !== undefined;
              }}
              people={people}
              online={current.members}
              me={me}
              chosen={chosen}
            />
          </>
        ) : (
          <Welcome
            waiting={!!active && !roomError && chat.conn !== "connected"}
            onJoin={async (room) => {
              const err = await joinByName(room);
              if (err) setRoomError(err);
            }}
          />
        )}
        <NodeFooter conn={chat.conn} node={chat.node} protocolVersion={chat.protocolVersion} />
        <div class="sr-only" aria-live="polite" aria-atomic="true">
          {announced}
        </div>
      </main>
      {thread && <ThreadPanel chat={chat} thread={thread} now={now} />}
      <Toasts
        alerts={alerts}
        me={me}
        onOpen={(a) => {
          chat.dismissMention(a.id);
          openAt(a.room, a.seq, a.root ?? chat.threads.rootOf(a.room, a.seq));
        }}
        onDismiss={(a) => chat.dismissMention(a.id)}
      />
      {switcher && (
        <QuickSwitcher
          me={me}
          rooms={rooms}
          onPick={(room) => {
            setSwitcher(false);
            select(room);
          }}
          onClose={() => setSwitcher(false)}
        />
      )}
      {browsing && <BrowseRooms chat={chat} now={now} onJoin={joinByName} onOpen={select} onClose={() => setBrowsing(false)} />}
      {current && (
        <Members me={me} members={current.members} dm={title?.dm === true} connected={chat.conn === "connected"} onOpenDm={openDm} />
      )}
    </div>
    </FilesContext.Provider>
  );
}
