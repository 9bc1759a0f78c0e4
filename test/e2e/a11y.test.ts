/**
 * Accessibility in the browser: axe-core (WCAG 2.1 A and AA) on every screen and state a
 * person reaches, light and dark, desktop and phone, with zero serious or critical
 * findings; then what axe cannot see, through the accessibility tree and the focus: a new
 * message is announced once, focus comes back to the composer after sending, and the
 * delete confirmation and the phone drawers keep and give back the focus.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call, connect } from "../helpers/client.js";
import { expectAccessible } from "./axe.js";
import { hs256Token, OneNodeSite, Person, waitUntil } from "./browser.js";

const site = new OneNodeSite();

before(() => site.start("e2ea11y", { NODE_ID: "e2e-a11y", RATE_LIMIT_SENDS: "1000", EVENT_RATE_LIMIT: "0" }));
after(() => site.stop());

/** The id of the focused element, or its accessible name's first words. */
function focused(p: Person): Promise<string> {
  return p.page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return "(body)";
    return el.id || el.getAttribute("aria-label") || el.textContent?.trim().slice(0, 40) || el.tagName;
  });
}

/** Records every text the page's live region for new messages shows, in order. */
async function recordAnnouncements(p: Person): Promise<void> {
  await p.page.evaluate(() => {
    const region = document.querySelector(".room > [aria-live]");
    if (!region) throw new Error("no live region for new messages");
    const w = window as unknown as { announced: string[] };
    w.announced = [];
    new MutationObserver(() => {
      const t = region.textContent ?? "";
      if (t !== "") w.announced.push(t);
    }).observe(region, { childList: true, characterData: true, subtree: true });
  });
}

function announcements(p: Person): Promise<string[]> {
  return p.page.evaluate(() => (window as unknown as { announced: string[] }).announced);
}

