import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { PUBLIC_ROOM_PATTERN, isRoomName, type Message } from "../../../src/shared/wire.js";
import { ChatClient, type ConnState, type Credentials, type MentionAlert, type RoomState } from "../state/chat.js";
import { connectErrorText, errorText, fullTime, relativeTime, richText, roomTitle } from "../state/format.js";
import { lastEditable } from "../state/rich.js";
import { searchErrorText, type SearchState } from "../state/search.js";
import { typingText } from "../state/typing.js";
import { Avatar, Icon } from "./bits.js";
import { Composer } from "./Composer.js";
import { MessageList, type MessageActions } from "./MessageList.js";
import { clearCredentials, loadCredentials, roomFromHash, saveCredentials, setHashRoom } from "./session.js";
import { SignIn } from "./SignIn.js";

export function App() {
  const [cred, setCred] = useState<Credentials | undefined>(() => loadCredentials());
  const [refusal, setRefusal] = useState<string | undefined>();

  if (!cred) {
    return (
      <SignIn
        error={refusal ? connectErrorText(refusal) : undefined}
        tokenMode={refusal === "unauthorized"}
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
  const chat = useMemo(() => new ChatClient({ credentials }), [credentials]);
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
  // Nothing chosen yet: the most recently active room.
  useEffect(() => {
    if (active || !rooms[0]) return;
    setChosen(false);
    setActive(rooms[0].room);
  }, [active, rooms[0]?.room]);

  const select = useCallback((room: string) => {
    setChosen(true);
    setRoomError(undefined);
    setActive(room);
    setDrawer("none");
    setSearchOpen(false);
  }, []);

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
        onJoin={async (room) => {
          const err = await chat.openRoom(room);
          if (err && err.code !== "disconnected") return errorText(err);
          select(room);
          return undefined;
        }}
        onSignOut={onSignOut}
        onSearch={(q) => {
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
            onClick={() => setDrawer(drawer === "rooms" ? "none" : "rooms")}
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
              onClick={() => setDrawer(drawer === "members" ? "none" : "members")}
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
              const err = await chat.openRoom(room);
              if (err && err.code !== "disconnected") setRoomError(errorText(err));
              else select(room);
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
          {incoming && incoming.room === active ? `${incoming.user}: ${incoming.body}` : ""}
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

function ConnectionBanner({ conn }: { conn: ConnState }) {
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

interface SidebarProps {
  me: string;
  rooms: RoomState[];
  active?: string;
  onSelect(room: string): void;
  onJoin(room: string): Promise<string | undefined>;
  onSignOut(): void;
  onSearch(query: string): void;
}

function Sidebar({ me, rooms, active, onSelect, onJoin, onSignOut, onSearch }: SidebarProps) {
  const [name, setName] = useState("");
  const [query, setQuery] = useState("");
  const [error, setError] = useState<string | undefined>();
  const publicRooms = rooms.filter((r) => !roomTitle(r.room, me).dm);
  const dms = rooms.filter((r) => roomTitle(r.room, me).dm);

  const submit = async (e: Event) => {
    e.preventDefault();
    const room = name.trim().replace(/^#/, "").toLowerCase();
    if (!room) return;
    if (!PUBLIC_ROOM_PATTERN.test(room) && !isRoomName(room)) {
      setError("Room names use lowercase letters, digits, - and _, up to 64, starting with a letter or digit.");
      return;
    }
    setError(undefined);
    const err = await onJoin(room);
    if (err) setError(err);
    else setName("");
  };

  const item = (r: RoomState) => {
    const t = roomTitle(r.room, me);
    const unread = r.room === active ? 0 : r.log.unread();
    const mentions = r.room === active ? 0 : r.log.mentions();
    return (
      <li key={r.room}>
        <button
          type="button"
          class={`room-link${r.room === active ? " active" : ""}${unread > 0 ? " has-unread" : ""}`}
          aria-current={r.room === active ? "page" : undefined}
          onClick={() => onSelect(r.room)}
        >
          {t.dm ? (
            <Avatar name={t.title} size="sm" />
          ) : (
            <span class="room-hash" aria-hidden="true">
              #
            </span>
          )}
          <span class="room-name">{t.title}</span>
          {mentions > 0 && (
            <span class="badge mention-badge" title={`${mentions} ${mentions === 1 ? "mention" : "mentions"} of you`}>
              @{mentions > 1 ? (mentions > 99 ? "99+" : mentions) : ""}
              <span class="sr-only"> {mentions === 1 ? "mention" : "mentions"}</span>
            </span>
          )}
          {unread > 0 && (
            <span class="badge">
              {unread > 99 ? "99+" : unread}
              <span class="sr-only"> unread</span>
            </span>
          )}
        </button>
      </li>
    );
  };

  return (
    <aside class="sidebar" id="sidebar" aria-label="Rooms and direct messages">
      <div class="brand">
        <span class="brand-mark" aria-hidden="true" />
        <span>Chat</span>
      </div>
      <form
        class="join-box search-box"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          if (query.trim() !== "") onSearch(query.trim());
        }}
      >
        <label class="sr-only" for="search-messages">
          Search messages
        </label>
        <input
          id="search-messages"
          type="search"
          placeholder="Search messages"
          autocomplete="off"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <button class="icon-btn" type="submit" aria-label="Search">
          <Icon name="search" />
        </button>
      </form>
      <form class="join-box" onSubmit={submit}>
        <label class="sr-only" for="join-room">
          Join or create a room
        </label>
        <input
          id="join-room"
          placeholder="Join or create a room"
          autocapitalize="off"
          autocomplete="off"
          spellcheck={false}
          value={name}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "join-error" : undefined}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button class="icon-btn" type="submit" aria-label="Join room">
          <Icon name="plus" />
        </button>
      </form>
      {error && (
        <p id="join-error" class="form-error small" role="alert">
          {error}
        </p>
      )}
      <nav class="room-nav" aria-label="Rooms">
        <h2>Rooms</h2>
        {publicRooms.length > 0 ? <ul>{publicRooms.map(item)}</ul> : <p class="muted small pad">No rooms yet.</p>}
        <h2>Direct messages</h2>
        {dms.length > 0 ? (
          <ul>{dms.map(item)}</ul>
        ) : (
          <p class="muted small pad">Open someone's name in a room's member list to message them.</p>
        )}
      </nav>
      <div class="me">
        <Avatar name={me} size="sm" />
        <span class="me-name" title={me}>
          {me}
        </span>
        <button class="icon-btn" type="button" onClick={onSignOut} aria-label="Sign out" title="Sign out">
          <Icon name="logout" />
        </button>
      </div>
    </aside>
  );
}

function Members({
  me,
  members,
  dm,
  onOpenDm,
}: {
  me: string;
  members: Set<string>;
  dm: boolean;
  onOpenDm(user: string): void;
}) {
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

function Welcome({ waiting, onJoin }: { waiting: boolean; onJoin(room: string): void }) {
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

function roomLabel(room: string, me: string): string {
  const t = roomTitle(room, me);
  return t.dm ? t.title : `#${t.title}`;
}

/** A result's body: text and mentions; links stay text (the whole result is one button). */
function ResultBody({ text, me }: { text: string; me: string }) {
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

interface SearchPanelProps {
  search: SearchState;
  me: string;
  now: number;
  current?: string;
  onScope(room: string | undefined): void;
  onMore(): void;
  onOpen(m: Message): void;
  onClose(): void;
}

function SearchPanel({ search: s, me, now, current, onScope, onMore, onOpen, onClose }: SearchPanelProps) {
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

function Toasts({
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
            <Icon name="at" />
          </span>
          <span class="toast-text">
            <strong>{a.from}</strong> mentioned you in {roomLabel(a.room, me)}
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
