/**
 * The client's HTTP calls for files, authenticated as the REST API wants (src/http/api.ts):
 * `?username=` in open mode, `Authorization: Bearer` in jwt mode. Browsers cannot put that
 * header on an `<img src>`, so images and downloads are fetched here and shown through
 * object URLs, shared and revoked by `ObjectUrls`. No DOM: Node's fetch and Blob run it.
 */
import { t } from "../i18n/index.js";
import type { Credentials } from "./chat.js";

/** A refused or failed file request: the HTTP status (0: no answer) and the REST error code. */
export class FileError extends Error {
  constructor(
    readonly status: number,
    readonly code?: string,
    message?: string,
  ) {
    super(message ?? `HTTP ${status}`);
  }
}

export interface FileApiOptions {
  /** The server's origin (with a path prefix, if any); the page's own when it serves the client. */
  base: string;
  /** Who is signed in now (jwt mode: the newest token the server took). */
  credentials(): Credentials;
  /** jwt mode: a fresh token from the page (`window.chatCluster.getToken()`), for one retry after a 401. */
  freshToken?(): Promise<string | undefined>;
  fetch?: typeof fetch;
}

export class FileApi {
  /** A fresh token a 401 made us ask for, used until the client's own credentials change. */
  private renewed?: { from: string; token: string };

  constructor(private readonly opts: FileApiOptions) {}

  /** The absolute URL and headers for `path` (a `/api/...` path, or one the server gave). */
  request(path: string): { url: string; headers: Record<string, string> } {
    const url = new URL(path.replace(/^\//, ""), this.opts.base.endsWith("/") ? this.opts.base : `${this.opts.base}/`);
    const cred = this.opts.credentials();
    if ("username" in cred) {
      url.searchParams.set("username", cred.username);
      return { url: url.href, headers: {} };
    }
    const token = this.renewed?.from === cred.token ? this.renewed.token : cred.token;
    return { url: url.href, headers: { Authorization: `Bearer ${token}` } };
  }

  uploadPath(room: string): string {
    return `/api/rooms/${encodeURIComponent(room)}/uploads`;
  }

  /**
   * jwt mode, after a 401: asks the page for a fresh token. True when there is a new one to
   * try (the caller sends its request again once).
   */
  async renewAfter401(): Promise<boolean> {
    const cred = this.opts.credentials();
    if (!("token" in cred) || !this.opts.freshToken) return false;
    let token: string | undefined;
    try {
      token = await this.opts.freshToken();
    } catch {
      return false; // the page's hook failed: as if it had none
    }
    const current = this.renewed?.from === cred.token ? this.renewed.token : cred.token;
    if (!token || token === current) return false;
    this.renewed = { from: cred.token, token };
    return true;
  }

  /** GETs `path` with the client's auth; rejects with a FileError when refused. */
  async blob(path: string, signal?: AbortSignal): Promise<Blob> {
    const doFetch = this.opts.fetch ?? fetch;
    for (let attempt = 0; ; attempt++) {
      const { url, headers } = this.request(path);
      let res: Response;
      try {
        res = await doFetch(url, { headers, signal, credentials: "omit", cache: "default" });
      } catch (err) {
        if (signal?.aborted) throw err;
        throw new FileError(0, undefined, "no connection to the server");
      }
      if (res.ok) return await res.blob();
      if (res.status === 401 && attempt === 0 && (await this.renewAfter401())) continue;
      const body = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
      throw new FileError(res.status, body?.error?.code, body?.error?.message);
    }
  }
}

/** Why a file could not be shown or downloaded, in plain words. */
export function fileErrorText(err: unknown): string {
  const status = err instanceof FileError ? err.status : 0;
  if (status === 0) return t("files.errNoConnection");
  if (status === 403) return t("files.errForbidden");
  if (status === 404 || status === 410) return t("files.errGone");
  if (status === 401) return t("files.errSession");
  return t("files.errStatus", { status });
}

interface Entry {
  refs: number;
  url?: string;
  promise: Promise<string>;
}

/**
 * Object URLs of fetched files, one per file however many rows show it, revoked when the
 * last row showing it goes. `acquire` and `release` pair up like a subscription.
 */
export class ObjectUrls {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly load: (path: string) => Promise<Blob>,
    private readonly create: (b: Blob) => string = (b) => URL.createObjectURL(b),
    private readonly revoke: (url: string) => void = (u) => URL.revokeObjectURL(u),
  ) {}

  acquire(path: string): Promise<string> {
    const known = this.entries.get(path);
    if (known) {
      known.refs++;
      return known.promise;
    }
    const entry: Entry = { refs: 1, promise: Promise.resolve("") };
    entry.promise = this.load(path).then(
      (blob) => {
        const url = this.create(blob);
        if (this.entries.get(path) === entry) entry.url = url;
        else this.revoke(url); // released while it loaded
        return url;
      },
      (err: unknown) => {
        // Not kept: the next row to show it asks again (the person may have been let in since).
        if (this.entries.get(path) === entry) this.entries.delete(path);
        throw err;
      },
    );
    this.entries.set(path, entry);
    return entry.promise;
  }

  release(path: string) {
    const e = this.entries.get(path);
    if (!e || --e.refs > 0) return;
    this.entries.delete(path);
    if (e.url) this.revoke(e.url);
  }

  /** Object URLs alive now (for tests). */
  get size(): number {
    return [...this.entries.values()].filter((e) => e.url !== undefined).length;
  }

  clear() {
    for (const e of this.entries.values()) if (e.url) this.revoke(e.url);
    this.entries.clear();
  }
}
