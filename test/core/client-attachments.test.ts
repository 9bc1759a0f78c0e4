/**
 * The browser client's attachment state (client/src/state/uploads.ts, files.ts, room.ts's
 * outbox) driven from Node against a real server: the server's refusals become the words
 * the composer shows (too large with the limit, type not allowed, not a member, quota with
 * its wait), uploaded files go out with a message whose body may be empty, and the files
 * come back through the authenticated file API with the same bytes.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { attachmentsOf } from "../../client/src/state/attachments.js";
import { ChatClient } from "../../client/src/state/chat.js";
import { FileApi, FileError } from "../../client/src/state/files.js";
import { Uploads, type UploadOutcome, type UploadTransport } from "../../client/src/state/uploads.js";
import { call, closeAll, connect, eventually } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startNode, type RunningNode } from "../helpers/node.js";
import { gzip, pngImage } from "../helpers/uploads.js";

let db: TestDatabase;
let node: RunningNode;
const clients: ChatClient[] = [];
before(async () => {
  db = await createTestDatabase("clattach");
  node = await startNode({ DATABASE_URL: db.url, MAX_UPLOAD_BYTES: "50000", UPLOAD_QUOTA_BYTES_PER_DAY: "120000", RATE_LIMIT_SENDS: "10000" });
});
after(async () => {
  for (const c of clients) c.stop();
  closeAll();
  await node.stop();
  await db.drop();
});

/** The browser's transport without XMLHttpRequest: the same request through fetch, no progress. */
function fetchTransport(api: FileApi): UploadTransport {
  return {
    async upload(room, file, _progress, signal): Promise<UploadOutcome> {
      const form = new FormData();
      form.append("file", file, file.name);
      const { url, headers } = api.request(api.uploadPath(room));
      const res = await fetch(url, { method: "POST", body: form, headers, signal });
      const body = (await res.json()) as Record<string, unknown> & { error?: Record<string, unknown> };
      return res.status === 201 ? { ok: true, file: body as never } : { ok: false, failure: { ...body.error, status: res.status } };
    },
  };
}

function kit(user: string) {
  const api = new FileApi({ base: node.url, credentials: () => ({ username: user }) });
  return { api, uploads: new Uploads({ transport: fetchTransport(api) }) };
}

const settled = (u: Uploads, room: string) => eventually(() => !u.busy(room), 10_000, "uploads settled");
const file = (bytes: Uint8Array, name: string) => new File([new Uint8Array(bytes)], name);

test("refusals from a real server, in the composer's words", async () => {
  const ann = await connect(node.url, { username: "ann" });
  assert.equal((await call(ann, "room:join", { room: "secret" })).ok, true);
  const bob = await connect(node.url, { username: "bob" });
  assert.equal((await call(bob, "room:join", { room: "open" })).ok, true);

  const { uploads } = kit("bob");
  uploads.add("open", [file(new Uint8Array(60_000), "big.bin"), file(gzip(), "notes.txt")]);
  uploads.add("secret", [file(await pngImage(8, 8), "cat.png")]);
  await settled(uploads, "open");
  await settled(uploads, "secret");
  assert.deepEqual(
    uploads.list("open").map((u) => [u.status, u.error]),
    [
      ["failed", "big.bin is too large (58.6 KB): the limit is 48.8 KB."],
      ["failed", "notes.txt: this type of file is not allowed here."],
    ],
  );
  assert.equal(uploads.maxBytes, 50_000, "the limit is learnt from the 413");
  assert.deepEqual(
    uploads.list("secret").map((u) => u.error),
    ["You may not share files in this room."],
  );

  // The daily quota: 120 kB, spent by three files of 45 kB; the third is refused with a wait.
  const carl = await connect(node.url, { username: "carl" });
  assert.equal((await call(carl, "room:join", { room: "open" })).ok, true);
  const c = kit("carl");
  const chunk = () => file(new Uint8Array(45_000).fill(7), "part.bin");
  for (let i = 0; i < 3; i++) {
    c.uploads.add("open", [chunk()]);
    await settled(c.uploads, "open");
  }
  const third = c.uploads.list("open")[2]!;
  assert.equal(third.status, "failed");
  assert.match(third.error!, /^Your daily upload allowance is used up: try again in (\d+ h( \d+ min)?|\d+ min|\d+ s)\.$/);
  assert.equal(third.retryable, true);
});

test("files go out with a message (an empty body too) and come back with the same bytes", async () => {
  const dee = new ChatClient({ url: node.url, credentials: { username: "dee" }, socketOptions: { transports: ["websocket"] } });
  clients.push(dee);
  dee.start();
  await eventually(() => dee.conn === "connected", 5000, "dee connected");
  assert.equal(await dee.openRoom("shared"), undefined);
  const eve = await connect(node.url, { username: "eve" });
  assert.equal((await call(eve, "room:join", { room: "shared" })).ok, true);

  const { api, uploads } = kit("dee");
  const png = new Uint8Array(await pngImage(16, 12));
  const text = new TextEncoder().encode("plain words\n");
  uploads.add("shared", [file(png, "dot.png"), file(text, "readme.txt")]);
  await settled(uploads, "shared");
  assert.deepEqual(
    uploads.list("shared").map((u) => u.status),
    ["done", "done"],
  );
  assert.ok(dee.send("shared", "", undefined, uploads.take("shared")), "a message of files alone is sent");
  const room = dee.rooms.get("shared")!;
  await eventually(() => room.log.outgoing().length === 0 && room.log.messages().length === 1, 5000, "stored");
  const [m] = room.log.messages();
  assert.equal(m!.body, "");
  const files = attachmentsOf(m!);
  assert.deepEqual(
    files.map((f) => [f.name, f.type, f.thumbUrl !== undefined]),
    [
      ["dot.png", "image/png", true],
      ["readme.txt", "text/plain", false],
    ],
  );
  assert.deepEqual(new Uint8Array(await (await api.blob(files[0]!.url)).arrayBuffer()), png);
  assert.deepEqual(new Uint8Array(await (await api.blob(files[1]!.url)).arrayBuffer()), text);
  assert.ok((await api.blob(files[0]!.thumbUrl!)).size > 0);

  // Someone outside the room is refused, by status and in words.
  const mallory = new FileApi({ base: node.url, credentials: () => ({ username: "mallory" }) });
  const err = await mallory.blob(files[0]!.url).catch((e: unknown) => e);
  assert.ok(err instanceof FileError);
  assert.equal(err.status, 403);

  // An id already linked cannot be sent again: the message fails in the outbox, not silently.
  dee.send("shared", "again", undefined, [{ id: files[0]!.id, name: "dot.png", size: png.length, type: "image/png" }]);
  await eventually(() => room.log.outgoing()[0]?.status === "failed", 5000, "refused");
  assert.equal(room.log.outgoing()[0]!.error?.code, "not_found");
});
