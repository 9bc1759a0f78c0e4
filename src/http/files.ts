/**
 * Attachments over HTTP (docs/protocol.md, attachments): `POST /api/rooms/:room/uploads`
 * streams one multipart part into chat's Attachments, and `GET /api/files/:id/:name`
 * serves it back, with Range, to the members of its room.
 */
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import express, { type Request, type Response, type Router } from "express";
import type { Attachments } from "../chat/attachments.js";
import type { Authenticator } from "../auth.js";
import { ChatError } from "../errors.js";
import type { Logger } from "../logger.js";
import { roomSchema, UPLOAD_ID_PATTERN, type UploadResult } from "../shared/protocol.js";
import { authenticate, sendError } from "./api.js";

/** Room for multipart framing around the file: headers of the part, boundaries, a small field or two. */
const MULTIPART_SLACK = 64 * 1024;

export function fileRoutes(deps: { attachments: Attachments; auth: Authenticator; log: Logger }): Router {
  const { attachments, log } = deps;
  const r = express.Router();

  r.post("/api/rooms/:room/uploads", async function upload(req: Request, res: Response) {
    let release: (() => void) | undefined;
    let bound = attachments.config.maxUploadBytes;
    try {
      const user = await authenticate(deps.auth, req);
      const room = roomSchema.safeParse(req.params.room);
      if (!room.success) throw new ChatError("invalid_payload", "not a room name");
      await attachments.assertMember(user, room.data);
      if (!/^multipart\/form-data\b/i.test(req.headers["content-type"] ?? "")) {
        throw new ChatError("invalid_payload", "send multipart/form-data with one part named file");
      }
      release = attachments.enter(user);
      const allowance = await attachments.allowance(user);
      bound = allowance.cap;
      // A declared length that cannot fit is refused before a byte is read.
      const declared = Number(req.headers["content-length"]);
      if (declared > allowance.cap + MULTIPART_SLACK) throw attachments.overAllowance(allowance);
      const result = await receive(req, attachments, user, room.data, allowance);
      res.status(201).json(result);
    } catch (err) {
      // An early answer keeps the connection: the rest of the body is read and dropped (up to
      // the cap, then the connection is closed), so a client still sending gets its answer.
      sendError(res, err, log, "upload");
      if (!req.complete) discardRest(req, bound + MULTIPART_SLACK);
    } finally {
      release?.();
    }
  });

  r.get("/api/files/:id/:name", async function download(req: Request, res: Response) {
    try {
      const user = await authenticate(deps.auth, req);
      const id = String(req.params.id);
      if (!UPLOAD_ID_PATTERN.test(id)) throw new ChatError("not_found", "no such file");
      const row = await attachments.find(user, id);
      const thumb = req.query.thumb === "1";
      if (thumb && row.thumb_size == null) throw new ChatError("not_found", "this file has no preview");
      const size = thumb ? row.thumb_size! : row.size;
      const type = thumb ? "image/webp" : row.type;
      const image = type.startsWith("image/");
      const range = parseRange(req.headers.range, size);
      res.setHeader("Accept-Ranges", "bytes");
      if (range === "unsatisfiable") {
        res.setHeader("Content-Range", `bytes */${size}`);
        res.status(416).json({ error: { code: "invalid_payload", message: "the range is outside the file" } });
        return;
      }
      res.setHeader("Content-Type", type);
      res.setHeader("Content-Disposition", contentDisposition(image ? "inline" : "attachment", row.name));
      res.setHeader("X-Content-Type-Options", "nosniff");
      res.setHeader("Content-Security-Policy", image ? "sandbox; default-src 'none'; img-src 'self'" : "sandbox; default-src 'none'");
      res.setHeader("Cache-Control", "private");
      if (range) {
        res.status(206);
        res.setHeader("Content-Range", `bytes ${range.start}-${range.end}/${size}`);
      }
      res.setHeader("Content-Length", range ? range.end - range.start + 1 : size);
      if (req.method === "HEAD" || size === 0) {
        res.end();
        return;
      }
      await pipeline(await attachments.read(row, thumb, range), res);
    } catch (err) {
      if (res.headersSent) {
        res.destroy(); // the body broke off: the client sees a short response, never a wrong one
        return;
      }
      for (const h of ["Content-Type", "Content-Disposition", "Content-Length", "Content-Range", "Accept-Ranges", "Cache-Control"]) res.removeHeader(h);
      res.status(200);
      sendError(res, err, log, "download");
    }
  });
  return r;
}

/** The one `file` part, streamed; any other part, or a second file, refuses the whole request. */
function receive(req: Request, attachments: Attachments, user: string, room: string, allowance: { cap: number; byQuota: boolean }): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // fileSize one past the cap: busboy stops there and the count in chat/attachments.ts refuses it.
      parser = busboy({
        headers: req.headers,
        defParamCharset: "utf8",
        limits: { files: 2, fileSize: allowance.cap + 1, fields: 10, fieldSize: 1024, parts: 12 },
      });
    } catch {
      reject(new ChatError("invalid_payload", "send multipart/form-data with one part named file"));
      return;
    }
    let upload: Promise<UploadResult> | undefined;
    let extra = false;
    parser.on("file", (field, stream, info) => {
      if (field !== "file" || upload) {
        extra = true;
        stream.resume();
        return;
      }
      upload = attachments.upload(user, room, info.filename, stream, allowance);
      // Refused early (type, size): answer now rather than after the rest of the body.
      upload.catch(reject);
    });
    parser.on("error", () => reject(new ChatError("invalid_payload", "the multipart body could not be read")));
    parser.on("close", () => {
      if (!upload) return reject(new ChatError("invalid_payload", "no part named file"));
      upload.then(
        (result) => {
          if (!extra) return resolve(result);
          attachments.discard(result.id);
          reject(new ChatError("invalid_payload", "send exactly one part, named file"));
        },
        () => {},
      );
    });
    // A client gone mid-upload: the part's stream fails, so the upload is removed and its slot freed.
    req.on("close", () => {
      if (!req.complete) parser.destroy(new Error("the client went away during the upload"));
    });
    req.pipe(parser);
  });
}

/** After an early answer: reads and drops what the client still sends, then hangs up past `limit`. */
function discardRest(req: Request, limit: number): void {
  req.unpipe();
  let read = 0;
  req.on("data", (chunk: Buffer) => {
    read += chunk.byteLength;
    if (read > limit) req.socket.destroy();
  });
  req.resume();
}

/** RFC 6266: an ASCII fallback and the exact name as UTF-8 (filename*). */
export function contentDisposition(kind: "inline" | "attachment", name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** One `bytes=` range (a list of several is answered whole, as RFC 9110 allows). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(size - n, 0), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}
