/**
 * What a message costs Redis per dialect: in open mode each broadcast is published for
 * v1 and for the template's (legacy) room; in jwt mode, where the template's events do not
 * exist, and with LEGACY_EVENTS=false, only for v1. Observed on the sharded adapter's own
 * Redis channels.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Redis } from "ioredis";
import { SignJWT } from "jose";
import { Server } from "socket.io";
import { v1Room } from "../../src/chat/broadcast.js";
import { legacyRoom } from "../../src/chat/legacy/broadcast.js";
import { renewNow } from "../../src/chat/legacy/lease.js";
import { createLogger } from "../../src/logger.js";
import { createPgDb } from "../../src/store/db.js";
import { call, connect, sleep, waitFor } from "../helpers/client.js";
import { useTestDatabase } from "../helpers/setup.js";
import { clusterEnv, REDIS_URL, startNode, uniquePrefix } from "../helpers/node.js";

const SECRET = "dialects-test-secret-of-at-least-32-chars";
const db = useTestDatabase("dialects");

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

const MODES = {
  open: {},
  jwt: { AUTH_MODE: "jwt", JWT_SECRET: SECRET },
  "open, LEGACY_EVENTS=false": { LEGACY_EVENTS: "false" },
} as const;

for (const mode of Object.keys(MODES) as (keyof typeof MODES)[]) {
  test(`${mode}: a message and a typing event are published ${mode === "open" ? "for the dialects in the room" : "for v1 only"}`, async () => {
    const prefix = uniquePrefix("dialects");
    const env = clusterEnv(db.url, prefix, MODES[mode]);
    const node = await startNode(env);
    try {
      const key = new TextEncoder().encode(SECRET);
      const auth =
        mode === "jwt"
          ? { token: await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("dee").setExpirationTime("5m").sign(key) }
          : { username: "dee" };
      const s = await connect(node.url, auth);
      // A room per mode: the runs share the database, and a repeated clientId is not new.
      const room = `pub-${Object.keys(MODES).indexOf(mode)}`;
      assert.equal((await call(s, "room:join", { room })).ok, true);
      const counts = await publishedFor(prefix, room, async () => {
        assert.equal((await call(s, "message:send", { room, body: "hello", clientId: "p1" })).ok, true);
        assert.equal((await call(s, "typing", { room, typing: true })).ok, true);
      });
      // Open mode, no legacy socket in the room: the message is published for v1 only, the
      // typing event (not stored, so not ordered by the room's lock) for both.
      assert.deepEqual(counts, mode === "open" ? { v1: 2, legacy: 1 } : { v1: 2, legacy: 0 });
    } finally {
      await node.stop();
    }
  });
}

test("open mode: once a template client joins on another node, messages are published for it too", async () => {
  const prefix = uniquePrefix("dialects-lease");
  const a = await startNode(clusterEnv(db.url, prefix));
  const b = await startNode(clusterEnv(db.url, prefix));
  try {
    const room = "pub-lease";
    const v1 = await connect(a.url, { username: "vee" });
    assert.equal((await call(v1, "room:join", { room })).ok, true);
    assert.equal((await call(v1, "message:send", { room, body: "before", clientId: "l1" })).ok, true);
    const old = await connect(b.url);
    const history = waitFor<[number, string, string][]>(old, "rejoin_room");
    old.emit("joined_room", { username: "olly", room });
    assert.deepEqual((await history).map((r) => r[2]), ["before"]);
    await sleep(100); // its presence announcement, published for both dialects, is not counted
    const heard = waitFor<{ message: string }>(old, "recieve_message");
    const counts = await publishedFor(prefix, room, async () => {
      assert.equal((await call(v1, "message:send", { room, body: "after", clientId: "l2" })).ok, true);
    });
    assert.equal((await heard).message, "after");
    assert.deepEqual(counts, { v1: 1, legacy: 1 });
  } finally {
    await a.stop();
    await b.stop();
  }
});

test("a node renews the mark of the rooms where it holds template sockets", async () => {
  const dbh = createPgDb(db.url, 2, () => {});
  const io = new Server(); // not attached to any HTTP server: only its adapter is used
  try {
    await dbh.query("INSERT INTO rooms (name, legacy_until) VALUES ('lease-a', now() - interval '1 minute'), ('lease-b', NULL)");
    // A template socket in lease-a on this node, as Socket.IO's adapter records it.
    io.of("/").adapter.addAll("socket-1", new Set([legacyRoom("lease-a"), v1Room("lease-b")]));
    await renewNow({ io, db: dbh, log: createLogger("silent", "t") });
    const rows = await dbh.query<{ name: string; ok: boolean | null }>(
      "SELECT name, legacy_until > now() + interval '50 minutes' AS ok FROM rooms WHERE name LIKE 'lease-%' ORDER BY name",
    );
    assert.deepEqual(rows, [
      { name: "lease-a", ok: true },
      { name: "lease-b", ok: null },
    ]);
  } finally {
    await dbh.close();
  }
});
