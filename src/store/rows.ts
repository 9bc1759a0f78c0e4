import { attachmentUrl, type Attachment, type Message, type UploadResult } from "../shared/protocol.js";

/** Columns every message query selects, in the shape `toMessage` reads. */
export const MESSAGE_COLUMNS =
    "room, seq, user_name, body, client_id, created_at, edited_at, deleted, update_seq, reactions, " +
  "thread_of, reply_count, last_reply_at, repliers, attachments";

export interface MessageRow {
  room: string;
  seq: number;
  user_name: string;
  body: string;
  client_id: string;
  created_at: Date | string;
  edited_at: Date | string | null;
  deleted: boolean;
  update_seq: number | null;
  reactions: Record<string, string[]> | null;
  thread_of?: number | null;
  reply_count?: number;
  last_reply_at?: Date | string | null;
  repliers?: string[] | null;
  attachments?: StoredAttachment[] | null;
}

/** An attachment as a message row keeps it (messages.attachments): the url is derived. */
export interface StoredAttachment extends UploadResult {
  thumb?: boolean;
}

export function toAttachment(a: StoredAttachment): Attachment {
  const url = attachmentUrl(a.id, a.name);
  const out: Attachment = { id: a.id, name: a.name, size: Number(a.size), type: a.type, url };
  if (a.thumb) out.thumbUrl = `${url}?thumb=1`;
  if (a.width != null && a.height != null) {
    out.width = a.width;
    out.height = a.height;
  }
  return out;
}

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

export function toMessage(r: MessageRow): Message {
  const m: Message = {
    room: r.room,
    seq: r.seq,
    user: r.user_name,
    body: r.body,
    clientId: r.client_id,
    createdAt: iso(r.created_at),
  };
  if (r.edited_at) m.editedAt = iso(r.edited_at);
  if (r.deleted) m.deleted = true;
  if (r.update_seq != null) m.updateSeq = r.update_seq;
  if (r.reactions && Object.keys(r.reactions).length > 0) m.reactions = r.reactions;
  if (r.thread_of != null) m.threadOf = Number(r.thread_of);
  if (r.reply_count) {
    m.replyCount = r.reply_count;
    if (r.last_reply_at) m.lastReplyAt = iso(r.last_reply_at);
    m.repliers = r.repliers ?? [];
  }
  if (r.attachments && r.attachments.length > 0) m.attachments = r.attachments.map(toAttachment);
  return m;
}
