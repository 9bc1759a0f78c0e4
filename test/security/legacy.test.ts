/**
 * The Flask template's dialect as an attacker meets it: its page inserts bodies and names
 * with innerHTML, shows typing_on's text, and listens to no error event. Socket.IO 2
 * clients against real nodes; the browser side is test/e2e/template.test.ts.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import ioV2, { type LegacySocket } from "socket.io-client-v2";
import { call, closeAll, collect, connect, sleep } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startNode, type RunningNode } from "../helpers/node.js";

const XSS = `<img src=x onerror="alert('x')"> & "more"`;
const ESCAPED = "&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt; &amp; &quot;more&quot;";

let db: TestDatabase;
let srv: RunningNode;
const logLines: string[] = [];
const legacyClients: LegacySocket[] = [];
before(async () => {
  db = await createTestDatabase("legacy");
  srv = await startNode({ DATABASE_URL: db.url, LOG_LEVEL: "info" }, { logTo: (l) => logLines.push(l) });
});
after(async () => {
  closeAll();
  await srv.stop();
  await db.drop();
});
afterEach(() => {
  for (const c of legacyClients.splice(0)) c.close();
  closeAll();
});

async function legacyClient(url: string): Promise<LegacySocket> {
  const s = ioV2(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  legacyClients.push(s);
  await new Promise<void>((resolve, reject) => {
    s.once("connect", () => resolve());
    s.once("connect_error", reject);
  });
  return s;
}

/** The socket's next `event`; fails after 10 s, so that a missing event fails the test instead of hanging it. */
function next<T>(s: LegacySocket, event: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within 10 s`)), 10_000);
    s.once(event, (p: T) => {
      clearTimeout(timer);
      resolve(p);
    });
  });
}

function ack(s: LegacySocket, event: string, payload: unknown): Promise<{ ok: boolean; error?: { code: string; message: string } }> {
  return new Promise((r) => s.emit(event, payload, r));
}

async function join(s: LegacySocket, username: string, room: string): Promise<[number, string, string][]> {
  const rows = next<[number, string, string][]>(s, "rejoin_room");
  assert.equal((await ack(s, "joined_room", { username, room })).ok, true);
  return rows;
}

/** A v1 connection of `username` that has joined `room`. */
async function v1In(url: string, username: string, room: string) {
  const s = await connect(url, { username });
  assert.equal((await call(s, "room:join", { room })).ok, true);
  return s;
}

describe("legacy dialect: what reaches the template's page", () => {
  test("a v1 user's markup reaches legacy sockets escaped, live and on rejoin; v1 gets it as written", async () => {
    const room = "xss-live";
    const v1 = await v1In(srv.url, "mallory", room);
    const page = await legacyClient(srv.url);
    await join(page, "tina", room);
    const v1Watcher = await v1In(srv.url, "vic", room);
    const v1Got = new Promise<{ body: string }>((r) => v1Watcher.once("message:new", r));

    const live = next<{ username: string; message: string }>(page, "recieve_message");
    assert.equal((await call(v1, "message:send", { room, body: XSS, clientId: "x1" })).ok, true);
    assert.deepEqual(await live, { username: "mallory", room, message: ESCAPED });
    assert.equal((await v1Got).body, XSS);

    // Every rejoin inserts the history again: it is escaped too.
    const again = await legacyClient(srv.url);
    const rows = await join(again, "tom", room);
    assert.deepEqual(rows.map((r) => r.slice(1)), [["mallory", ESCAPED]]);
    // Storage and the v1 history keep the text as written.
    const h = await call(v1, "room:history", { room });
    assert.equal(h.messages[0].body, XSS);
  });

  test("a legacy user's own markup comes back escaped to legacy sockets, raw to v1", async () => {
    const room = "xss-legacy";
    const v1 = await v1In(srv.url, "vera", room);
    const page = await legacyClient(srv.url);
    await join(page, "lou", room);
    const own = next<{ message: string }>(page, "recieve_message");
    const v1Got = new Promise<{ body: string }>((r) => v1.once("message:new", r));
    assert.equal((await ack(page, "send_message", { username: "lou", room, message: XSS })).ok, true);
    assert.equal((await own).message, ESCAPED);
    assert.equal((await v1Got).body, XSS);
  });

  test("LEGACY_ESCAPE_HTML=false relays bodies as written (for non-browser legacy clients)", async () => {
    const raw = await startNode({ DATABASE_URL: db.url, LEGACY_ESCAPE_HTML: "false" });
    try {
      const room = "xss-off";
      const v1 = await v1In(raw.url, "mallory", room);
      const page = await legacyClient(raw.url);
      await join(page, "tina", room);
      const live = next<{ message: string }>(page, "recieve_message");
      assert.equal((await call(v1, "message:send", { room, body: XSS, clientId: "o1" })).ok, true);
      assert.equal((await live).message, XSS);
      const rows = await join(await legacyClient(raw.url), "tom", room);
      assert.equal(rows[0]![2], XSS);
    } finally {
      closeAll();
      await raw.stop();
    }
  });

  test("LEGACY_EVENTS=false: the template's events are unknown events; v1 is unchanged", async () => {
    const off = await startNode({ DATABASE_URL: db.url, LEGACY_EVENTS: "false" });
    try {
      const room = "legacy-off";
      const page = await legacyClient(off.url);
      const heard: string[] = [];
      for (const e of ["rejoin_room", "recieve_message", "join_room_announcement", "typing_on"]) page.on(e, () => heard.push(e));
      page.emit("joined_room", { username: "tina", room });
      page.emit("send_message", { username: "tina", room, message: "hello" });
      page.emit("typing_status", "tina is typing...");
      // One socket's events are handled in order: once a later one is answered, these were.
      assert.equal((await ack(page, "room:join", { room })).error?.code, "unauthenticated");
      const metrics = await (await fetch(`${off.url}/metrics`)).text();
      assert.match(metrics, /^chat_unknown_events_total(\{[^}]*\})? 3$/m);

      const v1 = await v1In(off.url, "vic", room);
      const other = await v1In(off.url, "val", room);
      const got = new Promise<{ body: string }>((r) => other.once("message:new", r));
      assert.equal((await call(v1, "message:send", { room, body: XSS, clientId: "f1" })).ok, true);
      assert.equal((await got).body, XSS);
      assert.deepEqual((await call(other, "room:history", { room })).messages.map((m: { body: string }) => m.body), [XSS]);
      assert.deepEqual(heard, []);
    } finally {
      closeAll();
      await off.stop();
    }
  });

  test("a socket that joins one room in both dialects hears it once, in the last one", async () => {
    const room = "both-dialects";
    const duo = await v1In(srv.url, "duo", room);
    assert.equal((await call(duo, "joined_room", { username: "duo", room })).ok, true);
    const v1Heard = collect(duo, "message:new");
    const legacyHeard = new Promise<{ message: string }>((r) => duo.once("recieve_message", r));
    const sender = await v1In(srv.url, "sam", room);
    assert.equal((await call(sender, "message:send", { room, body: "once", clientId: "b1" })).ok, true);
    // message:new is emitted before recieve_message, on the same connection: it would be here.
    assert.equal((await legacyHeard).message, "once");
    assert.deepEqual(v1Heard, []);
  });

  test("typing_status relays no text: the server writes '<user> is typing...' itself", async () => {
    const room = "typing-text";
    const sender = await legacyClient(srv.url);
    await join(sender, "tina", room);
    const other = await legacyClient(srv.url);
    await join(other, "tom", room);
    const v1 = await v1In(srv.url, "vic", room);
    const shown = collect<string>(v1, "typing_on");
    const v1Typing = new Promise<unknown>((r) => v1.once("typing", r));

    const heard = next<string>(other, "typing_on");
    await ack(sender, "typing_status", "Your session expired: log in again at http://evil.example");
    assert.equal(await heard, "tina is typing...");
    assert.deepEqual(await v1Typing, { room, user: "tina", typing: true });
    const cleared = next<string>(other, "typing_on");
    await ack(sender, "typing_status", "");
    assert.equal(await cleared, "");
    assert.deepEqual(shown, []);
  });

  test("a join with a username outside the pattern is explained on the page, to that socket only, and logged", async () => {
    const room = "bad-names";
    const bystander = await legacyClient(srv.url);
    await join(bystander, "bea", room);
    const heardByOthers: unknown[] = [];
    bystander.on("recieve_message", (m: unknown) => heardByOthers.push(m));

    const page = await legacyClient(srv.url);
    const rejoins: unknown[] = [];
    page.on("rejoin_room", (r: unknown) => rejoins.push(r));
    const notice = next<{ username: string; room: string; message: string }>(page, "recieve_message");
    const answer = await ack(page, "joined_room", { username: "Dave <b>Smith</b>", room });
    assert.equal(answer.ok, false);
    assert.equal(answer.error?.code, "invalid_payload");
    const n = await notice;
    assert.equal(n.username, "(server)");
    assert.equal(n.room, room);
    // It names the rule, and the name it quotes is escaped like any other text for the page.
    assert.match(n.message, /1 to 32 letters, digits, dots, dashes or underscores/);
    assert.match(n.message, /Dave &lt;b&gt;Smith&lt;\/b&gt;/);
    await sleep(100);
    assert.deepEqual(rejoins, []);
    assert.deepEqual(heardByOthers, []);
    const logged = logLines.map((l) => JSON.parse(l) as { msg: string; username?: string }).find((l) => l.msg.includes("username outside the pattern"));
    assert.equal(logged?.username, "Dave <b>Smith</b>");
  });
});