describe("accessibility (axe-core, WCAG 2.1 A and AA)", () => {
  before(async () => {
    // History over two days' worth of separators is not needed: one day separator, the
    // beginning of the conversation, reactions, an edit and a mention are.
    const w = await connect(site.server.url, { username: "writer" });
    assert.equal((await call(w, "room:join", { room: "lobby" })).ok, true);
    for (let i = 1; i <= 5; i++) {
      assert.equal((await call(w, "message:send", { room: "lobby", body: `hello ${i} https://example.com/${i}`, clientId: `w${i}` })).ok, true);
    }
  });

  for (const scheme of ["light", "dark"] as const) {
    test(`desktop, ${scheme}: sign-in, a room with messages, the mention popup, edit and delete, members, a DM, search`, async () => {
      const amy = await site.person(`amy-${scheme}`, { colorScheme: scheme });
      await amy.page.goto("/");
      await amy.page.getByLabel("Username").waitFor();
      await expectAccessible(amy.page, `sign-in (${scheme})`);

      // A refused name: the form with its alert.
      await amy.page.getByLabel("Username").fill("no spaces allowed");
      await amy.page.getByLabel("Username").press("Enter");
      await amy.page.getByRole("alert").waitFor();
      await expectAccessible(amy.page, `sign-in refused (${scheme})`);

      await amy.signIn();
      await amy.join("lobby");
      await amy.page.locator(".message-list li.msg[data-seq]").nth(4).waitFor();
      await amy.send(`my own line (${scheme}), @writer thanks`);
      await amy.page.locator(".message-list li.msg[data-seq]", { hasText: `my own line (${scheme})` }).waitFor();
      await amy.page.locator(".message-list li.msg[data-seq]").first().hover();
      await expectAccessible(amy.page, `room with messages (${scheme})`);

      // The mention popup.
      await amy.composer().pressSequentially("@wri");
      await amy.page.getByRole("listbox", { name: "People to mention" }).waitFor();
      await expectAccessible(amy.page, `mention popup (${scheme})`);
      await amy.composer().press("Escape");
      await amy.composer().fill("");

      // Editing (Up arrow) and deleting the own message.
      await amy.composer().press("ArrowUp");
      await amy.page.locator(".msg.editing textarea").waitFor();
      await expectAccessible(amy.page, `edit box (${scheme})`);
      await amy.page.locator(".msg.editing textarea").press("Escape");
      const mine = amy.page.locator(".message-list li.msg[data-seq]", { hasText: `my own line (${scheme})` });
      await mine.hover();
      await mine.getByRole("button", { name: "Delete message" }).click();
      await mine.getByRole("button", { name: "Delete", exact: true }).waitFor();
      await expectAccessible(amy.page, `delete confirmation (${scheme})`);
      await amy.page.keyboard.press("Escape");

      // The member list (beside the room on a desktop), then a DM opened from it.
      const members = amy.page.getByRole("complementary", { name: "Online members" });
      await members.getByRole("button", { name: /writer/ }).waitFor();
      await expectAccessible(amy.page, `member panel (${scheme})`);
      await members.getByRole("button", { name: /writer/ }).click();
      await amy.page.getByRole("main", { name: "Conversation with writer" }).waitFor();
      await amy.send("a direct word");
      await amy.page.locator(".message-list li.msg[data-seq]", { hasText: "a direct word" }).waitFor();
      await expectAccessible(amy.page, `DM (${scheme})`);

      // Search results.
      const box = amy.page.getByRole("searchbox", { name: "Search messages" });
      await box.fill("hello");
      await box.press("Enter");
      await amy.page.getByRole("region", { name: "Search results" }).locator(".result").first().waitFor();
      await expectAccessible(amy.page, `search results (${scheme})`);
      await amy.close();
    });

    test(`phone 390×844, ${scheme}: the room, the rooms drawer and the members drawer`, async () => {
      const pia = await site.person(`pia-${scheme}`, { width: 390, height: 844, colorScheme: scheme });
      await pia.signIn("#/lobby");
      await pia.roomHeading("lobby").waitFor();
      await pia.page.locator(".message-list .body").first().waitFor();
      await expectAccessible(pia.page, `phone room (${scheme})`);
      await pia.page.getByRole("button", { name: "Rooms", exact: true }).click();
      await pia.page.getByLabel("Join or create a room").waitFor();
      await expectAccessible(pia.page, `phone rooms drawer (${scheme})`);
      await pia.page.keyboard.press("Escape");
      await pia.page.getByRole("button", { name: /online$/ }).click();
      await pia.page.getByRole("complementary", { name: "Online members" }).getByRole("button").first().waitFor();
      await expectAccessible(pia.page, `phone members drawer (${scheme})`);
      await pia.close();
    });
  }

  test("jwt sign-in, and the reconnect banner", async () => {
    const secret = "e2e-secret-that-is-long-enough-for-hs256";
    const jwtNode = await site.startServer({ NODE_ID: "e2e-a11y-jwt", AUTH_MODE: "jwt", JWT_SECRET: secret });
    try {
      const joe = await Person.open(site.browser, "joe", jwtNode.url, { colorScheme: "dark" });
      site.people.push(joe);
      await joe.page.goto("/");
      await joe.page.getByLabel("Username").fill("joe");
      await joe.page.getByLabel("Username").press("Enter");
      await joe.page.getByLabel("Access token").waitFor();
      await expectAccessible(joe.page, "jwt sign-in, token field");

      const token = await hs256Token(secret, "ivy", 600);
      const ivy = await Person.open(site.browser, "ivy", jwtNode.url);
      site.people.push(ivy);
      await ivy.page.goto(`/?token=${encodeURIComponent(token)}#/vault`);
      await ivy.roomHeading("vault").waitFor();
      await ivy.send("before the node goes");
      await ivy.page.locator(".message-list li.msg[data-seq]").first().waitFor();
      // The node serving ivy stops: the page says it is reconnecting.
      await jwtNode.stop();
      await ivy.page.locator(".banner").waitFor();
      await expectAccessible(ivy.page, "reconnect banner");
      await ivy.close();
      await joe.close();
    } finally {
      await jwtNode.stop();
    }
  });
});

