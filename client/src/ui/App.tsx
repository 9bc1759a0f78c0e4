import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { isRoomName } from "../../../src/shared/wire.js";
import { ChatClient, type Credentials, type RoomState } from "../state/chat.js";
import { connectErrorText, errorText, roomTitle } from "../state/format.js";
import { lastEditable } from "../state/rich.js";
import { typingText } from "../state/typing.js";
import { Avatar, Icon } from "./bits.js";
import { useDrawerFocus } from "./focus.js";
import { Composer } from "./Composer.js";
import { MessageList, type MessageActions } from "./MessageList.js";
import { ConnectionBanner, Members, Toasts, Welcome } from "./Panels.js";
import { SearchPanel } from "./SearchPanel.js";
import { clearCredentials, loadCredentials, pageTokenSource, roomFromHash, saveCredentials, setHashRoom } from "./session.js";
import { Sidebar } from "./Sidebar.js";
import { SignIn } from "./SignIn.js";

export function App() {
  const [cred, setCred] = useState<Credentials | undefined>(() => loadCredentials());
  const [refusal, setRefusal] = useState<string | undefined>();

  if (!cred) {
    return (
      <SignIn
        error={refusal ? connectErrorText(refusal) : undefined}
        tokenMode={refusal === "unauthorized" || refusal === "session_expired"}
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

function useChat(credentials: Credentials): ChatClient {
  const chat = useMemo(
    () => new ChatClient({ credentials, getToken: pageTokenSource, onTokenRenewed: (token) => saveCredentials({ token }) }),
    [credentials],
  );
  const [, setVersion] = useState(0);
  useEffect(() => {
    const off = chat.subscribe(() => setVersion(chat.version));
    const online = () => chat.setOnline(true);
    const offline = () => chat.setOnline(false);
    addEventListener("online", online);
    addEventListener("offline", offline);
    if (!navigator.onLine) chat.setOnline(false);
    chat.start();
    return () => {
      off();
      removeEventListener("online", online);
      removeEventListener("offline", offline);
      chat.stop();
    };
  }, [chat]);
  return chat;
}

/** A clock for relative times that ticks every 30 s. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);
  return now;
}

function sortRooms(rooms: RoomState[]): RoomState[] {
  const activity = (r: RoomState) => {
    const m = r.log.newest();
    return m ? Date.parse(m.createdAt) : 0;
  };
  return rooms.sort((a, b) => activity(b) - activity(a) || a.listRank - b.listRank || a.room.localeCompare(b.room));
}

interface ChatProps {
  credentials: Credentials;
  onRefused(why: string): void;
  onSignOut(): void;
}

function Chat({ credentials, onRefused, onSignOut }: ChatProps) {
  const chat = useChat(credentials);
  const now = useNow();
  const [active, setActive] = useState<string | undefined>(() => roomFromHash());
  const [drawer, setDrawer] = useState<"none" | "rooms" | "members">("none");
  const [roomError, setRoomError] = useState<string | undefined>();
  const drafts = useRef(new Map<string, string>());
  const [editing, setEditing] = useState<{ room: string; seq: number } | undefined>();
  const [highlight, setHighlight] = useState<{ room: string; seq: number } | undefined>();
  const [searchOpen, setSearchOpen] = useState(false);
  const me = chat.me;

  // How many times the person has opened something (a room, the search, a drawer). A join
  // answered late opens its room only if they have not since, so the answer never replaces
  // the room they went to meanwhile nor closes the search or drawer they opened.
  const opened = useRef(0);
  const toggleDrawer = (which: "rooms" | "members") => {
    if (drawer !== which) opened.current++;
    setDrawer(drawer === which ? "none" : which);
  };

  useEffect(() => {
    if (chat.conn === "refused" && chat.refusal) onRefused(chat.refusal);
  }, [chat.conn, chat.refusal]);

  // The address names the open room: reload and back/forward keep it.
  useEffect(() => setHashRoom(active), [active]);
  // Whether the open room is one the person chose, or one opened for them (see Composer).
  // State, not a ref: a room the page opened for them and that they then pick is chosen.
  const [chosen, setChosen] = useState(false);
  useEffect(() => {
    const onHash = () => {
      opened.current++;
      setChosen(true);
      setActive(roomFromHash());
    };
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  // A room named in the address but not in the sidebar: join it once connected.
  const tried = useRef(new Set<string>());
  useEffect(() => {
    if (!active || chat.conn !== "connected" || chat.rooms.has(active) || tried.current.has(active)) return;
    tried.current.add(active);
    if (!isRoomName(active)) {
      setRoomError(`"${active}" is not a room name.`);
      return;
    }
    void chat.openRoom(active).then((err) => {
      if (err && err.code !== "disconnected") setRoomError(errorText(err));
    });
  }, [active, chat.conn, chat.rooms.size]);

  const rooms = sortRooms([...chat.rooms.values()]);
  const current = active ? chat.rooms.get(active) : undefined;
  // A room asked for by name (the join box), until its join is answered. The room is in the
  // sidebar before the answer, so as the first room the page may open it before the answer
  // selects it: it opens as chosen then, and the answer's select changes nothing, instead of
  // taking the cursor a moment later from whatever the person went on to type in.
  const asked = useRef<string | undefined>(undefined);
  // Nothing chosen yet: the most recently active room.
  useEffect(() => {
    if (active || !rooms[0]) return;
    setChosen(rooms[0].room === asked.current);
    setActive(rooms[0].room);
  }, [active, rooms[0]?.room]);

  const select = useCallback((room: string) => {
    opened.current++;
    setChosen(true);
    setRoomError(undefined);
    setActive(room);
    setDrawer("none");
    setSearchOpen(false);
  }, []);

  /** Joins a room asked for by name and opens it; resolves to the error to show, if any. */
  const joinByName = async (room: string): Promise<string | undefined> => {
    asked.current = room;
    const at = opened.current;
    const err = await chat.openRoom(room);
    if (asked.current === room) asked.current = undefined;
    if (err && err.code !== "disconnected") return errorText(err);
    if (opened.current === at) select(room);
    return undefined;
  };

  const focusComposer = () => setTimeout(() => document.getElementById("composer-input")?.focus(), 0);

  // One actions object per room, so message rows that did not change skip re-rendering.
  const actions = useMemo<MessageActions | undefined>(() => {
    if (!active) return undefined;
    const room = active;
    return {
      startEdit: (seq) => setEditing({ room, seq }),
      saveEdit: (seq, body) => chat.edit(room, seq, body),
      cancelEdit: () => {
        setEditing(undefined);
        focusComposer();
      },
      remove: (seq) => {
        void chat.remove(room, seq).then((ok) => {
          if (ok) focusComposer();
        });
      },
      react: (seq, emoji) => void chat.react(room, seq, emoji),
      dismissError: (seq) => chat.clearMessageError(room, seq),
    };
  }, [chat, active]);

  /** Opens a room (joining it if need be) and brings one message into view. */
  const jumpTo = async (room: string, seq: number) => {
    if (!chat.rooms.has(room)) {
      const err = await chat.openRoom(room);
      if (err && err.code !== "disconnected") {
        setRoomError(errorText(err));
        return;
      }
    }
    select(room);
    setHighlight({ room, seq });
    void chat.loadUntil(room, seq);
  };
  useEffect(() => {
    if (!highlight) return;
    const t = setTimeout(() => setHighlight(undefined), 4000);
    return () => clearTimeout(t);
  }, [highlight]);

  // Mentions in the room on screen need no toast; the others go after a while.
  const alerts = chat.mentionAlerts.filter((a) => searchOpen || a.room !== active || !document.hasFocus());
  useEffect(() => {
    for (const a of chat.mentionAlerts) if (!alerts.includes(a)) chat.dismissMention(a.id);
  }, [chat.mentionAlerts.length, active, searchOpen]);
  const alertTimers = useRef(new Set<number>());
  useEffect(() => {
    for (const a of alerts) {
      if (alertTimers.current.has(a.id)) continue;
      alertTimers.current.add(a.id);
      setTimeout(() => chat.dismissMention(a.id), 10_000);
    }
  }, [alerts.length]);

  // Read receipts: the newest message is visible and the window has focus.
  const seeNewest = useCallback(() => {
    if (!active) return;
    if (document.visibilityState === "visible" && document.hasFocus()) chat.markRead(active);
  }, [chat, active]);
  const atBottomRef = useRef(true);
  useEffect(() => {
    const again = () => {
      if (atBottomRef.current) seeNewest();
    };
    addEventListener("focus", again);
    document.addEventListener("visibilitychange", again);
    return () => {
      removeEventListener("focus", again);
      document.removeEventListener("visibilitychange", again);
    };
  }, [seeNewest]);

  useDrawerFocus(drawer === "none" ? undefined : drawer === "rooms" ? "sidebar" : "members");

  // Escape closes the drawers.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && drawer !== "none") setDrawer("none");
      else if (e.key === "Escape" && searchOpen) {
        setSearchOpen(false);
        focusComposer();
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [drawer, searchOpen]);

  const totalUnread = rooms.reduce((n, r) => n + (r.room === active ? 0 : r.log.unread()), 0);
  const totalMentions = rooms.reduce((n, r) => n + (r.room === active ? 0 : r.log.mentions()), 0);
  useEffect(() => {
    document.title = totalUnread > 0 ? `(${totalUnread}) Chat` : "Chat";
  }, [totalUnread]);

  const openDm = async (user: string) => {
    const r = await chat.openDm(user);
    if ("room" in r) select(r.room);
    else setRoomError(errorText(r.error));
  };

  const title = current ? roomTitle(current.room, me) : undefined;
  const typingUsers = current ? chat.typingUsers(current.room) : [];
  const incoming = chat.lastIncoming;
  // The live region speaks a message once, when it arrives in the open room: switching rooms
  // empties it, and coming back does not say the last message again.
  const [announced, setAnnounced] = useState("");
  useEffect(() => setAnnounced(""), [active]);
  useEffect(() => {
    if (incoming && incoming.room === active) setAnnounced(`${incoming.user}: ${incoming.body}`);
  }, [incoming]);
  const editingSeq = current && editing?.room === current.room ? editing.seq : undefined;
  const editingLive = editingSeq !== undefined && current?.log.get(editingSeq)?.deleted !== true ? editingSeq : undefined;
  const people = useMemo(() => {
    if (!current) return [];
    if (title?.dm) return title.peer ? [title.peer] : [];
    const names = new Set(current.members);
    const list = current.log.messages();
    for (let i = list.length - 1; i >= 0 && i >= list.length - 300; i--) names.add(list[i]!.user);
    return [...names];
  }, [current, current?.log.version, current?.members]);

  return (
    <div class={`shell drawer-${drawer}`}>
      <a class="skip-link" href="#composer-input">
        Skip to message box
      </a>
      <Sidebar
        me={me}
        rooms={rooms}
        active={active}
        onSelect={select}
        onJoin={joinByName}
        onSignOut={onSignOut}
        onSearch={(q) => {
          opened.current++;
          setSearchOpen(true);
          setDrawer("none");
          void chat.runSearch(q);
        }}
      />
      <div class="scrim" onClick={() => setDrawer("none")} aria-hidden="true" />
      <main class="room" aria-label={title ? (title.dm ? `Conversation with ${title.title}` : `#${title.title}`) : "Chat"}>
        <header class="room-header">
          <button
            class="icon-btn only-narrow"
            type="button"
            aria-label="Rooms"
            aria-expanded={drawer === "rooms"}
            aria-controls="sidebar"
            onClick={() => toggleDrawer("rooms")}
          >
            <Icon name="menu" />
            {totalUnread > 0 && (
              <span
                class={`dot${totalMentions > 0 ? " mention" : ""}`}
                aria-label={totalMentions > 0 ? `${totalUnread} unread, ${totalMentions} mentioning you` : `${totalUnread} unread`}
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
              "Chat"
            )}
          </h1>
          {current && (
            <button
              class="members-toggle"
              type="button"
              aria-expanded={drawer === "members"}
              aria-controls="members"
              onClick={() => toggleDrawer("members")}
            >
              <span class="online-dot" aria-hidden="true" />
              {current.members.size} online
            </button>
          )}
        </header>
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
            onOpen={(m) => void jumpTo(m.room, m.seq)}
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
              messages={current.log.messages()}
              outgoing={current.log.outgoing()}
              notices={current.log.notices}
              seenBy={current.log.seenBy()}
              hasOlder={current.log.hasOlder}
              loadingOlder={current.loadingOlder}
              now={now}
              onNearTop={() => void chat.loadOlder(current.room)}
              onSeeNewest={() => {
                atBottomRef.current = true;
                seeNewest();
              }}
              onRetry={(id) => chat.retry(current.room, id)}
              onDiscard={(id) => chat.discard(current.room, id)}
              actions={actions}
              editing={editingLive}
              errors={current.messageErrors}
              highlight={highlight?.room === current.room ? highlight.seq : undefined}
            />
            <Composer
              room={current.room}
              label={title!.dm ? title!.title : `#${title!.title}`}
              draft={drafts.current.get(current.room) ?? ""}
              error={current.error ? errorText(current.error) : undefined}
              typingText={typingText(typingUsers)}
              onDraft={(t) => drafts.current.set(current.room, t)}
              onSend={(t) => chat.send(current.room, t)}
              onTyping={(has) => chat.typingInput(current.room, has)}
              onStopTyping={() => chat.typingStop(current.room)}
              onDismissError={() => chat.clearError(current.room)}
              onEditLast={() => {
                const m = lastEditable(current.log.messages(), me);
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
        <footer class="node-footer">
          {chat.node ? (
            <>
              Served by <strong>{chat.node}</strong>
              {chat.protocolVersion !== undefined && <> · protocol v{chat.protocolVersion}</>}
            </>
          ) : (
            <>Not connected</>
          )}
        </footer>
        <div class="sr-only" aria-live="polite" aria-atomic="true">
          {announced}
        </div>
      </main>
      <Toasts
        alerts={alerts}
        me={me}
        onOpen={(a) => {
          chat.dismissMention(a.id);
          void jumpTo(a.room, a.seq);
        }}
        onDismiss={(a) => chat.dismissMention(a.id)}
      />
      {current && <Members me={me} members={current.members} dm={title?.dm === true} onOpenDm={openDm} />}
    </div>
  );
}
