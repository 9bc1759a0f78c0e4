/**
 * The wire contract (docs/protocol.md): types, names, patterns and limits, with no
 * dependencies, so that the browser client can import it without bundling zod.
 * `protocol.ts` re-exports all of it with the zod schemas the server validates with.
 */

export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
export const PUBLIC_ROOM_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const DM_ROOM_PATTERN = /^dm:([A-Za-z0-9_.-]{1,32}):([A-Za-z0-9_.-]{1,32})$/;

/** Upper bound of every `seq`: the largest integer a JSON number carries exactly. */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;
export const MAX_SINCE_BATCH = 1000;
export const MAX_HISTORY_LIMIT = 100;
/** HISTORY_LIMIT's default, and the page the browser client asks `room:history` for. */
export const DEFAULT_HISTORY_LIMIT = 50;
export const MAX_CLIENT_ID_CHARS = 64;
/** Upload ids are 22 characters of base64url (128 random bits). */
export const UPLOAD_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export const ERROR_CODES = [
  "invalid_payload",
  "unauthenticated",
  "forbidden",
  "not_joined",
  "not_found",
  "rate_limited",
  "limit_exceeded",
  "too_large",
  "unsupported_type",
  "unavailable",
  "internal",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_payload: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_joined: 409,
  not_found: 404,
  rate_limited: 429,
  limit_exceeded: 429,
  too_large: 413,
  unsupported_type: 415,
  unavailable: 503,
  internal: 500,
};

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Only with `rate_limited`. */
  retryAfterMs?: number;
}
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: ErrorBody };

/** Length in Unicode code points, as the contract counts it. */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The DM room of two users: `dm:<a>:<b>`, names sorted by code point. */
export function dmRoomName(a: string, b: string): string {
  const [x, y] = a < b ? [a, b] : [b, a];
  return `dm:${x}:${y}`;
}

/** The two participants of a well-formed DM room name, or undefined. */
export function dmParticipants(room: string): [string, string] | undefined {
  const m = DM_ROOM_PATTERN.exec(room);
  if (!m) return undefined;
  const [, a, b] = m as unknown as [string, string, string];
  // Only the canonical spelling names a DM: sorted, two different users.
  if (!(a < b)) return undefined;
  return [a, b];
}

export function isRoomName(s: string): boolean {
  return PUBLIC_ROOM_PATTERN.test(s) || dmParticipants(s) !== undefined;
}

/** Valid Unicode text without NUL: what PostgreSQL can store verbatim. */
export function isWellFormedText(s: string): boolean {
  return s.isWellFormed() && !s.includes("\u0000");
}

export const MAX_SEARCH_LIMIT = 50;
/** `rooms:browse`: the largest page, and the page when `limit` is not given. */
export const MAX_BROWSE_LIMIT = 50;
export const DEFAULT_BROWSE_LIMIT = 20;

/** One emoji grapheme of at most 16 bytes: what `message:react` accepts. */
export function isEmoji(s: string): boolean {
  if (typeof s !== "string" || s.length === 0 || new TextEncoder().encode(s).length > 16) return false;
  const graphemes = [...new Intl.Segmenter("en", { granularity: "grapheme" }).segment(s)];
  return graphemes.length === 1 && /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u.test(s);
}

/** Usernames mentioned as `@name` in a body (not inside e-mail addresses), at most 20. */
export function mentionsIn(body: string): string[] {
  const out = new Set<string>();
  for (const m of body.matchAll(/(?:^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{1,32})/g)) {
    out.add(m[1]!.replace(/\.+$/, "")); // "@bob." at a sentence's end names bob
    if (out.size >= 20) break;
  }
  return [...out].filter((u) => USERNAME_PATTERN.test(u));
}

/** Who a new message notifies: mentioned users other than the author who may read the room. */
export function mentionTargets(room: string, author: string, body: string): string[] {
  const dm = dmParticipants(room);
  return mentionsIn(body).filter((u) => u !== author && (!dm || dm.includes(u)));
}

export interface Message {
  room: string;
  seq: number;
  user: string;
  body: string;
  clientId: string;
  createdAt: string;
  editedAt?: string;
  deleted?: true;
  reactions?: Record<string, string[]>;
  /** Position of the message's latest change, when it has been changed. */
  updateSeq?: number;
  /** A reply: the `seq` of its thread's root. */
  threadOf?: number;
  /** A root with replies: how many, when the last came, the last few repliers (latest last). */
  replyCount?: number;
  lastReplyAt?: string;
  repliers?: string[];
  /** Files sent with the message (absent when none). */
  attachments?: Attachment[];
}

/** A file attached to a message (docs/protocol.md, attachments). */
export interface Attachment {
  id: string;
  name: string;
  /** Bytes. */
  size: number;
  /** The type sniffed from the content at upload, never the client's word. */
  type: string;
  /** `/api/files/<id>/<name>`: the file, with the REST API's authentication. */
  url: string;
  /** Images: a small preview made at upload (`url` + `?thumb=1`). */
  thumbUrl?: string;
  width?: number;
  height?: number;
}

/** What `POST /api/rooms/:room/uploads` answers (201). */
export interface UploadResult {
  id: string;
  name: string;
  size: number;
  type: string;
  width?: number;
  height?: number;
}

