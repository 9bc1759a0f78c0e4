/**
 * WebSocket flushes are corked (src/realtime/corking.ts): a burst of packets to one
 * socket leaves in a few writes rather than one per frame, and arrives complete and in order.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, test } from "node:test";
import { call, closeAll, connect } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startNode, type RunningNode } from "../helpers/node.js";

let db: TestDatabase;
let node: RunningNode;
before(async () => {
  db = await createTestDatabase("cork");
  node = await startNode({ DATABASE_URL: db.url, EVENT_RATE_LIMIT: "0", RATE_LIMIT_SENDS: "1000" });
});
after(async () => {
  closeAll();
  await node.stop();
  await db.drop();
});

test("a burst of acks and messages to one socket: few writes for many frames, nothing lost or reordered", async () => {
  const s = await connect(node.url, { username: "burst" });
  assert.equal((await call(s, "room:join", { room: "burst" })).ok, true);
  const seqs: number[] = [];
  s.on("message:new", (m: { seq: number }) => seqs.push(m.seq));

  // Count the server's writes to its TCP sockets while the burst is answered: one per
  // frame (sixty frames: thirty acks and thirty messages) if flushes were not corked.
  const proto = net.Socket.prototype as unknown as Record<"_write" | "_writev", (...a: unknown[]) => unknown>;
  const original = { _write: proto._write, _writev: proto._writev };
  let writes = 0;
  for (const name of ["_write", "_writev"] as const) {
    proto[name] = function countingWrite(this: net.Socket & { server?: unknown }, ...args: unknown[]) {
      if (this.server) writes++;
      return original[name].apply(this, args);
    };
  }
  try {
    // Sent together, stored in one or two group commits, answered in the same tick.
    const acks = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(s, "message:send", { room: "burst", body: `m${i}`, clientId: `b${i}` })),
    );
    assert.ok(acks.every((a) => a.ok));
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    Object.assign(proto, original);
  }
  assert.deepEqual(seqs, Array.from({ length: 30 }, (_, i) => i + 1));
  assert.ok(writes > 0 && writes <= 20, `${writes} server writes for 60 frames`);
});
