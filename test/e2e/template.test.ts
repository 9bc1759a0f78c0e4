/**
 * The Flask template's page in Chromium: test/fixtures/template/chat.html (a stand-in that
 * appends lines with innerHTML, as the template does) with the Socket.IO 2 client, served
 * from its own origin without a CSP, as Flask served it. A v1 user's markup must not run
 * there; with LEGACY_ESCAPE_HTML=false it does, which shows the page is a faithful target.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import ioV2 from "socket.io-client-v2";
import { call, closeAll, connect } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startNode, type RunningNode } from "../helpers/node.js";
import { launchBrowser, REPO, waitUntil } from "./browser.js";

const FILES: Record<string, [string, string]> = {
  "/chat.html": [path.join(REPO, "test/fixtures/template/chat.html"), "text/html; charset=utf-8"],
  "/socket.io.js": [path.join(REPO, "node_modules/socket.io-client-v2/dist/socket.io.js"), "text/javascript"],
};
/** Counts its own runs in the page: set only if the markup is parsed as HTML. */
const PAYLOAD = `<img src=x onerror="window.pwned=(window.pwned||0)+1">hello`;

let db: TestDatabase;
let site: http.Server;
let siteUrl: string;
let browser: Browser;
const nodes: RunningNode[] = [];

before(async () => {
  db = await createTestDatabase("template");
  site = http.createServer((req, res) => {
    const f = FILES[new URL(req.url ?? "/", "http://x").pathname];
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": f[1] }).end(fs.readFileSync(f[0]));
  });
  await new Promise<void>((r) => site.listen(0, "127.0.0.1", r));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  closeAll();
  for (const n of nodes) await n.stop();
  site?.close();
  await db?.drop();
});

async function chatNode(env: Record<string, string> = {}): Promise<RunningNode> {
  const n = await startNode({ DATABASE_URL: db.url, CORS_ORIGINS: siteUrl, ...env });
  nodes.push(n);
  return n;
}

/** Opens the template's page for `username` in `room` on `node`; waits for its history when the join is valid. */
async function openPage(node: RunningNode, username: string, room: string, waitJoined = true): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const q = new URLSearchParams({ server: node.url, username, room });
  await page.goto(`${siteUrl}/chat.html?${q.toString()}`);
  if (waitJoined) await page.locator("body[data-joined=yes]").waitFor();
  return page;
}

const ranScript = (page: Page) => page.evaluate(() => (window as { pwned?: number }).pwned ?? 0);
const images = (page: Page) => page.locator("#messages img").count();

describe("the template's page (innerHTML)", () => {
  test("a v1 user's markup shows as text on the page, live and after a rejoin, and runs nothing", async () => {
    const node = await chatNode();
    const room = "template-xss";
    const page = await openPage(node, "tina", room);
    const mallory = await connect(node.url, { username: "mallory" });
    assert.equal((await call(mallory, "room:join", { room })).ok, true);
    assert.equal((await call(mallory, "message:send", { room, body: PAYLOAD, clientId: "t1" })).ok, true);

    const line = page.locator(".line", { hasText: "hello" });
    await line.waitFor();
    assert.equal(await line.textContent(), `mallory: ${PAYLOAD}`);
    assert.equal(await images(page), 0);

    // The history a page gets on (re)joining is escaped too.
    const later = await openPage(node, "tom", room);
    assert.equal(await later.locator(".line").first().textContent(), `mallory: ${PAYLOAD}`);
    assert.equal(await images(later), 0);

    // A later message proves the page kept running; by then the image would long have failed.
    assert.equal((await call(mallory, "message:send", { room, body: "done", clientId: "t2" })).ok, true);
    await page.locator(".line", { hasText: "done" }).waitFor();
    assert.equal(await ranScript(page), 0);
    assert.equal(await ranScript(later), 0);
  });

  test("with LEGACY_ESCAPE_HTML=false the same page runs the markup (what the escaping prevents)", async () => {
    const node = await chatNode({ LEGACY_ESCAPE_HTML: "false" });
    const page = await openPage(node, "tina", "template-raw");
    const mallory = await connect(node.url, { username: "mallory" });
    assert.equal((await call(mallory, "room:join", { room: "template-raw" })).ok, true);
    assert.equal((await call(mallory, "message:send", { room: "template-raw", body: PAYLOAD, clientId: "r1" })).ok, true);
    await waitUntil("the payload to run in the page", async () => (await ranScript(page)) > 0);
  });

  test("a username the template allowed but the server refuses is explained on the page", async () => {
    const node = await chatNode();
    const page = await openPage(node, "Dave Smith", "template-names", false);
    const notice = page.locator(".line", { hasText: "(server)" });
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? "", /cannot join template-names as "Dave Smith": a username is 1 to 32 letters/);
  });

  test("typing shows the server's words, not the sender's", async () => {
    const node = await chatNode();
    const room = "template-typing";
    const page = await openPage(node, "tina", room);
    const eve = ioV2(node.url, { transports: ["websocket"], forceNew: true, reconnection: false });
    try {
      const joined = new Promise((r) => eve.once("rejoin_room", r));
      eve.emit("joined_room", { username: "eve", room });
      await joined;
      eve.emit("typing_status", "Your session expired: sign in again at evil.example");
      await page.locator("#typing", { hasText: "eve is typing..." }).waitFor();
      assert.equal(await page.locator("#typing").textContent(), "eve is typing...");
    } finally {
      eve.close();
    }
  });
});
