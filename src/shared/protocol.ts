/**
 * The wire contract's zod schemas, built on the plain definitions of `wire.ts` (re-exported
 * here). The server validates every client payload with these.
 */
import { z } from "zod";
import {
  isEmoji,
  isRoomName,
  isWellFormedText,
  codePoints,
  MAX_CLIENT_ID_CHARS,
  MAX_BROWSE_LIMIT,
  MAX_HISTORY_LIMIT,
  PUBLIC_ROOM_PATTERN,
  MAX_SEARCH_LIMIT,
  MAX_SEQ,
  USERNAME_PATTERN,
  UPLOAD_ID_PATTERN,
} from "./wire.js";

export * from "./wire.js";

const wellFormed = isWellFormedText;

export const roomSchema = z
  .string()
  .max(100)
  .refine(isRoomName, { message: "room must be a public room name or dm:<a>:<b>" });
export const usernameSchema = z.string().regex(USERNAME_PATTERN, "username must match ^[A-Za-z0-9_.-]{1,32}$");
export const seqSchema = z.number().int().min(1).max(MAX_SEQ);
const sinceSchema = z.number().int().min(0).max(MAX_SEQ);

/** `body` limits depend on configuration, so the schema is built per server. */
export function bodySchema(maxChars: number, mayBeEmpty = false) {
  return z
    .string()
    .max(maxChars * 4 + 1024) // cheap bound before the code-point count below
    .transform((s) => s.trim())
    .refine(wellFormed, { message: "body must be valid Unicode text without NUL" })
    .refine((s) => mayBeEmpty || s.length > 0, { message: "body is empty" })
    .refine((s) => codePoints(s) <= maxChars, { message: `body is longer than ${maxChars} characters` });
}

export const clientIdSchema = z
  .string()
  .min(1)
  .max(MAX_CLIENT_ID_CHARS * 2)
  .refine((s) => codePoints(s) <= MAX_CLIENT_ID_CHARS && wellFormed(s), {
    message: `clientId must be 1 to ${MAX_CLIENT_ID_CHARS} characters`,
  });

export const joinSchema = z.object({ room: roomSchema, since: sinceSchema.optional() });
export const leaveSchema = z.object({ room: roomSchema });
export const historySchema = z.object({
  room: roomSchema,
  before: seqSchema.optional(),
  limit: z.number().int().min(1).max(MAX_HISTORY_LIMIT).optional(),
});
export const typingSchema = z.object({ room: roomSchema, typing: z.boolean() });
export const readSchema = z.object({ room: roomSchema, seq: seqSchema });
export const dmOpenSchema = z.object({ user: usernameSchema });
export const roomsListSchema = z.object({}).optional();
export const uploadIdSchema = z.string().regex(UPLOAD_ID_PATTERN, "an upload id");
/** A send needs a body or at least one attachment; both limits depend on configuration. */
export function sendSchema(maxChars: number, maxAttachments = 10) {
  return z
    .object({
      room: roomSchema,
      body: bodySchema(maxChars, true),
      clientId: clientIdSchema,
      threadOf: seqSchema.optional(),
      attachments: z
        .array(uploadIdSchema)
        .max(maxAttachments, { message: `at most ${maxAttachments} attachments` })
        .refine((a) => new Set(a).size === a.length, { message: "attachments repeat an id" })
        .optional(),
    })
    .refine((p) => p.body.length > 0 || (p.attachments?.length ?? 0) > 0, { message: "body is empty", path: ["body"] });
}
export const threadHistorySchema = historySchema.extend({ root: seqSchema });
export const threadFollowSchema = z.object({ room: roomSchema, root: seqSchema, on: z.boolean() });

export function editSchema(maxChars: number) {
  return z.object({ room: roomSchema, seq: seqSchema, body: bodySchema(maxChars) });
}
export const deleteSchema = z.object({ room: roomSchema, seq: seqSchema });
export const reactSchema = z.object({
  room: roomSchema,
  seq: seqSchema,
  emoji: z.string().max(16).refine(isEmoji, { message: "emoji must be one emoji grapheme of at most 16 bytes" }),
  on: z.boolean(),
});
export const searchSchema = z.object({
  room: roomSchema.optional(),
  query: z
    .string()
    .max(200)
    .transform((s) => s.trim())
    .refine((s) => s.length > 0 && wellFormed(s), { message: "query must be 1 to 200 characters" }),
  before: z.number().int().min(1).max(MAX_SEQ).optional(),
  limit: z.number().int().min(1).max(MAX_SEARCH_LIMIT).optional(),
});


/**
 * rooms:browse. The query is a prefix of room names, trimmed and lower-cased (names are
 * lower-case); one with a character no public name holds matches nothing rather than
 * being refused, since it is what a person typed. The cursor is the last name of a page.
 */
export const browseSchema = z
  .object({
    query: z
      .string()
      .max(64)
      .refine(wellFormed, { message: "query must be valid Unicode text without NUL" })
      .transform((s) => s.trim().toLowerCase())
      .optional(),
    cursor: z.string().regex(PUBLIC_ROOM_PATTERN, "cursor must be the `next` of a page").optional(),
    limit: z.number().int().min(1).max(MAX_BROWSE_LIMIT).optional(),
  })
  .optional();

/** Whether a (lower-cased) browse query can be the start of a public room name. */
export function isNamePrefix(query: string): boolean {
  return /^[a-z0-9][a-z0-9_-]{0,63}$/.test(query);
}
