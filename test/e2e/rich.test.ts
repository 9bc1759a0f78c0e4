/**
 * Rich messaging in the browser against one real node: two people edit (with the
 * toolbar and with Up arrow), delete, react, mention each other (highlight, sidebar
 * badge, toast) and search (newest first, paged, never another person's DM).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Locator } from "playwright-core";
import { call, connect, openDmWithNewUser } from "../helpers/client.js";
import { OneNodeSite, type Person, waitUntil } from "./browser.js";

const site = new OneNodeSite();

before(() => site.start("e2erich", { NODE_ID: "e2e-rich", RATE_LIMIT_SENDS: "1000" }));
after(() => site.stop());

/** A stored message on the page, by its text. */
function row(p: Person, text: string | RegExp): Locator {
  return p.page.locator(".message-list li.msg[data-seq]", { hasText: text });
}

/** Hovers a message and clicks one of its toolbar's buttons. */
async function act(p: Person, text: string | RegExp, button: string): Promise<void> {
  const r = row(p, text);
  await r.hover();
  await r.getByRole("button", { name: button, exact: true }).click();
}

/**
 * Makes `p`'s browser believe it is offline, as Chromium does on a machine with no network
 * beyond localhost (the server still answers), and its WebSocket reach the server `lateMs` late.
 */
async function offlineWithLateSocket(p: Person, lateMs: number): Promise<void> {
  await p.context.addInitScript({ content: "Object.defineProperty(Navigator.prototype, 'onLine', { get: () => false })" });
  await p.page.routeWebSocket(/\/socket\.io\//, (ws) => {
    setTimeout(() => ws.connectToServer(), lateMs);
  });
}

/**
 * Makes the answers to `p`'s `room:join` requests for rooms matching `room` (a pattern on
 * the frame) reach its page `ms` late, only the first of them with `once`; every other
 * frame passes on time.
 */
async function delayJoinAnswers(p: Person, room: RegExp, ms: number, { once = false } = {}): Promise<void> {
  await p.page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    let held = 0;
    server.onMessage((frame) => {
      const joinAnswer = typeof frame === "string" && frame.startsWith("43") && room.test(frame) && frame.includes('"members"');
      if (joinAnswer && !(once && held > 0)) {
        held++;
        setTimeout(() => ws.send(frame), ms);
      } else {
        ws.send(frame);
      }
    });
  });
}

