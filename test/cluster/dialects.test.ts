/**
 * What a message costs Redis per dialect: in open mode each broadcast is published for
 * v1 and for the template's (legacy) room; in jwt mode, where the template's events do not
 * exist, only for v1. Observed on the sharded adapter's own Redis channels.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import { SignJWT } from "jose";
import { call, closeAll, connect } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, REDIS_URL, startNode, uniquePrefix } from "../helpers/node.js";

const SECRET = "dialects-test-secret-of-at-least-32-chars";
let db: TestDatabase;
before(async () => {
  db = await createTestDatabase("dialects");
});
after(async () => {
  closeAll();
  await db.drop();
});

/** Counts what the node publishes on the room's v1 and legacy channels while `act` runs. */
async function publishedFor(prefix: string, room: string, act: () => Promise<void>): Promise<{ v1: number; legacy: number }> {
  const sub = new Redis(REDIS_URL);
  const counts = { v1: 0, legacy: 0 };
  const channel = (r: string) => `${prefix}#io#/#${r}#`;
  sub.on("smessageBuffer", (ch: Buffer) => {
    if (ch.toString() === channel(`r:${room}`)) counts.v1++;
    if (ch.toString() === channel(`l:${room}`)) counts.legacy++;
  });
  await sub.call("SSUBSCRIBE", channel(`r:${room}`), channel(`l:${room}`));
  try {
    await act();
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    sub.disconnect();
  }
  return counts;
}

for (const mode of ["open", "jwt"] as const) {
  test(`${mode} mode: a message and a typing event are published ${mode === "open" ? "for both dialects" : "for v1 only"}`, async () => {
    const prefix = uniquePrefix(`dialects-${mode}`);
    const env = clusterEnv(db.url, prefix, mode === "jwt" ? { AUTH_MODE: "jwt", JWT_SECRET: SECRET } : {});
    const node = await startNode(env);
    try {
      const key = new TextEncoder().encode(SECRET);
      const auth =
        mode === "jwt"
          ? { token: await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("dee").setExpirationTime("5m").sign(key) }
          : { username: "dee" };
      const s = await connect(node.url, auth);
      // A room per mode: both runs share the database, and a repeated clientId is not new.
      const room = `pub-${mode}`;
      assert.equal((await call(s, "room:join", { room })).ok, true);
      const counts = await publishedFor(prefix, room, async () => {
        assert.equal((await call(s, "message:send", { room, body: "hello", clientId: "p1" })).ok, true);
        assert.equal((await call(s, "typing", { room, typing: true })).ok, true);
      });
      assert.deepEqual(counts, mode === "open" ? { v1: 2, legacy: 2 } : { v1: 2, legacy: 0 });
    } finally {
      await node.stop();
    }
  });
}
