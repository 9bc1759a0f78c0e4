/**
 * File attachments (issue 22) on PostgreSQL and PGlite, over real HTTP and real sockets:
 * uploads and their limits, the link through message:send, messages carrying attachments
 * wherever they appear, downloads with Range, deletes, the sweep, search by name.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../../src/config.js";
import { Attachments, cleanName } from "../../src/chat/attachments.js";
import { sniffType } from "../../src/chat/file-types.js";
import { contentDisposition, parseRange } from "../../src/http/files.js";
import { createLogger } from "../../src/logger.js";
import { createPgDb, type Db } from "../../src/store/db.js";
import { call, closeAll, connect, eventually, waitFor } from "../helpers/client.js";
import { createTestDatabase, queryDb, type TestDatabase } from "../helpers/db.js";
import { startNode, tempDir, type RunningNode } from "../helpers/node.js";
import { startFakeS3 } from "../helpers/s3-server.js";
import { gzip, pdf, pngImage, text, upload, uploadChunked } from "../helpers/uploads.js";
import http from "node:http";
import { SignJWT } from "jose";
import ioV2 from "socket.io-client-v2";

const MAX = 300_000;
let pgDb: TestDatabase;
let srv: RunningNode;
const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => queryDb<T>(pgDb.url, sql, params);
const count = async (table: string) => Number((await q<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
const get = (path: string, user: string, headers: Record<string, string> = {}) =>
  fetch(`${srv.url}${path}${path.includes("?") ? "&" : "?"}username=${user}`, { headers });

before(async () => {
  pgDb = await createTestDatabase("attach");
  srv = await startNode({
    DATABASE_URL: pgDb.url,
    MAX_UPLOAD_BYTES: String(MAX),
    UPLOAD_QUOTA_BYTES_PER_DAY: "1000000",
    RATE_LIMIT_SENDS: "1000",
  });
});
after(async () => {
  closeAll();
  await srv?.stop();
  await pgDb?.drop();
});

async function member(user: string, room: string) {
  const c = await connect(srv.url, { username: user });
  assert.equal((await call(c, "room:join", { room })).ok, true);
  return c;
}

describe("uploads", () => {
  test("a member uploads an image: type from the bytes, size, width and height, a preview", async () => {
    await member("ann", "pics");
    const png = await pngImage(1200, 800);
    const r = await upload(srv.url, "pics", "ann", png, "holiday.jpg");
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.match(r.body.id, /^[A-Za-z0-9_-]{22}$/);
    assert.deepEqual({ ...r.body, id: undefined }, { id: undefined, name: "holiday.jpg", size: png.byteLength, type: "image/png", width: 1200, height: 800 });
    const [row] = await q<{ ready: boolean; thumb_size: number }>("SELECT ready, thumb_size FROM attachments WHERE id = $1", [r.body.id]);
    assert.equal(row!.ready, true);
    assert.ok(row!.thumb_size > 0);
  });

  test("who may upload: not a member 403, another's DM 403, no user 401, no file part 400", async () => {
    await member("ann", "pics");
    assert.equal((await upload(srv.url, "pics", "carl", pdf(), "x.pdf")).status, 403, "never joined pics");
    assert.equal((await upload(srv.url, "dm:bob:dan", "ann", pdf(), "x.pdf")).status, 403);
    const anon = await upload(srv.url, "pics", "ann", pdf(), "x.pdf", "none");
    assert.deepEqual([anon.status, anon.body.error.code], [401, "unauthenticated"]);
    const form = new FormData();
    form.append("other", "x");
    const res = await fetch(`${srv.url}/api/rooms/pics/uploads?username=ann`, { method: "POST", body: form });
    assert.deepEqual([res.status, (await res.json()).error.code], [400, "invalid_payload"]);
    const two = new FormData();
    two.append("file", new Blob([new Uint8Array(pdf())]), "a.pdf");
    two.append("file", new Blob([new Uint8Array(pdf())]), "b.pdf");
    const before = await count("attachments WHERE NOT gone");
    const res2 = await fetch(`${srv.url}/api/rooms/pics/uploads?username=ann`, { method: "POST", body: two });
    assert.deepEqual([res2.status, (await res2.json()).error.code], [400, "invalid_payload"]);
    assert.equal(await count("attachments WHERE NOT gone"), before, "the first part is not kept");
  });

  test("too large: 413, declared or streamed, and nothing is kept", async () => {
    await member("ann", "big");
    const [rows, chunks] = [await count("attachments"), await count("attachment_chunks")];
    const declared = await upload(srv.url, "big", "ann", text(MAX + 100_000), "big.txt");
    assert.deepEqual([declared.status, declared.body.error.code], [413, "too_large"]);
    // No Content-Length: refused by the count while streaming, after some chunks were stored.
    const streamed = await uploadChunked(srv.url, "big", "ann", text(MAX + 1), "big.txt");
    assert.deepEqual([streamed.status, streamed.body.error!.code], [413, "too_large"]);
    assert.deepEqual([await count("attachments"), await count("attachment_chunks")], [rows, chunks]);
    // Exactly the cap passes.
    assert.equal((await uploadChunked(srv.url, "big", "ann", text(MAX), "max.txt")).status, 201);
  });

  test("a type outside UPLOAD_ALLOWED_TYPES: 415 whatever the name says, nothing kept", async () => {
    await member("ann", "pics");
    const rows = await count("attachments");
    const r = await upload(srv.url, "pics", "ann", gzip(), "innocent.txt");
    assert.deepEqual([r.status, r.body.error.code], [415, "unsupported_type"]);
    assert.equal(await count("attachments"), rows);
    const t = await upload(srv.url, "pics", "ann", Buffer.from("héllo wörld, plain UTF-8 text\n"), "notes");
    assert.deepEqual([t.status, t.body.type], [201, "text/plain"]);
  });

  test("the daily quota: 429 with retryAfterMs once a user's bytes of the day are spent", async () => {
    await member("quin", "q");
    for (let i = 0; i < 3; i++) assert.equal((await upload(srv.url, "q", "quin", text(290_000), `f${i}.txt`)).status, 201);
    const over = await upload(srv.url, "q", "quin", text(290_000), "f3.txt");
    assert.equal(over.status, 429);
    assert.equal(over.body.error.code, "rate_limited");
    assert.ok(over.body.error.retryAfterMs > 0);
    const streamed = await uploadChunked(srv.url, "q", "quin", text(200_000), "f4.txt");
    assert.equal(streamed.status, 429);
    // What is left still fits.
    assert.equal((await upload(srv.url, "q", "quin", text(100_000), "f5.txt")).status, 201);
    assert.equal((await upload(srv.url, "q", "quin", text(40_000), "f6.txt")).status, 429, "970,000 + 40,000 > 1,000,000");
  });
});

test("uploads in progress per user and node: over MAX_UPLOADS_IN_FLIGHT_PER_USER, 429 until one ends", async () => {
  const one = await startNode({ DATABASE_URL: pgDb.url, MAX_UPLOADS_IN_FLIGHT_PER_USER: "1" });
  try {
    const c = await connect(one.url, { username: "ivy" });
    await call(c, "room:join", { room: "inflight" });
    // An upload that has sent its part's head and waits.
    const boundary = "----held";
    const held = http.request(`${one.url}/api/rooms/inflight/uploads?username=ivy`, {
      method: "POST",
      headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` },
    });
    const answered = new Promise<number>((resolve, reject) => {
      held.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      held.on("error", reject);
    });
    held.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\n\r\n${"some text ".repeat(2000)}`);
    // Only once it holds the slot: a second upload sent alongside could take the slot first.
    await eventually(async () => (await count("attachments WHERE name = 'slow.txt'")) === 1, 10_000, "the held upload begun");
    assert.equal((await upload(one.url, "inflight", "ivy", pdf(), "x.pdf")).status, 429, "a second upload refused");
    const other = await connect(one.url, { username: "jay" });
    await call(other, "room:join", { room: "inflight" });
    assert.equal((await upload(one.url, "inflight", "jay", pdf(), "y.pdf")).status, 201, "another user is not held");
    held.end(`\r\n--${boundary}--\r\n`);
    assert.equal(await answered, 201);
    assert.equal((await upload(one.url, "inflight", "ivy", pdf(), "z.pdf")).status, 201);
    // A client that goes away mid-upload: nothing kept, its slot given back.
    const gone = http.request(`${one.url}/api/rooms/inflight/uploads?username=ivy`, {
      method: "POST",
      headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` },
    });
    gone.on("error", () => {});
    gone.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="abandoned.txt"\r\n\r\n${"text ".repeat(30_000)}`);
    await eventually(async () => (await count("attachments WHERE name = 'abandoned.txt'")) === 1, 10_000, "the abandoned upload begun");
    gone.destroy();
    await eventually(async () => (await count("attachments WHERE name = 'abandoned.txt'")) === 0, 10_000, "the abandoned upload removed");
    assert.equal((await upload(one.url, "inflight", "ivy", pdf(), "after.pdf")).status, 201);
  } finally {
    closeAll();
    await one.stop();
  }
});

test("ATTACHMENTS_STORE=s3: the bytes go to the bucket through the SDK, come back with Range, and go with the message", async () => {
  const s3 = await startFakeS3();
  process.env.AWS_ACCESS_KEY_ID = "test";
  process.env.AWS_SECRET_ACCESS_KEY = "test-secret";
  const node = await startNode({ DATABASE_URL: pgDb.url, ATTACHMENTS_STORE: "s3", S3_BUCKET: "files", S3_ENDPOINT: s3.url, S3_FORCE_PATH_STYLE: "true" });
  try {
    const ann = await connect(node.url, { username: "ann" });
    await call(ann, "room:join", { room: "bucket" });
    const png = await pngImage(500, 500);
    const up = (await upload(node.url, "bucket", "ann", png, "s3.png")).body;
    assert.deepEqual(s3.objects.get(`/files/attachments/${up.id}`), png);
    assert.ok(s3.objects.has(`/files/attachments/${up.id}/thumb`));
    assert.equal(await count(`attachment_chunks WHERE key LIKE '${up.id}%'`), 0);
    const sent = await call(ann, "message:send", { room: "bucket", body: "", clientId: "s3", attachments: [up.id] });
    const res = await fetch(`${node.url}${sent.message.attachments[0].url}?username=ann`, { headers: { Range: "bytes=0-7" } });
    assert.equal(res.status, 206);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), png.subarray(0, 8));
    const refused = await upload(node.url, "bucket", "ann", gzip(), "no.gz");
    assert.equal(refused.status, 415);
    await call(ann, "message:delete", { room: "bucket", seq: sent.message.seq });
    await eventually(() => s3.objects.size === 0, 10_000, "the bucket emptied");
  } finally {
    closeAll();
    await node.stop();
    await s3.close();
  }
});

describe("messages with attachments", () => {
  test("message:send links uploads; every reader sees them; download with its headers and Range", async () => {
    const ann = await member("ann", "share");
    const bob = await member("bob", "share");
    const png = await pngImage(640, 480);
    const img = (await upload(srv.url, "share", "ann", png, "café photo.png")).body;
    const doc = (await upload(srv.url, "share", "ann", pdf(), "report.pdf")).body;
    const seen = waitFor<{ clientId: string; attachments?: unknown }>(bob, "message:new", (m) => m.clientId === "att1");
    const ack = await call(ann, "message:send", { room: "share", body: "", clientId: "att1", attachments: [img.id, doc.id] });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    const url = `/api/files/${img.id}/caf%C3%A9%20photo.png`;
    assert.deepEqual(ack.message.attachments, [
      { id: img.id, name: "café photo.png", size: png.byteLength, type: "image/png", url, thumbUrl: `${url}?thumb=1`, width: 640, height: 480 },
      { id: doc.id, name: "report.pdf", size: pdf().byteLength, type: "application/pdf", url: `/api/files/${doc.id}/report.pdf` },
    ]);
    assert.deepEqual((await seen).attachments, ack.message.attachments);
    const hist = await call(bob, "room:history", { room: "share" });
    assert.deepEqual(hist.messages.at(-1).attachments, ack.message.attachments);
    const since = await call(bob, "room:join", { room: "share", since: 0 });
    assert.deepEqual(since.messages.at(-1).attachments, ack.message.attachments);
    const rest = await (await get("/api/rooms/share/messages", "bob")).json();
    assert.deepEqual(rest.messages.at(-1).attachments, ack.message.attachments);
    // A retry of the clientId gets the stored message, attachments included.
    const retry = await call(ann, "message:send", { room: "share", body: "", clientId: "att1", attachments: [img.id, doc.id] });
    assert.deepEqual(retry.message, ack.message);
    // A reply with a file: in thread:history, and its root's summary change carries the root's own files.
    const up3 = (await upload(srv.url, "share", "bob", pdf(), "reply.pdf")).body;
    const rootChange = waitFor<{ seq: number; message: { attachments?: unknown } }>(ann, "message:updated", (u) => u.seq === ack.message.seq);
    const reply = await call(bob, "message:send", { room: "share", body: "", clientId: "r1", threadOf: ack.message.seq, attachments: [up3.id] });
    assert.equal(reply.message.attachments[0].name, "reply.pdf");
    assert.deepEqual((await rootChange).message.attachments, ack.message.attachments);
    const thread = await call(ann, "thread:history", { room: "share", root: ack.message.seq });
    assert.deepEqual(thread.root.attachments, ack.message.attachments);
    assert.deepEqual(thread.messages[0].attachments, reply.message.attachments);

    const res = await get(url, "bob");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.equal(res.headers.get("content-disposition"), `inline; filename="caf_ photo.png"; filename*=UTF-8''caf%C3%A9%20photo.png`);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("content-security-policy"), "sandbox; default-src 'none'; img-src 'self'");
    assert.equal(res.headers.get("accept-ranges"), "bytes");
    assert.equal(res.headers.get("cache-control"), "private");
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), png);
    const pdfRes = await get(`/api/files/${doc.id}/report.pdf`, "bob");
    assert.equal(pdfRes.headers.get("content-disposition"), `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    assert.equal(pdfRes.headers.get("content-security-policy"), "sandbox; default-src 'none'");
    const thumb = await get(`${url}?thumb=1`, "bob");
    assert.equal(thumb.headers.get("content-type"), "image/webp");
    assert.ok(Number(thumb.headers.get("content-length")) > 0);

    const part = await get(url, "bob", { Range: "bytes=100-199" });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 100-199/${png.byteLength}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), png.subarray(100, 200));
    const suffix = await get(url, "bob", { Range: "bytes=-10" });
    assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), png.subarray(png.byteLength - 10));
    const outside = await get(url, "bob", { Range: `bytes=${png.byteLength}-` });
    assert.equal(outside.status, 416);
    assert.equal(outside.headers.get("content-range"), `bytes */${png.byteLength}`);
    await outside.arrayBuffer();

    assert.equal((await get(url, "carl")).status, 403, "not a member of share");
    assert.equal((await get(`/api/files/${"x".repeat(22)}/a.png`, "bob")).status, 404);
  });

  test("refused links: another's upload, another room's, one already sent, too many; an empty send", async () => {
    const ann = await member("ann", "links");
    const bob = await member("bob", "links");
    await member("ann", "elsewhere");
    const mine = (await upload(srv.url, "links", "ann", pdf(), "a.pdf")).body;
    const other = (await upload(srv.url, "elsewhere", "ann", pdf(), "b.pdf")).body;
    const code = async (s: typeof ann, p: object) => (await call(s, "message:send", { room: "links", body: "x", ...p })).error?.code;
    assert.equal(await code(bob, { clientId: "b1", attachments: [mine.id] }), "not_found");
    assert.equal(await code(ann, { clientId: "a1", attachments: [other.id] }), "not_found");
    assert.equal(await code(ann, { clientId: "a2", attachments: [mine.id, other.id] }), "not_found", "all or none");
    assert.equal((await call(ann, "message:send", { room: "links", body: "ok", clientId: "a3", attachments: [mine.id] })).ok, true);
    assert.equal(await code(ann, { clientId: "a4", attachments: [mine.id] }), "not_found", "already sent");
    assert.equal(await code(ann, { clientId: "a5", attachments: Array.from({ length: 11 }, (_, i) => `${i}`.padStart(22, "x")) }), "invalid_payload");
    assert.equal((await call(ann, "message:send", { room: "links", body: "  ", clientId: "a6" })).error.code, "invalid_payload");
  });

  test("deleting a message deletes its files; search finds a message by an attachment's name", async () => {
    const ann = await member("ann", "gone");
    const up = (await upload(srv.url, "gone", "ann", pdf(), "quarterly-zebrafigures.pdf")).body;
    const sent = await call(ann, "message:send", { room: "gone", body: "see attached", clientId: "g1", attachments: [up.id] });
    const found = await call(ann, "messages:search", { query: "zebrafig" });
    assert.deepEqual(found.messages.map((m: { seq: number }) => m.seq), [sent.message.seq]);
    assert.equal((await get(`/api/files/${up.id}/x.pdf`, "ann")).status, 200);
    assert.equal((await call(ann, "message:delete", { room: "gone", seq: sent.message.seq })).ok, true);
    assert.equal((await get(`/api/files/${up.id}/x.pdf`, "ann")).status, 404);
    const hist = await call(ann, "room:history", { room: "gone" });
    assert.equal(hist.messages.at(-1).attachments, undefined);
    assert.deepEqual((await call(ann, "messages:search", { query: "zebrafig" })).messages, []);
    await eventually(async () => (await count(`attachment_chunks WHERE key LIKE '${up.id}%'`)) === 0 && (await count(`attachments WHERE id = '${up.id}'`)) === 0);
  });

  test("the sweep: unlinked uploads older than an hour go, linked ones stay; every node may run it at once", async () => {
    const ann = await member("ann", "sweep");
    const old = (await upload(srv.url, "sweep", "ann", pdf(), "old.pdf")).body;
    const fresh = (await upload(srv.url, "sweep", "ann", pdf(), "fresh.pdf")).body;
    const kept = (await upload(srv.url, "sweep", "ann", pdf(), "kept.pdf")).body;
    await call(ann, "message:send", { room: "sweep", body: "kept", clientId: "s1", attachments: [kept.id] });
    // Claimed by a send whose message never came (its node died before the append).
    const orphan = (await upload(srv.url, "sweep", "ann", pdf(), "orphan.pdf")).body;
    await q("UPDATE attachments SET client_id = 'never', claimed_at = now() - interval '2 hours' WHERE id = $1", [orphan.id]);
    await q("UPDATE attachments SET created_at = now() - interval '61 minutes' WHERE id = ANY($1)", [[old.id, kept.id, orphan.id]]);
    // A message that expired with MESSAGE_RETENTION_DAYS (its room's first_seq moved past it).
    const expiredUp = (await upload(srv.url, "sweep", "ann", pdf(), "expired.pdf")).body;
    const expiredMsg = await call(ann, "message:send", { room: "sweep", body: "old news", clientId: "s2", attachments: [expiredUp.id] });
    await q("UPDATE attachments SET created_at = now() - interval '40 days' WHERE id = $1", [expiredUp.id]);
    await q("UPDATE rooms SET first_seq = $2 WHERE name = $1", ["sweep", expiredMsg.message.seq + 1]);
    const log = createLogger("silent", "sweeper");
    const config = loadConfig({ DATABASE_URL: pgDb.url }).attachments;
    const dbs: Db[] = [createPgDb(pgDb.url, 2, () => {}), createPgDb(pgDb.url, 2, () => {})];
    try {
      const sweepers = dbs.map((db) => new Attachments({ config, db: () => db, log, retentionDays: 30 }));
      await Promise.all(sweepers.map((s) => s.sweep()));
    } finally {
      for (const db of dbs) await db.close();
    }
    const left = (await q<{ id: string }>("SELECT id FROM attachments WHERE id = ANY($1)", [[old.id, fresh.id, kept.id, orphan.id, expiredUp.id]])).map((r) => r.id);
    assert.deepEqual(left.sort(), [fresh.id, kept.id].sort());
    assert.equal(await count(`attachment_chunks WHERE key IN ('${old.id}', '${orphan.id}')`), 0);
    assert.equal((await get(`/api/files/${kept.id}/kept.pdf`, "ann")).status, 200);
  });
});

test("jwt mode: uploads and downloads need the bearer token; ?username= names nobody", async () => {
  const secret = "an-hs256-secret-of-at-least-32-characters";
  const node = await startNode({ DATABASE_URL: pgDb.url, AUTH_MODE: "jwt", JWT_SECRET: secret });
  try {
    const token = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("kim").setExpirationTime("10m").sign(new TextEncoder().encode(secret));
    const kim = await connect(node.url, { token });
    await call(kim, "room:join", { room: "jwt" });
    const form = () => {
      const f = new FormData();
      f.append("file", new Blob([new Uint8Array(pdf())]), "j.pdf");
      return f;
    };
    const anon = await fetch(`${node.url}/api/rooms/jwt/uploads?username=kim`, { method: "POST", body: form() });
    assert.equal(anon.status, 401);
    await anon.arrayBuffer();
    const auth = { Authorization: `Bearer ${token}` };
    const up = await fetch(`${node.url}/api/rooms/jwt/uploads`, { method: "POST", body: form(), headers: auth });
    assert.equal(up.status, 201);
    const { id } = (await up.json()) as { id: string };
    const sent = await call(kim, "message:send", { room: "jwt", body: "", clientId: "j1", attachments: [id] });
    const url = `${node.url}${sent.message.attachments[0].url}`;
    assert.equal((await fetch(`${url}?username=kim`)).status, 401);
    const file = await fetch(url, { headers: auth });
    assert.equal(file.status, 200);
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), pdf());
  } finally {
    closeAll();
    await node.stop();
  }
});

test("on PGlite: upload, link, download with Range, delete", async () => {
  const lite = await startNode({ DATA_DIR: tempDir("pglite-attach") });
  try {
    const ann = await connect(lite.url, { username: "ann" });
    await call(ann, "room:join", { room: "lite" });
    const png = await pngImage(300, 200);
    const up = await upload(lite.url, "lite", "ann", png, "p.png");
    assert.deepEqual([up.status, up.body.width, up.body.height], [201, 300, 200]);
    const big = await upload(lite.url, "lite", "ann", text(600_000), "big.txt");
    assert.equal(big.status, 201, "three chunks");
    const sent = await call(ann, "message:send", { room: "lite", body: "hi", clientId: "l1", attachments: [up.body.id, big.body.id] });
    assert.equal(sent.message.attachments.length, 2);
    const res = await fetch(`${lite.url}${sent.message.attachments[1].url}?username=ann`, { headers: { Range: "bytes=262100-262200" } });
    assert.equal(res.status, 206);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), text(600_000).subarray(262100, 262201), "across a chunk boundary");
    const whole = await fetch(`${lite.url}${sent.message.attachments[0].url}?username=ann`);
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), png);
    assert.equal((await call(ann, "messages:search", { query: "big.txt" })).messages.length, 1);
    // The default cap, 10 MiB: exactly it passes, a byte more does not.
    const tenMiB = text(10 * 1024 * 1024);
    const full = await upload(lite.url, "lite", "ann", tenMiB, "ten.txt");
    assert.equal(full.status, 201);
    const tail = await fetch(`${lite.url}/api/files/${full.body.id}/ten.txt?username=ann`, { headers: { Range: "bytes=-5" } });
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), tenMiB.subarray(tenMiB.length - 5));
    assert.equal((await uploadChunked(lite.url, "lite", "ann", text(10 * 1024 * 1024 + 1), "more.txt")).status, 413);
    await call(ann, "message:delete", { room: "lite", seq: sent.message.seq });
    assert.equal((await fetch(`${lite.url}${sent.message.attachments[0].url}?username=ann`)).status, 404);
  } finally {
    closeAll();
    await lite.stop();
  }
});

test("the Flask template's clients see a message's files by name after its body", async () => {
  const ann = await member("ann", "tmpl");
  const up = (await upload(srv.url, "tmpl", "ann", pdf(), "<plan> & co.pdf")).body;
  await call(ann, "message:send", { room: "tmpl", body: "", clientId: "t1", attachments: [up.id] });
  const legacy = ioV2(srv.url, { transports: ["websocket"], forceNew: true, reconnection: false });
  try {
    const rejoin = new Promise<unknown>((r) => legacy.once("rejoin_room", r));
    legacy.emit("joined_room", { username: "tina", room: "tmpl" });
    assert.deepEqual(await rejoin, [[1, "ann", "[file: &lt;plan&gt; &amp; co.pdf]"]]);
    const line = new Promise<{ message: string }>((r) => legacy.once("recieve_message", r));
    const up2 = (await upload(srv.url, "tmpl", "ann", pdf(), "b.pdf")).body;
    await call(ann, "message:send", { room: "tmpl", body: "see", clientId: "t2", attachments: [up2.id] });
    assert.equal((await line).message, "see [file: b.pdf]");
  } finally {
    legacy.close();
  }
});

describe("names, ranges, types", () => {
  test("names keep their text, lose any path and control characters", () => {
    assert.equal(cleanName("C:\\Users\\ann\\report.pdf"), "report.pdf");
    assert.equal(cleanName("../../etc/passwd"), "passwd");
    assert.equal(cleanName("a\u0000b\u202ec.txt"), "abc.txt");
    assert.equal(cleanName(".."), "file");
    assert.equal(cleanName(undefined), "file");
    assert.equal(cleanName("😀".repeat(300)), "😀".repeat(200));
  });

  test("Content-Disposition: an ASCII fallback and the exact name (RFC 6266)", () => {
    assert.equal(contentDisposition("attachment", 'a "b".pdf'), `attachment; filename="a _b_.pdf"; filename*=UTF-8''a%20%22b%22.pdf`);
    assert.equal(contentDisposition("inline", "日本's (1).png"), `inline; filename="__'s (1).png"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%27s%20%281%29.png`);
  });

  test("one byte range, suffix and open ranges; outside the file is unsatisfiable; others are ignored", () => {
    assert.deepEqual(parseRange("bytes=0-9", 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange("bytes=90-", 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange("bytes=95-200", 100), { start: 95, end: 99 });
    assert.deepEqual(parseRange("bytes=-10", 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange("bytes=-1000", 100), { start: 0, end: 99 });
    assert.equal(parseRange("bytes=100-", 100), "unsatisfiable");
    assert.equal(parseRange("bytes=5-4", 100), "unsatisfiable");
    assert.equal(parseRange("bytes=-0", 100), "unsatisfiable");
    assert.equal(parseRange("bytes=0-1,5-6", 100), undefined);
    assert.equal(parseRange("items=0-1", 100), undefined);
    assert.equal(parseRange(undefined, 100), undefined);
  });

  test("types come from the bytes", async () => {
    assert.equal(await sniffType(await pngImage(2, 2)), "image/png");
    assert.equal(await sniffType(pdf()), "application/pdf");
    assert.equal(await sniffType(gzip()), "application/gzip");
    assert.equal(await sniffType(Buffer.from("plain text, ünïcode\n")), "text/plain");
    // A sample cut inside a character is still text.
    assert.equal(await sniffType(Buffer.from("aé").subarray(0, 2)), "text/plain");
    assert.equal(await sniffType(Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x00])), "application/octet-stream");
    // An SVG is never an image here (it carries scripts): text, or XML with a declaration; neither is served inline.
    for (const svg of ["<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>"]) {
      assert.ok(!(await sniffType(Buffer.from(svg))).startsWith("image/"), svg);
    }
  });
});
