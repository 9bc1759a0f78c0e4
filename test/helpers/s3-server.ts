/**
 * A small S3-compatible HTTP server for tests: path-style objects in memory, PUT, GET with
 * Range, DELETE, and multipart uploads (create, part, complete, abort). It speaks just
 * enough of the API for the AWS SDK's own client and lib-storage to run against it over
 * real HTTP; signatures are not checked.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeS3 {
  url: string;
  objects: Map<string, Buffer>;
  /** Multipart uploads not completed or aborted yet. */
  uploads: Map<string, Map<number, Buffer>>;
  /** Requests seen, as "METHOD path?query". */
  log: string[];
  close(): Promise<void>;
}

export async function startFakeS3(): Promise<FakeS3> {
  const objects = new Map<string, Buffer>();
  const uploads = new Map<string, Map<number, Buffer>>();
  const log: string[] = [];
  let nextUpload = 1;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const key = decodeURIComponent(url.pathname);
    const q = url.searchParams;
    log.push(`${req.method} ${url.pathname}${url.search}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const xml = (status: number, text: string) => {
      res.writeHead(status, { "Content-Type": "application/xml" });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${text}`);
    };
    if (req.method === "POST" && q.has("uploads")) {
      const id = `up${nextUpload++}`;
      uploads.set(id, new Map());
      return xml(200, `<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
    }
    if (req.method === "PUT" && q.has("uploadId")) {
      const parts = uploads.get(q.get("uploadId")!);
      if (!parts) return xml(404, "<Error><Code>NoSuchUpload</Code></Error>");
      parts.set(Number(q.get("partNumber")), body);
      res.writeHead(200, { ETag: `"part${q.get("partNumber")}"` });
      return res.end();
    }
    if (req.method === "POST" && q.has("uploadId")) {
      const parts = uploads.get(q.get("uploadId")!);
      if (!parts) return xml(404, "<Error><Code>NoSuchUpload</Code></Error>");
      objects.set(key, Buffer.concat([...parts.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1])));
      uploads.delete(q.get("uploadId")!);
      return xml(200, `<CompleteMultipartUploadResult><Key>${key}</Key><ETag>"done"</ETag></CompleteMultipartUploadResult>`);
    }
    if (req.method === "DELETE" && q.has("uploadId")) {
      uploads.delete(q.get("uploadId")!);
      res.writeHead(204);
      return res.end();
    }
    if (req.method === "PUT") {
      objects.set(key, body);
      res.writeHead(200, { ETag: '"whole"' });
      return res.end();
    }
    if (req.method === "GET") {
      const obj = objects.get(key);
      if (!obj) return xml(404, `<Error><Code>NoSuchKey</Code><Message>none</Message><Key>${key}</Key></Error>`);
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
      if (m) {
        const [start, end] = [Number(m[1]), Math.min(Number(m[2]), obj.length - 1)];
        res.writeHead(206, { "Content-Length": end - start + 1, "Content-Range": `bytes ${start}-${end}/${obj.length}` });
        return res.end(obj.subarray(start, end + 1));
      }
      res.writeHead(200, { "Content-Length": obj.length });
      return res.end(obj);
    }
    if (req.method === "DELETE") {
      objects.delete(key);
      res.writeHead(204);
      return res.end();
    }
    xml(400, "<Error><Code>NotImplemented</Code></Error>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    uploads,
    log,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
