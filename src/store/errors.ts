/**
 * Tells a database that cannot be reached (answer `unavailable`: nothing was stored) from
 * any other failure (answer `internal`).
 */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);

export function isUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") {
    if (NETWORK_CODES.has(code)) return true;
    // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, cannot connect now),
    // 53300 (too many connections: the server or the role is full; refused before any work).
    if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === "53300") return true;
  }
  const msg = err.message;
  return (
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused|not queryable|PGlite is closed/i.test(
      msg,
    ) || (err instanceof AggregateError && err.errors.some(isUnavailableError))
  );
}
