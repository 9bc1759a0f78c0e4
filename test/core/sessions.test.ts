/**
 * jwt mode: a session ends with its token. `exp` is required (JWT_REQUIRE_EXP); past it a
 * socket's events are refused with `unauthenticated` and the socket is closed after
 * SESSION_GRACE_MS, unless `auth:refresh` brought a new token of the same user first.
 * Tokens here live a few seconds; the tests wait for events and acks, never for a time.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SignJWT } from "jose";
import type { Socket } from "socket.io-client";
import { call, closeAll, connect, waitFor } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startNode, type RunningNode } from "../helpers/node.js";

const SECRET = "a-session-test-secret-long-enough-0123456789";
const key = new TextEncoder().encode(SECRET);

/** A token for `sub` expiring `exp` seconds from now (or never, with null). */
function token(sub: string, exp: number | null): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuedAt();
  if (exp !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + exp);
  return jwt.sign(key);
}

async function refusal(url: string, t: string): Promise<string> {
  try {
    (await connect(url, { token: t })).close();
    return "connected";
  } catch (err) {
    return (err as Error).message;
  }
}

const disconnected = (s: Socket) => new Promise<string>((r) => s.once("disconnect", r));

let db: TestDatabase;
let srv: RunningNode;
before(async () => {
  db = await createTestDatabase("sessions");
  srv = await startNode({ DATABASE_URL: db.url, AUTH_MODE: "jwt", JWT_SECRET: SECRET, SESSION_GRACE_MS: "1500" });
});
after(async () => {
  closeAll();
  await srv.stop();
  await db.drop();
});

describe("exp is required", () => {
  test("a token without exp is refused at the handshake and by REST; JWT_REQUIRE_EXP=false accepts it", async () => {
    const forever = await token("nora", null);
    assert.equal(await refusal(srv.url, forever), "unauthorized");
    const rest = (t: string, url = srv.url) => fetch(`${url}/api/rooms/lobby/messages`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal((await rest(forever)).status, 401);
    assert.equal((await rest(await token("nora", -30))).status, 401, "an expired token");
    assert.equal((await rest(await token("nora", 300))).status, 200);
    const lax = await startNode({ DATABASE_URL: db.url, AUTH_MODE: "jwt", JWT_SECRET: SECRET, JWT_REQUIRE_EXP: "false" });
    try {
      assert.equal(await refusal(lax.url, forever), "connected");
      assert.equal((await rest(forever, lax.url)).status, 200);
    } finally {
      await lax.stop();
    }
  });
});

describe("a token that expires", () => {
  test("is warned of, then its events are refused with unauthenticated, then the socket is closed", async () => {
    const s = await connect(srv.url, { token: await token("olga", 3) });
    const warned = waitFor<{ inMs: number }>(s, "session:expiring");
    const expired = waitFor(s, "session:expired");
    assert.equal((await call(s, "room:join", { room: "ends" })).ok, true);
    const { inMs } = await warned;
    assert.ok(inMs > 0 && inMs <= 60_000, `inMs ${inMs}`);
    await expired;
    const closed = disconnected(s);
    const refused = await call(s, "message:send", { room: "ends", body: "too late", clientId: "late" });
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, "unauthenticated");
    assert.equal(await closed, "io server disconnect");
    // Nothing of it was stored.
    const reader = await connect(srv.url, { token: await token("olga", 300) });
    const page = await call(reader, "room:history", { room: "ends" });
    assert.deepEqual(page.messages, []);
  });

  test("auth:refresh with a new token of the same user keeps the socket and its rooms", async () => {
    const exp = 3;
    const renewed = await connect(srv.url, { token: await token("pia", exp) });
    const control = await connect(srv.url, { token: await token("pia", exp) });
    const friend = await connect(srv.url, { token: await token("quentin", 300) });
    for (const s of [renewed, control, friend]) assert.equal((await call(s, "room:join", { room: "renew" })).ok, true);
    await waitFor(renewed, "session:expiring");

    const other = await call(renewed, "auth:refresh", { token: await token("mallory", 300) });
    assert.equal(other.error?.code, "forbidden", "another user's token");
    const bad = await call(renewed, "auth:refresh", { token: "not-a-jwt" });
    assert.equal(bad.error?.code, "unauthenticated");
    const forever = await call(renewed, "auth:refresh", { token: await token("pia", null) });
    assert.equal(forever.error?.code, "unauthenticated", "a token without exp");
    const invalid = await call(renewed, "auth:refresh", {});
    assert.equal(invalid.error?.code, "invalid_payload");

    const ok = await call(renewed, "auth:refresh", { token: await token("pia", 300) });
    assert.equal(ok.ok, true);
    assert.ok(ok.inMs > 60_000, `inMs ${ok.inMs}`);
    // The control socket, on the old token, is refused and closed; the renewed one is not.
    assert.equal(await disconnected(control), "io server disconnect");
    const sent = await call(renewed, "message:send", { room: "renew", body: "still here", clientId: "r1" });
    assert.equal(sent.ok, true);
    const seen = await waitFor<{ body: string }>(friend, "message:new", (m) => m.body === "still here");
    assert.equal(seen.body, "still here");
    assert.equal(renewed.connected, true);
  });
});