describe("rich messaging in the browser", () => {
  test("edit, Up-arrow edit, delete, react, and mentions between two people", async () => {
    const alice = await site.person("alice");
    const bob = await site.person("bob", { colorScheme: "dark" });
    await alice.signIn();
    await alice.join("side");
    await alice.join("rich");
    await bob.signIn();
    await bob.join("side");
    // The room is shown with the cursor already in its composer, so the next thing typed
    // elsewhere (here the next room's name) is not taken from under the person.
    assert.equal(await bob.composer().evaluate((el) => el === document.activeElement), true, "cursor in the composer as the room shows");
    await bob.join("rich");

    await alice.send("helo wrold");
    await alice.send("to be deleted");
    await row(bob, "to be deleted").waitFor();

    // Edit with the toolbar: Enter saves; the other person sees the text and the mark.
    await act(alice, "helo wrold", "Edit message");
    const editor = alice.page.getByRole("textbox", { name: "Edit message" });
    await editor.fill("hello world");
    await editor.press("Enter");
    await row(bob, "hello world").locator(".edited").waitFor();
    assert.equal(await alice.composer().evaluate((el) => el === document.activeElement), true, "focus back in the composer");

    // bob may react to alice's message but not edit or delete it.
    const bobsView = row(bob, "hello world");
    await bobsView.hover();
    await bobsView.getByRole("button", { name: "Add reaction" }).waitFor();
    assert.equal(await bobsView.getByRole("button", { name: "Edit message" }).count(), 0);
    assert.equal(await bobsView.getByRole("button", { name: "Delete message" }).count(), 0);

    // Up arrow in the empty composer edits alice's newest message; Escape cancels.
    await alice.composer().press("ArrowUp");
    await editor.waitFor();
    assert.equal(await editor.inputValue(), "to be deleted");
    await alice.screenshot("rich-editing-light.png");
    await editor.press("End");
    await editor.pressSequentially(" NOT");
    await editor.press("Escape");
    await editor.waitFor({ state: "detached" });
    assert.equal(await row(alice, "to be deleted").locator(".body").textContent(), "to be deleted");
    // An edit the server refuses is explained on the message, in plain words.
    const seq = await row(alice, "to be deleted").getAttribute("data-seq");
    await alice.composer().press("ArrowUp");
    await editor.fill("y".repeat(4001));
    await editor.press("Enter");
    await alice.page
      .locator(`.message-list li.msg[data-seq="${seq}"]`)
      .getByRole("alert")
      .filter({ hasText: "That message is too long (the limit is 4000 characters)." })
      .waitFor();
    await editor.press("Escape");

    // Delete, with a confirmation: everyone sees the tombstone.
    await act(alice, "to be deleted", "Delete message");
    await alice.page.getByRole("button", { name: "Delete", exact: true }).click();
    await bob.page.locator(".message-list li.msg.deleted", { hasText: "Message deleted" }).waitFor();
    assert.equal(await bob.page.locator(".message-list").getByText("to be deleted").count(), 0);

    // bob reacts from the picker; alice sees who, and toggles her own by clicking the count.
    await act(bob, "hello world", "Add reaction");
    await bob.screenshot("rich-picker-dark.png");
    await bob.page.getByRole("button", { name: "React with 👍" }).click();
    const aliceChip = row(alice, "hello world").locator(".chip");
    await alice.page.getByRole("button", { name: "👍 1 reaction from bob" }).waitFor();
    assert.equal(await aliceChip.getAttribute("title"), "bob");
    await aliceChip.click();
    await bob.page.getByRole("button", { name: "👍 2 reactions from you and alice" }).waitFor();
    assert.equal(await aliceChip.getAttribute("aria-pressed"), "true");
    await aliceChip.click();
    await bob.page.getByRole("button", { name: "👍 1 reaction from you" }).waitFor();

    // Mention autocomplete: "@b" offers bob; Tab picks him.
    await alice.composer().pressSequentially("look @b");
    const option = alice.page.getByRole("option", { name: "bob" });
    await option.waitFor();
    await alice.composer().press("Tab");
    assert.equal(await alice.composer().inputValue(), "look @bob ");
    await alice.composer().pressSequentially("<b>this</b>");
    await alice.composer().press("Enter");
    const mentioned = bob.page.locator(".message-list li.msg.mentions-me", { hasText: "look @bob" });
    await mentioned.waitFor();
    assert.equal(await mentioned.locator(".mention.is-me").textContent(), "@bob");
    assert.equal(await mentioned.locator(".body b").count(), 0, "markup stays text");
    await alice.screenshot("rich-desktop-light.png");
    await bob.screenshot("rich-desktop-dark.png");

    // Mentioned in a room bob is not looking at: a badge in the sidebar and a toast.
    await bob.page.getByRole("navigation", { name: "Rooms" }).getByRole("button", { name: /side/ }).click();
    await bob.roomHeading("side").waitFor();
    await alice.send("@bob can you check #rich?");
    const richLink = bob.page.getByRole("navigation", { name: "Rooms" }).getByRole("button", { name: /rich/ });
    await richLink.locator(".mention-badge").waitFor();
    const toast = bob.page.locator(".toast", { hasText: "alice mentioned you in #rich" });
    await toast.waitFor();
    await bob.screenshot("rich-mention-toast.png");
    await toast.getByRole("button", { name: "Open" }).click();
    await bob.roomHeading("rich").waitFor();
    await bob.page.locator(".message-list li.msg.mentions-me", { hasText: "can you check" }).waitFor();
    await richLink.locator(".mention-badge").waitFor({ state: "detached" });
    // The same conversation on a phone.
    await alice.page.setViewportSize({ width: 390, height: 844 });
    await row(alice, "look @bob").click();
    await row(alice, "look @bob").getByRole("button", { name: "Edit message" }).waitFor();
    await alice.screenshot("rich-phone-light.png");
    await alice.close();
    await bob.close();
  });

  test("search: newest first, paged, opens the room at the message, never another person's DM", async () => {
    // 45 matching messages in a public room, and a DM between ann and ben.
    const writer = await connect(site.server.url, { username: "writer" });
    assert.equal((await call(writer, "room:join", { room: "zoo" })).ok, true);
    for (let i = 1; i <= 45; i++) {
      const body = i % 5 === 0 ? `filler line ${i}` : `zebra sighting ${i}`;
      assert.equal((await call(writer, "message:send", { room: "zoo", body, clientId: `z${i}` })).ok, true);
    }
    const ann = await connect(site.server.url, { username: "ann" });
    const dm = await openDmWithNewUser(site.server.url, ann, "ben");
    assert.equal((await call(ann, "room:join", { room: dm.room })).ok, true);
    assert.equal((await call(ann, "message:send", { room: dm.room, body: "zebra secret plans", clientId: "s1" })).ok, true);

    // cat, on a phone: the search box is in the rooms drawer.
    const cat = await site.person("cat", { width: 390, height: 844 });
    await cat.signIn("#/lobby");
    await cat.roomHeading("lobby").waitFor();
    await cat.page.getByRole("button", { name: "Rooms", exact: true }).click();
    const box = cat.page.getByRole("searchbox", { name: "Search messages" });
    await box.fill("zebra");
    await box.press("Enter");
    const results = cat.page.getByRole("region", { name: "Search results" }).locator(".result");
    await cat.waitFor(results.nth(19));
    await waitUntil("the first page", async () => (await results.count()) === 20);
    const first = await results.first().textContent();
    assert.match(first ?? "", /#zoo/);
    assert.match(first ?? "", /writer/);
    assert.match(first ?? "", /zebra sighting 44/);
    await cat.screenshot("search-phone-light.png");
    await cat.page.getByRole("button", { name: "Load more results" }).click();
    await waitUntil("the second page", async () => (await results.count()) === 36);
    await cat.page.getByText("No more results.").waitFor();
    const texts = await results.allTextContents();
    const numbers = texts.map((t) => Number(/zebra sighting (\d+)/.exec(t)?.[1]));
    assert.deepEqual(numbers, [...numbers].sort((a, b) => b - a), "newest first");
    assert.equal(new Set(numbers).size, 36, "each once");
    assert.ok(!texts.some((t) => t.includes("secret")), "never another person's DM");

    // The oldest result: the room opens (cat never joined it) and older pages load to it.
    await results.last().click();
    await cat.roomHeading("zoo").waitFor();
    const target = cat.page.locator('.message-list li.msg[data-seq="1"]');
    await target.waitFor();
    await waitUntil("the message in view", () => target.isVisible());
    assert.match((await target.textContent()) ?? "", /zebra sighting 1/);

    // ben, a participant, finds his DM (newest first) and the room scope narrows it.
    const ben = await site.person("ben", { colorScheme: "dark" });
    await ben.signIn();
    await ben.page.getByRole("searchbox", { name: "Search messages" }).fill("zebra plans");
    await ben.page.getByRole("searchbox", { name: "Search messages" }).press("Enter");
    const benResults = ben.page.locator(".search-panel .result");
    await ben.waitFor(benResults.first());
    assert.match((await benResults.first().textContent()) ?? "", /Direct message.*ann.*zebra secret plans/);
    await ben.screenshot("search-desktop-dark.png");
    await benResults.first().click();
    await ben.roomHeading("ann").waitFor();
    await ben.page.locator(".message-list .body", { hasText: "zebra secret plans" }).waitFor();
    await cat.close();
    await ben.close();
  });
  test("typing a search while the connection comes up: the room the page opens by itself does not take the cursor", async () => {
    const writer = await connect(site.server.url, { username: "writer" });
    assert.equal((await call(writer, "room:join", { room: "early" })).ok, true);
    assert.equal((await call(writer, "message:send", { room: "early", body: "quokka spotted", clientId: "q1" })).ok, true);
    // dee has a conversation, which the page opens by itself once connected.
    const dm = await openDmWithNewUser(site.server.url, writer, "dee");
    assert.equal((await call(writer, "room:join", { room: dm.room })).ok, true);
    assert.equal((await call(writer, "message:send", { room: dm.room, body: "hi dee", clientId: "d1" })).ok, true);
    const dee = await site.person("dee");
    await offlineWithLateSocket(dee, 1500);
    await dee.signIn();
    // dee types while the connection comes up and the conversation opens.
    const box = dee.page.getByRole("searchbox", { name: "Search messages" });
    await box.click();
    await box.pressSequentially("quokka", { delay: 400 });
    assert.equal(await box.inputValue(), "quokka", "every letter in the search box");
    await box.press("Enter");
    const first = dee.page.locator(".search-panel .result").first();
    await dee.waitFor(first);
    assert.match((await first.textContent()) ?? "", /quokka spotted/);
    await dee.page.getByRole("button", { name: "Close search" }).click();
    await dee.roomHeading("writer").waitFor();
    assert.equal(await dee.composer().inputValue(), "", "nothing typed into the conversation");
    await dee.close();
  });

  test("the first room joined by name shows before its join is answered, and the answer does not take the cursor from the next name being typed", async () => {
    const fay = await site.person("fay");
    // The answer to fay's join of "first" reaches her page 2 s late; every other frame on time.
    await delayJoinAnswers(fay, /"room":"first"/, 2000, { once: true });
    await fay.signIn();
    const box = fay.page.getByLabel("Join or create a room");
    await box.fill("first");
    await box.press("Enter");
    // The page opens it as it appears in the sidebar (it is the only room), answer or not.
    await fay.waitFor(fay.roomHeading("first"));
    // fay goes on to the next room's name while the answer is on its way (the box still
    // holds "first" until then: she clears it).
    await box.fill("");
    await box.pressSequentially("second", { delay: 400 });
    assert.equal(await box.inputValue(), "second", "every letter in the join box");
    assert.equal(await fay.composer().inputValue(), "", "nothing typed into #first");
    await box.press("Enter");
    await fay.waitFor(fay.roomHeading("second"));
    await fay.close();
  });

  test("a join answered late does not take the person away from the room or the search they opened meanwhile", async () => {
    const gus = await site.person("gus");
    // The answers to gus's joins of rooms named "slow…" reach his page 1.5 s late.
    await delayJoinAnswers(gus, /"room":"slow\w*"/, 1500);
    await gus.signIn();
    await gus.join("one");
    await gus.join("two");
    const box = gus.page.getByLabel("Join or create a room");
    // The join box empties when the answer has been handled (it still holds the name).
    const answered = () => waitUntil("the join answered", async () => (await box.inputValue()) === "");

    // He asks for a room, then goes back to #one before the answer: #one stays open.
    await box.fill("slowroom");
    await box.press("Enter");
    await gus.page.locator("button.room-link", { hasText: "one" }).click();
    await gus.waitFor(gus.roomHeading("one"));
    await answered();
    await gus.page.waitForTimeout(300);
    assert.equal(await gus.page.locator("h1.room-title").textContent(), "#one", "still in #one");
    await gus.page.locator("button.room-link", { hasText: "slowroom" }).waitFor();

    // He asks for another, then searches before the answer: the results stay open.
    await box.fill("slowtoo");
    await box.press("Enter");
    const search = gus.page.getByRole("searchbox", { name: "Search messages" });
    await search.fill("anything");
    await search.press("Enter");
    const panel = gus.page.locator(".search-panel");
    await gus.waitFor(panel);
    await answered();
    await gus.page.waitForTimeout(300);
    assert.equal(await panel.isVisible(), true, "the search is still open");
    await gus.page.locator("button.room-link", { hasText: "slowtoo" }).waitFor();

    // Asked for with nothing opened meanwhile, a late answer opens the room as before.
    await box.fill("slowest");
    await box.press("Enter");
    await gus.waitFor(gus.roomHeading("slowest"));
    await gus.close();
  });

  test("a search asked for before the connection is up waits for it, where the browser believes it is offline", async () => {
    const writer = await connect(site.server.url, { username: "writer" });
    assert.equal((await call(writer, "room:join", { room: "early" })).ok, true);
    assert.equal((await call(writer, "message:send", { room: "early", body: "wombat seen", clientId: "w1" })).ok, true);
    const eve = await site.person("eve");
    await offlineWithLateSocket(eve, 3000);
    await eve.signIn();
    const box = eve.page.getByRole("searchbox", { name: "Search messages" });
    await box.fill("wombat");
    await box.press("Enter");
    const first = eve.page.locator(".search-panel .result").first();
    await eve.waitFor(first);
    assert.match((await first.textContent()) ?? "", /wombat seen/);
    await eve.close();
  });
});