describe("what axe cannot see", () => {
  test("a new message is announced once, not for every history page; focus returns to the composer after sending", async () => {
    const w = await connect(site.server.url, { username: "teller" });
    assert.equal((await call(w, "room:join", { room: "story" })).ok, true);
    for (let i = 1; i <= 120; i++) {
      assert.equal((await call(w, "message:send", { room: "story", body: `chapter ${i}`, clientId: `c${i}` })).ok, true);
    }
    const rae = await site.person("rae");
    await rae.signIn();
    await rae.join("story");
    await rae.page.locator(".message-list .body", { hasText: "chapter 120" }).waitFor();
    await recordAnnouncements(rae);

    // Older pages come in as rae scrolls up: none of them is announced.
    const list = rae.page.locator(".messages");
    await waitUntil("older pages loaded", async () => {
      await list.evaluate((el) => (el.scrollTop = 0));
      return (await rae.page.locator(".message-list .body", { hasText: /^chapter 1$/ }).count()) === 1;
    });
    assert.deepEqual(await announcements(rae), []);

    // A new message: announced once, with its author.
    assert.equal((await call(w, "message:send", { room: "story", body: "the end", clientId: "end" })).ok, true);
    await rae.page.locator(".message-list .body", { hasText: "the end" }).waitFor();
    await waitUntil("the announcement", async () => (await announcements(rae)).length > 0);
    // Leaving the room and coming back does not announce it again.
    await rae.join("elsewhere");
    await rae.page.getByRole("link", { name: /story/ }).or(rae.page.getByRole("button", { name: /story/ })).first().click();
    await rae.roomHeading("story").waitFor();
    assert.deepEqual(await announcements(rae), ["teller: the end"]);

    // Sending with Enter keeps the cursor in the box; sending with the button brings it back.
    await rae.send("typed and entered");
    assert.equal(await focused(rae), "composer-input");
    await rae.composer().fill("typed and clicked");
    await rae.page.getByRole("button", { name: "Send", exact: true }).click();
    await rae.page.locator(".message-list .body", { hasText: "typed and clicked" }).waitFor();
    assert.equal(await focused(rae), "composer-input");
    await rae.close();
  });

  test("the delete confirmation and the phone drawers keep the focus inside and give it back", async () => {
    const dot = await site.person("dot");
    await dot.signIn();
    await dot.join("focus");
    await dot.send("to be deleted");
    const row = dot.page.locator(".message-list li.msg[data-seq]", { hasText: "to be deleted" });
    await row.waitFor();
    await row.hover();
    await row.getByRole("button", { name: "Delete message" }).click();
    const dialog = dot.page.getByRole("alertdialog", { name: "Delete this message?" });
    await dialog.waitFor();
    assert.equal(await focused(dot), "Delete");
    await dot.page.keyboard.press("Tab");
    assert.equal(await focused(dot), "Cancel");
    await dot.page.keyboard.press("Tab");
    assert.equal(await focused(dot), "Delete", "Tab stays inside the confirmation");
    await dot.page.keyboard.press("Shift+Tab");
    assert.equal(await focused(dot), "Cancel", "Shift+Tab too");
    await dot.page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await waitUntil("focus back on the button that opened it", async () => (await focused(dot)) === "Delete message");
    await dot.close();

    const fay = await site.person("fay", { width: 390, height: 844 });
    await fay.signIn("#/focus");
    await fay.roomHeading("focus").waitFor();
    const menu = fay.page.getByRole("button", { name: "Rooms", exact: true });
    await menu.focus();
    await menu.press("Enter");
    await waitUntil("focus inside the rooms drawer", async () =>
      fay.page.evaluate(() => document.getElementById("sidebar")?.contains(document.activeElement) === true),
    );
    // Tabbing through the whole drawer never leaves it.
    for (let i = 0; i < 25; i++) {
      await fay.page.keyboard.press("Tab");
      assert.ok(
        await fay.page.evaluate(() => document.getElementById("sidebar")?.contains(document.activeElement) === true),
        `Tab ${i + 1} left the drawer for ${await focused(fay)}`,
      );
    }
    await fay.page.keyboard.press("Escape");
    assert.equal(await menu.getAttribute("aria-expanded"), "false");
    await waitUntil("focus back on the Rooms button", async () => (await focused(fay)) === "Rooms");
    await fay.close();
  });
});
