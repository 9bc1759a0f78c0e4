/**
 * The app's last handlers: every request that no route answered, and every error a route
 * or middleware passed on (a URL that does not decode, a body that does not parse, a
 * throw), gets the contract's JSON error body. Express's own pages would show a stack and
 * the server's file paths.
 */
import type { NextFunction, Request, Response } from "express";
import { HTTP_STATUS, type ErrorBody, type ErrorCode } from "../shared/protocol.js";
import { toErrorBody } from "../errors.js";
import type { Logger } from "../logger.js";

const CLIENT_ERRORS: Record<number, ErrorCode> = {
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  429: "rate_limited",
};

export function notFound(_req: Request, res: Response): void {
  send(res, { code: "not_found", message: "no such endpoint" });
}

export function jsonErrors(log: Logger) {
  return function errorHandler(err: unknown, req: Request, res: Response, next: NextFunction): void {
    if (res.headersSent) return next(err);
    const status = statusOf(err);
    if (status >= 400 && status < 500) {
      const code = CLIENT_ERRORS[status] ?? "invalid_payload";
      // A fixed message: the library's own may quote the request back or name internals.
      send(res, { code, message: code === "invalid_payload" ? "the request could not be read (URL encoding or body)" : code });
      return;
    }
    send(res, toErrorBody(err, log, { method: req.method, route: req.route?.path ?? "unmatched" }));
  };
}

function statusOf(err: unknown): number {
  if (typeof err !== "object" || err === null) return 500;
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown };
  const s = typeof status === "number" ? status : statusCode;
  return typeof s === "number" && Number.isInteger(s) ? s : 500;
}

function send(res: Response, error: ErrorBody): void {
  res.status(HTTP_STATUS[error.code]).json({ error });
}
