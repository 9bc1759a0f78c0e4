/** REST: a room's history, authorised like a socket. */
import type { Request, Response, Router } from "express";
import express from "express";
import { z } from "zod";
import { HTTP_STATUS, MAX_HISTORY_LIMIT, MAX_SEQ, roomSchema } from "../shared/protocol.js";
import { mayAccess } from "../chat/access.js";
import { AuthError, type Authenticator } from "../auth.js";
import { ChatError, formatIssues, toErrorBody } from "../errors.js";
import { readPage } from "../store/history.js";
import type { Queryable } from "../store/db.js";
import type { Logger } from "../logger.js";

const decimal = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const querySchema = z.object({
  before: decimal(1, MAX_SEQ).optional(),
  limit: decimal(1, MAX_HISTORY_LIMIT).optional(),
  username: z.string().optional(),
});

export function apiRoutes(deps: { db: Queryable; auth: Authenticator; historyLimit: number; log: Logger }): Router {
  const r = express.Router();
  r.get("/api/rooms/:room/messages", async function roomMessages(req: Request, res: Response) {
    try {
      const user = await authenticate(deps.auth, req);
      const room = roomSchema.safeParse(req.params.room);
      if (!room.success) throw new ChatError("invalid_payload", formatIssues(room.error));
      const q = querySchema.safeParse(req.query);
      if (!q.success) throw new ChatError("invalid_payload", formatIssues(q.error));
      if (!mayAccess(user, room.data)) throw new ChatError("forbidden", "this direct-message room belongs to other users");
      res.json(await readPage(deps.db, room.data, q.data.limit ?? deps.historyLimit, q.data.before));
    } catch (err) {
      sendError(res, err, deps.log, "roomMessages");
    }
  });
  return r;
}

/** The contract's error body with its status (and Retry-After for `rate_limited`). */
export function sendError(res: Response, err: unknown, log: Logger, route: string): void {
  const error = toErrorBody(err, log, { route });
  if (error.retryAfterMs) res.setHeader("Retry-After", Math.ceil(error.retryAfterMs / 1000));
  res.status(HTTP_STATUS[error.code]).json({ error });
}

export async function authenticate(auth: Authenticator, req: Request): Promise<string> {
  let user: string | undefined;
  try {
    const username = typeof req.query.username === "string" ? req.query.username : undefined;
    user = await auth.fromHttp(req.headers.authorization, username);
  } catch (err) {
    if (err instanceof AuthError && err.reason === "invalid_username") {
      throw new ChatError("invalid_payload", "username must match ^[A-Za-z0-9_.-]{1,32}$");
    }
    throw new ChatError("unauthenticated", "a valid token is required");
  }
  if (!user) {
    throw new ChatError(
      "unauthenticated",
      auth.mode === "jwt" ? "send Authorization: Bearer <token>" : "name the user with ?username=",
    );
  }
  return user;
}
