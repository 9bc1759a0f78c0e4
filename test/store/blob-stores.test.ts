/**
 * The two attachment stores behind one interface (src/store/blobs/): PostgreSQL chunks, and
 * S3 through the AWS SDK against a local S3-speaking server (no S3 service runs here): a
 * real HTTP round trip through the SDK and lib-storage, not a mock of either.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { s3Store } from "../../src/store/blobs/s3.js";
import { postgresStore, type BlobStore } from "../../src/store/blobs/store.js";
import { createPgDb, type Db } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrations.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startFakeS3, type FakeS3 } from "../helpers/s3-server.js";

const bytes = (n: number, seed = 7) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
};
async function read(store: BlobStore, key: string, range?: { start: number; end: number }): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of await store.get(key, range)) out.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(out);
}
/** The bytes in pieces of 64 KiB, as an upload arrives; throws after `failAfter` bytes when given. */
async function* pieces(b: Buffer, failAfter?: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += 65536) {
    if (failAfter !== undefined && i >= failAfter) throw new Error("cut off");
    yield b.subarray(i, i + 65536);
  }
}

describe("S3 through the AWS SDK", () => {
  let s3: FakeS3;
  let store: BlobStore;
  before(async () => {
    s3 = await startFakeS3();
    // The SDK's standard credential chain reads these, as a deployment's would.
    process.env.AWS_ACCESS_KEY_ID = "test";
    process.env.AWS_SECRET_ACCESS_KEY = "test-secret";
    store = s3Store({ bucket: "files", region: "us-east-1", endpoint: s3.url, forcePathStyle: true, prefix: "attachments/" });
  });
  after(() => s3.close());

  test("put, get, get a range, delete: under the prefix, in the bucket's path", async () => {
    const b = bytes(300_000);
    assert.equal(await store.put("k1", pieces(b)), b.length);
    assert.deepEqual(s3.objects.get("/files/attachments/k1"), b);
    assert.deepEqual(await read(store, "k1"), b);
    assert.deepEqual(await read(store, "k1", { start: 1000, end: 1999 }), b.subarray(1000, 2000));
    assert.ok(s3.log.some((l) => l.startsWith("GET /files/attachments/k1")));
    await store.delete("k1");
    assert.equal(s3.objects.has("/files/attachments/k1"), false);
    await assert.rejects(read(store, "k1"), /NoSuchKey/);
    await store.delete("k1"); // deleting what is gone is fine
  });

  test("a file over one part goes as a multipart upload, one 5 MiB part at a time", async () => {
    const b = bytes(6 * 1024 * 1024 + 123, 3);
    assert.equal(await store.put("big", pieces(b)), b.length);
    assert.deepEqual(s3.objects.get("/files/attachments/big"), b);
    assert.ok(s3.log.some((l) => /^PUT \/files\/attachments\/big\?.*partNumber=2/.test(l)), s3.log.join("\n"));
    assert.deepEqual(await read(store, "big", { start: 5 * 1024 * 1024 - 10, end: 5 * 1024 * 1024 + 9 }), b.subarray(5 * 1024 * 1024 - 10, 5 * 1024 * 1024 + 10));
  });

  test("a body that fails (too large, wrong type) rejects, and the multipart upload is aborted", async () => {
    await assert.rejects(store.put("cut", pieces(bytes(8 * 1024 * 1024), 6 * 1024 * 1024)), /cut off/);
    assert.equal(s3.objects.has("/files/attachments/cut"), false);
    assert.equal(s3.uploads.size, 0, "no multipart upload left behind");
    await assert.rejects(store.put("early", pieces(bytes(100_000), 65536)), /cut off/);
    assert.equal(s3.objects.has("/files/attachments/early"), false);
  });
});

describe("PostgreSQL chunks", () => {
  let pg: TestDatabase;
  let db: Db;
  before(async () => {
    pg = await createTestDatabase("blobs");
    db = createPgDb(pg.url, 2, () => {});
    await migrate(db);
  });
  after(async () => {
    await db.close();
    await pg.drop();
  });

  test("chunks of the configured size; every range, across chunk boundaries, reads back exactly", async () => {
    const store = postgresStore(db, 1000);
    const b = bytes(4321);
    assert.equal(await store.put("p", pieces(b)), b.length);
    const rows = await db.query<{ n: number; len: number }>("SELECT n, length(data) AS len FROM attachment_chunks WHERE key = 'p' ORDER BY n");
    assert.deepEqual(rows.map((r) => r.len), [1000, 1000, 1000, 1000, 321]);
    assert.deepEqual(await read(store, "p"), b);
    for (const [start, end] of [[0, 0], [999, 1000], [0, 4320], [1500, 3499], [4320, 4320], [2000, 2999]] as const) {
      assert.deepEqual(await read(store, "p", { start, end }), b.subarray(start, end + 1), `${start}-${end}`);
    }
    await store.delete("p");
    assert.equal((await db.query("SELECT 1 FROM attachment_chunks WHERE key = 'p'")).length, 0);
  });
});
