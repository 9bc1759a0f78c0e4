/**
 * pino JSON logs. Secrets and tokens are redacted wherever they might be logged: handshake
 * auth, Authorization headers, the config's JWT material, and `?token=` in any URL (the
 * browser client accepts a token in its page address), at every level.
 */
import pino, { type Logger } from "pino";

export type { Logger };

export const REDACT_PATHS = [
  "token",
  "*.token",
  "auth.token",
  "handshake.auth.token",
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "headers.cookie",
  "config.auth.secret",
  "config.auth.publicKey",
  "secret",
  "password",
  "*.password",
  "databaseUrl",
  "*.databaseUrl",
  "redisUrl",
  "*.redisUrl",
];

const TOKEN_IN_URL = /([?&](?:access_)?token=)[^&#\s"]*/gi;

/** A string with every `?token=` / `&token=` value replaced. */
export function scrubUrl(s: string): string {
  return s.replace(TOKEN_IN_URL, "$1[redacted]");
}

/** Top-level string fields (url, path, ...) of a log record, scrubbed. */
function scrubFields(obj: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === "string" && v.includes("token=")) obj[k] = scrubUrl(v);
  }
  return obj;
}

export function createLogger(level: string, nodeId: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { node: nodeId },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: scrubFields },
      hooks: {
        // The message itself (and its format arguments) may quote a URL too.
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === "string" && a.includes("token=") ? scrubUrl(a) : a)) as typeof args);
        },
      },
    },
    destination,
  );
}
