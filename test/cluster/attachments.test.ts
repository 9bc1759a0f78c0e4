/**
 * Attachments across two nodes on one PostgreSQL and Redis: a file uploaded through node A
 * is linked by a send on A, reaches a reader on node B with the message, and is served by
 * B (the bytes live in the database, not on A); a delete on B removes it for A too; the
 * quota holds across the nodes.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, test } from "node:test";
import { call, closeAll, connect, waitFor } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, startNodes, stopNodes, uniquePrefix, type RunningNode } from "../helpers/node.js";
import { pngImage, text, upload } from "../helpers/uploads.js";

let db: TestDatabase;
const nodes: RunningNode[] = [];

before(async () => {
  db = await createTestDatabase("attach_cluster");
  await startNodes(nodes, clusterEnv(db.url, uniquePrefix("attach"), { UPLOAD_QUOTA_BYTES_PER_DAY: "250000" }), ["att-a", "att-b"]);
});
after(() => stopNodes(nodes, db));
afterEach(() => closeAll());

test("uploaded and sent on node A, received and downloaded on node B, deleted on B", async () => {
  const [a, b] = [nodes[0]!.url, nodes[1]!.url];
  const ann = await connect(a, { username: "ann" });
  const bob = await connect(b, { username: "bob" });
  for (const c of [ann, bob]) assert.equal((await call(c, "room:join", { room: "two" })).ok, true);
  const png = await pngImage(900, 600);
  const up = await upload(a, "two", "ann", png, "chart.png");
  assert.equal(up.status, 201);
  const arrived = waitFor<{ clientId: string; attachments?: { url: string; thumbUrl?: string }[] }>(bob, "message:new", (m) => m.clientId === "c1");
  const sent = await call(ann, "message:send", { room: "two", body: "the chart", clientId: "c1", attachments: [up.body.id] });
  assert.equal(sent.ok, true);
  const [att] = (await arrived).attachments!;
  const res = await fetch(`${b}${att!.url}?username=bob`, { headers: { Range: "bytes=10-19" } });
  assert.equal(res.status, 206);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), png.subarray(10, 20));
  const thumb = await fetch(`${b}${att!.thumbUrl}&username=bob`);
  assert.equal(thumb.status, 200);
  assert.equal(thumb.headers.get("content-type"), "image/webp");
  await thumb.arrayBuffer();
  // Not a member of the room, on either node.
  assert.equal((await fetch(`${b}${att!.url}?username=carl`)).status, 403);

  assert.equal((await call(ann, "message:delete", { room: "two", seq: sent.message.seq })).ok, true);
  assert.equal((await fetch(`${b}${att!.url}?username=bob`)).status, 404);
  assert.equal((await fetch(`${a}${att!.url}?username=ann`)).status, 404);
});

test("the daily quota is the user's across the cluster, not per node", async () => {
  const [a, b] = [nodes[0]!.url, nodes[1]!.url];
  const quin = await connect(a, { username: "quin" });
  assert.equal((await call(quin, "room:join", { room: "quota" })).ok, true);
  assert.equal((await upload(a, "quota", "quin", text(200_000), "one.txt")).status, 201);
  const second = await upload(b, "quota", "quin", text(100_000), "two.txt");
  assert.deepEqual([second.status, second.body.error.code], [429, "rate_limited"]);
});
