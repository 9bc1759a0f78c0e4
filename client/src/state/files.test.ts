import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Credentials } from "./chat.js";
import { FileApi, FileError, fileErrorText, ObjectUrls } from "./files.js";

/** A real HTTP server that answers like the files API: 200 to good auth, else 401/403. */
let server: http.Server;
let base: string;
const seen: { url: string; auth?: string }[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? "", auth: req.headers.authorization });
    const u = new URL(req.url ?? "/", "http://x");
    const user = u.searchParams.get("username") ?? (req.headers.authorization ?? "").replace(/^Bearer /, "");
    if (!user || user === "stale") {
      res.writeHead(401, { "Content-Type": "application/json" }).end(JSON.stringify({ error: { code: "unauthenticated", message: "no" } }));
    } else if (user !== "alice" && user !== "fresh") {
      res.writeHead(403, { "Content-Type": "application/json" }).end(JSON.stringify({ error: { code: "forbidden", message: "not a member" } }));
    } else {
      res.writeHead(200, { "Content-Type": "image/png" }).end(Buffer.from([1, 2, 3, user.length]));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/chat`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

describe("FileApi", () => {
  test("open mode names the user in the query, under the base's path", async () => {
    const api = new FileApi({ base, credentials: () => ({ username: "alice" }) });
    const blob = await api.blob("/api/files/f1/a%20b.png?thumb=1");
    assert.deepEqual([...new Uint8Array(await blob.arrayBuffer())], [1, 2, 3, 5]);
    assert.equal(seen.at(-1)!.url, "/chat/api/files/f1/a%20b.png?thumb=1&username=alice");
    assert.equal(api.uploadPath("dm:alice:bob"), "/api/rooms/dm%3Aalice%3Abob/uploads");
  });

  test("jwt mode sends a bearer token, and after a 401 asks the page once for a fresh one", async () => {
    let cred: Credentials = { token: "stale" };
    let asked = 0;
    const api = new FileApi({ base, credentials: () => cred, freshToken: async () => (asked++, "fresh") });
    const blob = await api.blob("/api/files/f1/a.png");
    assert.equal(blob.size, 4);
    assert.equal(asked, 1);
    assert.deepEqual(
      seen.slice(-2).map((s) => s.auth),
      ["Bearer stale", "Bearer fresh"],
    );
    await api.blob("/api/files/f1/a.png");
    assert.equal(seen.at(-1)!.auth, "Bearer fresh", "the fresh token is kept");
    cred = { token: "alice" }; // the client renewed its own: that one wins
    await api.blob("/api/files/f1/a.png");
    assert.equal(seen.at(-1)!.auth, "Bearer alice");
  });

  test("a refusal is a FileError with the status and the code, said plainly", async () => {
    const api = new FileApi({ base, credentials: () => ({ username: "mallory" }) });
    const err = await api.blob("/api/files/f1/a.png").catch((e: unknown) => e);
    assert.ok(err instanceof FileError);
    assert.equal(err.status, 403);
    assert.equal(err.code, "forbidden");
    assert.equal(fileErrorText(err), "You may not open this file.");
    const noAnswer = new FileApi({ base: "http://127.0.0.1:1", credentials: () => ({ username: "alice" }) });
    const down = await noAnswer.blob("/api/files/x/y").catch((e: unknown) => e);
    assert.equal((down as FileError).status, 0);
    assert.match(fileErrorText(down), /no connection/);
  });
});

describe("ObjectUrls", () => {
  test("one object URL per file however many rows show it, revoked when the last goes", async () => {
    const loads: string[] = [];
    const revoked: string[] = [];
    let n = 0;
    const urls = new ObjectUrls(
      async (p) => (loads.push(p), new Blob(["x"])),
      () => `blob:${++n}`,
      (u) => revoked.push(u),
    );
    const [a, b] = await Promise.all([urls.acquire("/f/1"), urls.acquire("/f/1")]);
    assert.equal(a, "blob:1");
    assert.equal(b, "blob:1");
    assert.deepEqual(loads, ["/f/1"]);
    urls.release("/f/1");
    assert.deepEqual(revoked, []);
    urls.release("/f/1");
    assert.deepEqual(revoked, ["blob:1"]);
    assert.equal(urls.size, 0);
  });

  test("released while loading: revoked as soon as it arrives; a failed load is asked again next time", async () => {
    const revoked: string[] = [];
    let fail = true;
    let n = 0;
    const urls = new ObjectUrls(
      async () => {
        if (fail) throw new FileError(403);
        return new Blob(["x"]);
      },
      () => `blob:${++n}`,
      (u) => revoked.push(u),
    );
    await assert.rejects(urls.acquire("/f/2"), FileError);
    fail = false;
    const pending = urls.acquire("/f/2");
    urls.release("/f/2");
    assert.equal(await pending, "blob:1");
    assert.deepEqual(revoked, ["blob:1"]);
    assert.equal(urls.size, 0);
  });
});
