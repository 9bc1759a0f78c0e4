/**
 * The browser client against one real node (PostgreSQL, no Redis): people in separate
 * browser contexts chat, type, see presence and read receipts, open DMs, reload, and
 * see hostile text as text. Screenshots of each layout land in test-results/.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { call, connect } from "../helpers/client.js";
import { hs256Token, OneNodeSite, Person, REPO, RESULTS, waitUntil } from "./browser.js";

const site = new OneNodeSite();

before(() =>
  site.start("e2e", {
    NODE_ID: "e2e-node",
    // The history test writes 130 messages as one user, from one connection, at once.
    RATE_LIMIT_SENDS: "1000",
    EVENT_RATE_LIMIT: "0",
  }),
);
after(() => site.stop());

describe("browser client, one node", () => {
  test("a refused username is explained in plain words", async () => {
    const p = await site.person("bad name!");
    await p.page.goto("/");
    await p.page.getByLabel("Username").fill("bad name!");
    await p.page.getByLabel("Username").press("Enter");
    await p.page.getByRole("alert").filter({ hasText: "That username isn't allowed" }).waitFor();
    // Back on the sign-in form, ready for another try.
    await p.page.getByLabel("Username").waitFor();
    await p.close();
  });

  test("two people chat both ways, with presence, typing and read receipts", async () => {
    const alice = await site.person("alice");
    const bob = await site.person("bob", { colorScheme: "dark" });
    await alice.signIn();
    await alice.join("lobby");
    await bob.signIn();
    await bob.join("lobby");

    // Presence: alice sees bob arrive, in the member list and as a notice.
    await alice.page.locator(".notice", { hasText: "bob is now online" }).waitFor();
    await alice.page.getByRole("complementary", { name: "Online members" }).getByText("bob").waitFor();
    assert.equal(await alice.page.locator(".members-toggle").textContent(), "2 online");
    await alice.page.locator("footer.node-footer", { hasText: "Served by e2e-node" }).waitFor();

    // Typing shows on the other side, and clears when the message is sent.
    await bob.composer().pressSequentially("hello ali");
    await alice.page.locator(".typing", { hasText: "bob is typing..." }).waitFor();
    await bob.composer().pressSequentially("ce");
    await bob.composer().press("Enter");
    await alice.page.locator(".message-list .body", { hasText: "hello alice" }).waitFor();
    await alice.page.locator(".typing", { hasText: "bob is typing..." }).waitFor({ state: "detached" });
    assert.equal(await alice.page.locator(".typing").textContent(), "");

    // And back. Shift+Enter makes a new line instead of sending.
    await alice.composer().fill("hi bob");
    await alice.composer().press("Shift+Enter");
    await alice.composer().pressSequentially("how are you?");
    await alice.composer().press("Enter");
    await bob.page.locator(".message-list .body", { hasText: "how are you?" }).waitFor();
    assert.deepEqual(await bob.bodies(), ["hello alice", "hi bob\nhow are you?"]);
    assert.deepEqual(await alice.bodies(), ["hello alice", "hi bob\nhow are you?"]);
    assert.deepEqual(await alice.seqs(), await bob.seqs());

    // Both pages are focused and at the bottom: each reads the other's message.
    await alice.page.locator(".seen-by", { hasText: "Seen by bob" }).waitFor();
    await bob.page.locator(".seen-by", { hasText: "Seen by alice" }).waitFor();

    await alice.screenshot("desktop-light.png");
    await bob.screenshot("desktop-dark.png");

    // bob leaves: alice sees him go.
    await bob.close();
    await alice.page.locator(".notice", { hasText: "bob went offline" }).waitFor();
    assert.equal(await alice.page.locator(".members-toggle").textContent(), "1 online");
    await alice.close();
  });

  test("markup in a message is shown as text and never runs", async () => {
    const mallory = await site.person("mallory");
    const victim = await site.person("victim");
    await mallory.signIn();
    await mallory.join("xss");
    await victim.signIn();
    await victim.join("xss");
    const evil = `<img src=x onerror=alert(1)> <script>alert(2)</script> <a href="javascript:alert(3)">x</a> javascript:alert(4)`;
    await mallory.send(evil);
    await victim.page.locator(".message-list li.msg[data-seq] .body").first().waitFor();
    assert.deepEqual(await victim.bodies(), [evil]);
    const list = victim.page.locator(".message-list");
    assert.equal(await list.locator("img, script").count(), 0);
    // No link at all: only http(s) URLs become links.
    assert.equal(await list.locator("a").count(), 0);
    // A safe link, to show the difference.
    await mallory.send("docs at https://example.com/a?b=1.");
    const link = victim.page.locator(".message-list a", { hasText: "https://example.com/a?b=1" });
    await link.waitFor();
    assert.equal(await link.getAttribute("href"), "https://example.com/a?b=1");
    assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
    assert.deepEqual(victim.dialogs, []);
    assert.deepEqual(mallory.dialogs, []);
    await mallory.close();
    await victim.close();
  });

  test("a DM: opened from the member list, shown to the other person, closed to a third", async () => {
    const ann = await site.person("ann");
    const ben = await site.person("ben");
    const cat = await site.person("cat");
    await ann.signIn();
    await ann.join("team");
    await ben.signIn();
    await ben.join("team");
    await ann.page.getByRole("complementary", { name: "Online members" }).getByRole("button", { name: /ben/ }).click();
    await ann.roomHeading("ben").waitFor();
    // The address follows the open room in an effect that runs after the heading is painted.
    await ann.page.waitForFunction(() => location.hash === "#/dm:ann:ben");
    // ben gets dm:invited: the DM appears in his sidebar with an unread badge after a message.
    await ann.send("psst, ben");
    const dmLink = ben.page.getByRole("navigation", { name: "Rooms" }).getByRole("button", { name: /^ann/ });
    await dmLink.waitFor();
    await dmLink.locator(".badge", { hasText: "1" }).waitFor();
    await dmLink.click();
    await ben.page.locator(".message-list .body", { hasText: "psst, ben" }).waitFor();
    await ben.send("yes?");
    await ann.page.locator(".message-list .body", { hasText: "yes?" }).waitFor();
    // The badge falls once ben has read it.
    await ben.page.getByRole("navigation", { name: "Rooms" }).locator(".badge").waitFor({ state: "detached" });

    // cat tries the DM's address: refused, and nothing of its content shows.
    await cat.signIn("#/dm:ann:ben");
    await cat.page.getByRole("alert").filter({ hasText: "You don't have access to that conversation." }).waitFor();
    assert.equal(await cat.page.locator(".message-list").count(), 0);
    assert.equal(await cat.page.getByText("psst, ben").count(), 0);
    // Typing the name into the join box is refused the same way.
    const box = cat.page.getByLabel("Join or create a room");
    await box.fill("dm:ann:ben");
    await box.press("Enter");
    await cat.page.locator("#join-error", { hasText: "You don't have access to that conversation." }).waitFor();
    // The server's own answer to cat is `forbidden` (what the page put in plain words).
    const sock = await connect(site.server.url, { username: "cat" });
    const ack = await call(sock, "room:join", { room: "dm:ann:ben" });
    assert.equal(ack.ok, false);
    assert.equal(ack.error.code, "forbidden");
    for (const p of [ann, ben, cat]) await p.close();
  });

  test("a reload keeps the session, the room and its history", async () => {
    const dora = await site.person("dora");
    await dora.signIn();
    await dora.join("notes");
    for (const t of ["one", "two", "three"]) await dora.send(t);
    await waitUntil("three stored messages", async () => (await dora.bodies()).length === 3);
    await dora.page.reload();
    await dora.roomHeading("notes").waitFor();
    await waitUntil("history after reload", async () => (await dora.bodies()).length === 3);
    assert.deepEqual(await dora.bodies(), ["one", "two", "three"]);
    assert.deepEqual(await dora.seqs(), [1, 2, 3]);
    await dora.close();
  });

  test("scrolling up loads older messages, in order, each once; unread counts fall", async () => {
    // 130 messages written by a plain socket client (more than two history pages).
    const writer = await connect(site.server.url, { username: "writer" });
    assert.equal((await call(writer, "room:join", { room: "archive" })).ok, true);
    const sent: string[] = [];
    for (let i = 1; i <= 130; i++) {
      const body = `archived message ${i}`;
      const ack = await call(writer, "message:send", { room: "archive", body, clientId: `w${i}` });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      sent.push(body);
    }
    const eve = await site.person("eve", { height: 700 });
    await eve.signIn();
    await eve.join("archive");
    await waitUntil("the latest page", async () => (await eve.seqs()).length >= 50);
    // Scroll to the top until the beginning shows.
    await waitUntil(
      "the whole history",
      async () => {
        await eve.page.locator(".messages").evaluate((el) => {
          el.scrollTop = 0;
        });
        return eve.page.getByText("This is the beginning of the conversation.").isVisible();
      },
      30_000,
    );
    assert.deepEqual(await eve.bodies(), sent);
    assert.deepEqual(
      await eve.seqs(),
      sent.map((_, i) => i + 1),
    );
    // Scrolled up, a new message shows a pill instead of jumping.
    await call(writer, "message:send", { room: "archive", body: "fresh news", clientId: "w-fresh" });
    await eve.page.getByRole("button", { name: "New messages" }).click();
    await eve.page.locator(".message-list .body", { hasText: "fresh news" }).waitFor();
    // Screen readers hear it through the live region.
    await eve.page.locator("[aria-live=polite]", { hasText: "writer: fresh news" }).waitFor({ state: "attached" });
    await waitUntil("the pill to go", async () => (await eve.page.getByRole("button", { name: "New messages" }).count()) === 0);

    // An unread badge for a room eve is not looking at, gone once she opens it.
    await eve.join("elsewhere");
    await call(writer, "message:send", { room: "archive", body: "while away", clientId: "w-away" });
    const link = eve.page.getByRole("navigation", { name: "Rooms" }).getByRole("button", { name: /archive/ });
    await link.locator(".badge", { hasText: "1" }).waitFor();
    // The title follows the badge in an effect after the render: wait for it, not race it.
    await waitUntil("the title to count it", async () => (await eve.page.title()) === "(1) Chat");
    await link.click();
    await eve.page.locator(".message-list .body", { hasText: "while away" }).waitFor();
    await link.locator(".badge").waitFor({ state: "detached" });
    await eve.close();
  });

  test("send errors are shown next to the composer in plain words; a rate-limited send goes by itself", async () => {
    const fay = await site.person("fay");
    await fay.signIn();
    await fay.join("limits");
    // Too long for MAX_MESSAGE_CHARS (4000): the server refuses, the page says why, and the
    // text goes back into the composer to be shortened rather than stay as a failed bubble.
    await fay.composer().fill("x".repeat(4001));
    await fay.composer().press("Enter");
    await fay.page.getByRole("alert").filter({ hasText: "That message is too long (the limit is 4000 characters)." }).waitFor();
    await waitUntil("the text to come back", async () => (await fay.composer().inputValue()) === "x".repeat(4001));
    assert.equal(await fay.page.locator(".message-list li.failed").count(), 0);
    await fay.screenshot("error-too-long.png");
    await fay.page.getByRole("button", { name: "Dismiss error" }).click();
    await fay.page.locator(".composer-error").waitFor({ state: "detached" });
    assert.deepEqual(await fay.bodies(), []);
    await fay.close();

    // A node with a tight send limit: the third message is rate_limited.
    const limited = await site.startServer({ NODE_ID: "e2e-limited", RATE_LIMIT_SENDS: "2", RATE_LIMIT_WINDOW_MS: "2000" });
    try {
      const hal = await Person.open(site.browser, "hal", limited.url);
      site.people.push(hal);
      await hal.signIn();
      await hal.join("limits");
      await hal.send("first");
      await hal.send("second");
      await hal.send("third");
      // It waits as long as the server said, counting down, and goes by itself (same clientId).
      const pending = hal.page.locator(".message-list li.pending", { hasText: "third" });
      await pending.getByText(/^Sending again in \d+ s\.$/).waitFor();
      const clientId = await pending.getAttribute("data-client-id");
      assert.ok(clientId);
      await waitUntil("the rate-limited message to be stored", async () => (await hal.bodies()).includes("third"), 20_000);
      assert.deepEqual(await hal.bodies(), ["first", "second", "third"]);
      assert.equal(await hal.page.locator(".message-list li.failed").count(), 0);
      // The stored message carries the clientId of the first attempt.
      const sock = await connect(limited.url, { username: "hal" });
      const hist = await call(sock, "room:history", { room: "limits" });
      assert.deepEqual(
        hist.messages.map((m: { body: string; clientId: string }) => m.body === "third" && m.clientId === clientId),
        [false, false, true],
      );
      await hal.close();
    } finally {
      await limited.stop();
    }
  });

  test("jwt mode: a token from ?token= signs in (and leaves the address); a bad one is refused plainly", async () => {
    const secret = "e2e-secret-that-is-long-enough-for-hs256";
    const jwtNode = await site.startServer({ NODE_ID: "e2e-jwt", AUTH_MODE: "jwt", JWT_SECRET: secret });
    try {
      const token = await hs256Token(secret, "ivy", 600);
      const ivy = await Person.open(site.browser, "ivy", jwtNode.url);
      site.people.push(ivy);
      await ivy.page.goto(`/?token=${encodeURIComponent(token)}#/vault`);
      await ivy.roomHeading("vault").waitFor();
      await ivy.page.locator(".me-name", { hasText: "ivy" }).waitFor();
      assert.ok(!ivy.page.url().includes("token="), "the token is taken out of the address bar");
      await ivy.send("signed in by token");
      await ivy.page.locator(".message-list li.msg[data-seq] .body", { hasText: "signed in by token" }).waitFor();
      await ivy.close();

      // A username against a jwt server: unauthorized, and the form switches to a token.
      const joe = await Person.open(site.browser, "joe", jwtNode.url);
      site.people.push(joe);
      await joe.page.goto("/");
      await joe.page.getByLabel("Username").fill("joe");
      await joe.page.getByLabel("Username").press("Enter");
      await joe.page.getByRole("alert").filter({ hasText: "The server did not accept your sign-in." }).waitFor();
      const field = joe.page.getByLabel("Access token");
      await field.fill("not-a-jwt");
      await field.press("Tab");
      await joe.page.keyboard.press("Enter");
      await joe.page.getByRole("alert").filter({ hasText: "The server did not accept your sign-in." }).waitFor();
      await joe.page.getByLabel("Access token").waitFor();
      await joe.close();
    } finally {
      await jwtNode.stop();
    }
  });

  test("phone width, light and dark: drawers work with the keyboard", async () => {
    for (const scheme of ["light", "dark"] as const) {
      const gus = await site.person(`gus-${scheme}`, { width: 390, height: 844, colorScheme: scheme });
      await gus.signIn("#/lobby");
      await gus.roomHeading("lobby").waitFor();
      await gus.page.locator(".message-list .body").first().waitFor();
      await gus.screenshot(`phone-${scheme}.png`);
      const menu = gus.page.getByRole("button", { name: "Rooms", exact: true });
      await menu.click();
      assert.equal(await menu.getAttribute("aria-expanded"), "true");
      await gus.page.getByLabel("Join or create a room").waitFor();
      await gus.screenshot(`phone-${scheme}-rooms.png`);
      await gus.page.keyboard.press("Escape");
      assert.equal(await menu.getAttribute("aria-expanded"), "false");
      await gus.close();
    }
  });

  test("the README screenshot", async () => {
    const a = await site.person("maria");
    const b = await site.person("li.wei");
    await a.signIn();
    await a.join("design-review");
    await b.signIn();
    await b.join("design-review");
    await a.join("general");
    await b.join("design-review");
    await b.send("Morning! The **new sidebar** is up on staging: https://staging.example.com/chat");
    await b.send("Keyboard only works too: Tab through rooms, Enter to send, Shift+Enter for a new line.");
    await a.join("design-review");
    await a.send("Looks great. Dark mode follows the system setting?");
    await b.send("@maria yes, `prefers-color-scheme`. And the footer says which node you're on.");
    await a.page.locator(".seen-by").waitFor();
    await b.composer().pressSequentially("Shipping it");
    await a.page.locator(".typing", { hasText: "li.wei is typing..." }).waitFor();
    await a.page.mouse.move(1, 1);
    const shot = await a.screenshot("readme.png");
    assert.ok(fs.statSync(path.join(RESULTS, "readme.png")).size > 10_000);
    // UPDATE_SCREENSHOT=1 refreshes the README's picture (a tracked file, so not on every run).
    if (process.env.UPDATE_SCREENSHOT === "1") fs.copyFileSync(shot, path.join(REPO, "docs/screenshot.png"));
    await a.close();
    await b.close();
  });
});