/** The download address of an attachment. */
export function attachmentUrl(id: string, name: string): string {
  return `/api/files/${encodeURIComponent(id)}/${encodeURIComponent(name)}`;
}

export interface JoinResult {
  room: string;
  messages: Message[];
  members: string[];
  readSeq: number;
  lastSeq: number;
  hasMore: boolean;
  /**
   * The room's first stored position: older ones expired (retention); 1 when none did.
   * Always sent by this server; optional for the client, which may talk to an older one.
   */
  firstSeq?: number;
}
export interface HistoryResult {
  messages: Message[];
  hasMore: boolean;
  /** As in JoinResult. */
  firstSeq?: number;
}
export interface RoomSummary {
  room: string;
  lastSeq: number;
  readSeq: number;
  unread: number;
  /** Messages after readSeq that mention this user. */
  mentions: number;
  /** Threads this user follows with others' replies after readSeq. */
  unreadThreads: number;
}
/** One public room in a `rooms:browse` page. */
export interface RoomListing {
  room: string;
  /** Users who joined it and have not left it. */
  members: number;
  /** ISO-8601: its newest message, or its creation when it has none. */
  lastActivityAt: string;
  lastSeq: number;
}
export interface BrowseResult {
  /** In name order. */
  rooms: RoomListing[];
  /** Pass as `cursor` for the next page; absent on the last. */
  next?: string;
}
export interface SearchResult {
  /** Newest first. */
  messages: Message[];
  hasMore: boolean;
  /** Pass as `before` for the next (older) page. */
  nextBefore?: number;
}
export interface ThreadResult {
  /** The root in its current state. */
  root: Message;
  /** Replies, oldest first. */
  messages: Message[];
  hasMore: boolean;
  /** The asking user follows this thread now (its replies count as unread). */
  following: boolean;
}
export interface MessageUpdate {
  room: string;
  seq: number;
  updateSeq: number;
  message: Message;
}

/** Events the server emits to v1 sockets. */
export interface ServerToClientEvents {
  "message:new": (m: Message) => void;
  "message:updated": (u: MessageUpdate) => void;
  mention: (m: { room: string; seq: number; from: string }) => void;
  "presence:join": (p: { room: string; user: string }) => void;
  "presence:leave": (p: { room: string; user: string }) => void;
  typing: (t: { room: string; user: string; typing: boolean }) => void;
  "message:read": (r: { room: string; user: string; seq: number }) => void;
  "dm:invited": (d: { room: string; from: string }) => void;
  /** This user left a public room (on any connection): stop showing it. */
  "room:left": (r: { room: string }) => void;
  /** Sent once after connecting: which node serves this socket (see docs/protocol.md). */
  "server:hello": (h: { node: string; version: number }) => void;
  /** After a Redis outage: live delivery may have missed entries in these rooms. */
  "rooms:resync": (r: { rooms: string[] }) => void;
  /** jwt mode: the token expires in `inMs`; renew it with `auth:refresh`. */
  "session:expiring": (s: { inMs: number }) => void;
  /** jwt mode: the token expired; events are refused and the socket closes in `closeInMs`. */
  "session:expired": (s: { closeInMs: number }) => void;
}

type AckFn<T extends object = object> = (ack: Ack<T>) => void;

/** Events v1 clients send; each takes an ack callback last. */
export interface ClientToServerEvents {
  "room:join": (p: { room: string; since?: number }, ack?: AckFn<JoinResult>) => void;
  "room:leave": (p: { room: string }, ack?: AckFn) => void;
  "message:send": (
    p: { room: string; body: string; clientId: string; threadOf?: number; attachments?: string[] },
    ack?: AckFn<{ message: Message }>) => void;
  "thread:follow": (p: { room: string; root: number; on: boolean }, ack?: AckFn) => void;
  "thread:history": (p: { room: string; root: number; before?: number; limit?: number }, ack?: AckFn<ThreadResult>) => void;
  "room:history": (p: { room: string; before?: number; limit?: number }, ack?: AckFn<HistoryResult>) => void;
  typing: (p: { room: string; typing: boolean }, ack?: AckFn) => void;
  "message:read": (p: { room: string; seq: number }, ack?: AckFn) => void;
  "dm:open": (p: { user: string }, ack?: AckFn<{ room: string }>) => void;
  "rooms:list": (p: Record<string, never>, ack?: AckFn<{ rooms: RoomSummary[] }>) => void;
  "message:edit": (p: { room: string; seq: number; body: string }, ack?: AckFn<{ message: Message }>) => void;
  "message:delete": (p: { room: string; seq: number }, ack?: AckFn) => void;
  "message:react": (p: { room: string; seq: number; emoji: string; on: boolean }, ack?: AckFn<{ message: Message }>) => void;
  "rooms:browse": (p: { query?: string; cursor?: string; limit?: number }, ack?: AckFn<BrowseResult>) => void;
  "messages:search": (p: { room?: string; query: string; before?: number; limit?: number }, ack?: AckFn<SearchResult>) => void;
  /** jwt mode: a new token of the same user; `inMs` until it expires (null: never). */
  "auth:refresh": (p: { token: string }, ack?: AckFn<{ inMs: number | null }>) => void;
}
