/**
 * The "New messages" line in the browser against one real node: it sits at the first
 * message the other person wrote while you were in another room, stays while you read and
 * goes when you send; with more unread than the first page holds, "Jump to first unread"
 * pages back through history to it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call, connect } from "../helpers/client.js";
import { expectAccessible } from "./axe.js";
import { OneNodeSite, waitUntil, type Person } from "./browser.js";

const site = new OneNodeSite();

before(() => site.start("e2eunread", { NODE_ID: "e2e-unread", RATE_LIMIT_SENDS: "1000", EVENT_RATE_LIMIT: "0" }));
after(() => site.stop());

/** The body of the message right after the line, or undefined when there is no line. */
function afterLine(p: Person): Promise<string | undefined> {
  return p.page.evaluate(() => {
    const line = document.querySelector(".message-list li.unread-line");
    return line?.nextElementSibling?.querySelector(".body")?.textContent ?? undefined;
  });
}

function lineCount(p: Person): Promise<number> {
  return p.page.locator(".message-list li.unread-line").count();
}

/** Opens a room from the sidebar. */
async function open(p: Person, room: string): Promise<void> {
  await p.page.getByRole("navigation", { name: "Rooms" }).getByRole("button", { name: new RegExp(`^#?\\s*${room}\\b`) }).click();
  await p.roomHeading(room).waitFor();
}

describe("the New messages line", () => {
  test("at the first message written while you were in another room; stays while read, goes on sending", async () => {
    const amy = await site.person("amy");
    const ben = await site.person("ben");
    await amy.signIn();
    await amy.join("news");
    await ben.signIn();
    await ben.join("news");
    await ben.send("read before");
    // amy has it on screen: her read marker moves past it (ben sees her read it).
    await ben.page.locator(".seen-by", { hasText: "amy" }).waitFor();
    assert.equal(await lineCount(amy), 0, "nothing unread, no line");

    await amy.join("elsewhere");
    for (const t of ["new one", "new two", "new three"]) await ben.send(t);
    await amy.page.locator(".room-link", { hasText: "news" }).locator(".badge", { hasText: "3" }).waitFor();
    await open(amy, "news");
    await waitUntil("the line before ben's first new message", async () => (await afterLine(amy)) === "new one");
    assert.equal(await amy.page.locator(".message-list li.unread-line").textContent(), "New messages");
    // All of it on screen: no pill to jump to it.
    assert.equal(await amy.page.getByRole("button", { name: "Jump to first unread" }).count(), 0);
    await expectAccessible(amy.page, "room with the New messages line");

    // Reading marks the room read (ben sees it), and the line stays where it was.
    await ben.page.locator(".seen-by", { hasText: "amy" }).waitFor();
    await ben.send("while she reads");
    await amy.page.locator(".message-list .body", { hasText: "while she reads" }).waitFor();
    assert.equal(await afterLine(amy), "new one");

    // Sending takes it away.
    await amy.send("thanks");
    await waitUntil("the line gone", async () => (await lineCount(amy)) === 0);
    await amy.close();
    await ben.close();
  });

  test("more unread than a page: Jump to first unread loads history back to it", async () => {
    const cy = await site.person("cy");
    await cy.signIn();
    await cy.join("busy");
    const w = await connect(site.server.url, { username: "writer" });
    assert.equal((await call(w, "room:join", { room: "busy" })).ok, true);
    assert.equal((await call(w, "message:send", { room: "busy", body: "old news", clientId: "old" })).ok, true);
    await cy.page.locator(".message-list .body", { hasText: "old news" }).waitFor();
    // cy's own marker, read through a socket of hers: the room is read before she leaves it.
    const cySocket = await connect(site.server.url, { username: "cy" });
    await waitUntil("cy's read marker stored", async () => {
      const list = (await call(cySocket, "rooms:list", {})) as { ok: boolean; rooms: { room: string; readSeq: number }[] };
      return list.ok && list.rooms.find((r) => r.room === "busy")?.readSeq === 1;
    });
    cySocket.close();

    // cy leaves for another room; 80 messages come; she reloads the page (her client has
    // only the newest page of them).
    await cy.join("quiet");
    for (let i = 1; i <= 80; i++) {
      assert.equal((await call(w, "message:send", { room: "busy", body: `burst ${i}`, clientId: `b${i}` })).ok, true);
    }
    await cy.page.reload();
    await cy.roomHeading("quiet").waitFor();
    await cy.page.locator(".room-link", { hasText: "busy" }).locator(".badge", { hasText: "80" }).waitFor();
    await open(cy, "busy");
    await cy.page.locator(".message-list .body", { hasText: "burst 80" }).waitFor();
    assert.equal(await lineCount(cy), 0, "the first unread is not loaded yet");

    const jump = cy.page.getByRole("button", { name: "Jump to first unread" });
    await jump.click();
    await waitUntil("the line before the first of the burst", async () => (await afterLine(cy)) === "burst 1");
    // The first unread message has the focus and is on screen; the pill is gone.
    await waitUntil("focus on the first unread", async () =>
      cy.page.evaluate(() => document.activeElement?.querySelector(".body")?.textContent === "burst 1"),
    );
    assert.ok(await cy.page.locator(".message-list li.unread-line").isVisible());
    await waitUntil("the pill gone", async () => (await jump.count()) === 0);
    await cy.close();
  });
});
