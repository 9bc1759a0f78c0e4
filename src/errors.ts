/**
 * The error contract every door answers with: realtime's `handle()` (acks) and http/ (4xx
 * bodies) both map what a handler throws to the codes of src/shared/protocol.ts.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import type { ErrorBody, ErrorCode } from "./shared/protocol.js";
import { isUnavailableError } from "./store/errors.js";
import type { Logger } from "./logger.js";

/** An error with a contract code; its message is safe to show to the client. */
export class ChatError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "ChatError";
  }
}

/** Maps any thrown value to the contract's error body; unexpected ones are logged with a reference. */
export function toErrorBody(err: unknown, log: Logger, context: Record<string, unknown> = {}): ErrorBody {
  if (err instanceof ChatError) {
    const body: ErrorBody = { code: err.code, message: err.message };
    if (err.retryAfterMs !== undefined) body.retryAfterMs = err.retryAfterMs;
    return body;
  }
  if (isUnavailableError(err)) {
    log.warn({ err, ...context }, "database unavailable");
    return { code: "unavailable", message: "the database cannot be reached; nothing was stored" };
  }
  const ref = randomUUID();
  log.error({ err, ref, ...context }, "internal error");
  return { code: "internal", message: `internal error (ref ${ref})` };
}

/** A payload's validation issues, the first few, as one line for the client. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}
