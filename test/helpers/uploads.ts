/** Uploads over real HTTP (fetch with FormData, or a hand-written chunked multipart body) and small files to upload. */
import http from "node:http";
import zlib from "node:zlib";
import sharp from "sharp";

export interface UploadAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
}

/** `POST /api/rooms/:room/uploads` as the browser client sends it (Content-Length known). */
export async function upload(base: string, room: string, user: string, bytes: Uint8Array, name = "file.bin", auth: "query" | "none" = "query"): Promise<UploadAnswer> {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(bytes)]), name);
  const q = auth === "query" ? `?username=${encodeURIComponent(user)}` : "";
  const res = await fetch(`${base}/api/rooms/${encodeURIComponent(room)}/uploads${q}`, { method: "POST", body: form });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/**
 * The same request chunked, without Content-Length, so that only the server's counting
 * while it streams can refuse it. The server may answer before the body is all sent.
 */
export function uploadChunked(base: string, room: string, user: string, bytes: Uint8Array, name = "file.bin"): Promise<{ status: number; body: { error?: { code: string } } }> {
  const boundary = "----chatclustertest";
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(`${base}/api/rooms/${encodeURIComponent(room)}/uploads?username=${encodeURIComponent(user)}`);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` } });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    (async () => {
      req.write(head);
      for (let i = 0; i < bytes.byteLength; i += 16 * 1024) {
        if (req.destroyed) return;
        if (!req.write(bytes.subarray(i, i + 16 * 1024))) await new Promise((r) => req.once("drain", r));
      }
      req.end(tail);
    })().catch(() => {});
  });
}

export async function pngImage(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 90 } } }).png().toBuffer();
}

/** Printable ASCII text of exactly n bytes (sniffed as text/plain). */
export function text(n: number): Buffer {
  const line = Buffer.from("the quick brown fox jumps over the lazy dog\n");
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = line[i % line.length]!;
  return out;
}

export const pdf = (): Buffer => Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
/** A gzip file: not in the default allow-list. */
export const gzip = (): Buffer => zlib.gzipSync(Buffer.from("hello ".repeat(100)));
