/**
 * Fewer writes per connection (src/realtime/corking.ts): a burst of packets to one socket
 * leaves in a few writes rather than one per frame, a send's ack and the sender's copy of
 * the message in one, and everything arrives complete and in order.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, test } from "node:test";
import { call, closeAll, collect, connect, eventually, sleep } from "../helpers/client.js";
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

/** The server's writes to its TCP sockets (this process's accepted connections) while fn runs. */
async function countServerWrites(fn: () => Promise<void>): Promise<number> {
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
    await fn();
  } finally {
    Object.assign(proto, original);
  }
  return writes;
}

test("a burst of acks and messages to one socket: few writes for many frames, nothing lost or reordered", async () => {
  const s = await connect(node.url, { username: "burst" });
  assert.equal((await call(s, "room:join", { room: "burst" })).ok, true);
  const heard = collect<{ seq: number }>(s, "message:new");

  // Sent together, stored in one or two group commits, answered in the same tick: one
  // write per frame (sixty frames: thirty acks and thirty messages) if flushes were not corked.
  const writes = await countServerWrites(async () => {
    const acks = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(s, "message:send", { room: "burst", body: `m${i}`, clientId: `b${i}` })),
    );
    assert.ok(acks.every((a) => a.ok));
    await sleep(200);
  });
  assert.deepEqual(heard.map((m) => m.seq), Array.from({ length: 30 }, (_, i) => i + 1));
  assert.ok(writes > 0 && writes <= 20, `${writes} server writes for 60 frames`);
});

test("a send's ack and the sender's own copy of the message leave in one write", async () => {
  const s = await connect(node.url, { username: "solo" });
  assert.equal((await call(s, "room:join", { room: "solo" })).ok, true);
  const heard = collect<{ seq: number }>(s, "message:new");
  const writes = await countServerWrites(async () => {
    for (let i = 0; i < 5; i++) {
      // One at a time: each send's answers are the only frames in flight.
      assert.equal((await call(s, "message:send", { room: "solo", body: `m${i}`, clientId: `s${i}` })).ok, true);
      await eventually(() => heard.length === i + 1);
    }
  });
  assert.deepEqual(heard.map((m) => m.seq), [1, 2, 3, 4, 5]);
  assert.equal(writes, 5, `${writes} server writes for 5 acks and 5 messages`);
});
