/**
 * Keyboard in the browser against one real node: Ctrl+K opens a quick room switcher
 * (type, arrows, Enter; Escape gives the focus back), a refused name stays in the
 * sign-in field to be corrected, and the message list is one Tab stop that the arrow keys
 * move through, with each message's actions a key away.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call, connect } from "../helpers/client.js";
import { expectAccessible } from "./axe.js";
import { OneNodeSite, waitUntil, type Person } from "./browser.js";

const site = new OneNodeSite();

before(() => site.start("e2ekeys", { NODE_ID: "e2e-keys", RATE_LIMIT_SENDS: "1000", EVENT_RATE_LIMIT: "0" }));
after(() => site.stop());

describe("keyboard in the browser", () => {
  test("Ctrl+K opens a quick room switcher: type, arrows, Enter; Escape gives the focus back", async () => {
    const alice = await site.person("alice");
    const bob = await site.person("bob", { colorScheme: "dark" });
    await alice.signIn();
    for (const room of ["alpha", "beta", "gamma"]) await alice.join(room);
    await bob.signIn();
    await bob.join("beta");
    await bob.send("over in beta");

    const dialog = alice.page.getByRole("dialog", { name: "Go to a room" });
    await alice.composer().press("Control+k");
    await dialog.waitFor();
    const input = dialog.getByRole("combobox", { name: "Room name" });
    assert.equal(await input.evaluate((el) => el === document.activeElement), true, "the cursor is in the switcher");
    await expectAccessible(alice.page, "quick room switcher");

    // Escape closes it and gives the focus back to the composer.
    await input.press("Escape");
    await dialog.waitFor({ state: "detached" });
    assert.equal(await alice.composer().evaluate((el) => el === document.activeElement), true);

    await alice.page.keyboard.press("Control+k");
    await input.fill("ph");
    assert.deepEqual(await dialog.getByRole("option").allTextContents(), ["alpha"]);
    await input.fill("ta");
    assert.deepEqual(await dialog.getByRole("option").allTextContents(), ["beta"], "anywhere in the name");
    await input.fill("a");
    assert.equal((await dialog.getByRole("option").allTextContents())[0], "alpha", "names starting with it come first");
    await input.fill("bet");
    await input.press("Enter");
    await dialog.waitFor({ state: "detached" });
    await alice.waitFor(alice.roomHeading("beta"));
    await waitUntil("bob's message in beta", async () => (await alice.bodies()).includes("over in beta"));
    assert.equal(await alice.composer().evaluate((el) => el === document.activeElement), true, "the room's composer has the cursor");

    // Arrow keys move the choice.
    await alice.page.keyboard.press("Control+k");
    await input.fill("a");
    await input.press("ArrowDown");
    const options = await dialog.getByRole("option").allTextContents();
    assert.equal(await dialog.getByRole("option", { selected: true }).textContent(), options[1]);
    await input.press("Enter");
    await alice.waitFor(alice.roomHeading(options[1]!));
    await alice.close();
    await bob.close();
  });

  test("a refused username stays in the field to be corrected", async () => {
    const p = await site.person("bad name!");
    await p.page.goto("/");
    const field = p.page.getByLabel("Username");
    await field.fill("bad name!");
    await field.press("Enter");
    await p.page.getByRole("alert").filter({ hasText: "That username isn't allowed" }).waitFor();
    await waitUntil("the refused name back in the field", async () => (await field.inputValue()) === "bad name!");
    await expectAccessible(p.page, "sign-in after a refusal");
    // Corrected in place, it signs in.
    await field.fill("good-name");
    await field.press("Enter");
    await p.page.locator(".shell").waitFor();
    await p.close();
  });

  test("the message list is one Tab stop: arrows move between messages, Enter reaches a message's actions", async () => {
    const kim = await site.person("kim");
    const lou = await site.person("lou");
    await kim.signIn();
    await kim.join("keys");
    await lou.signIn();
    await lou.join("keys");
    for (const t of ["one", "two", "three", "four"]) await lou.send(t);
    await kim.page.locator(".message-list .body", { hasText: "four" }).waitFor();

    // From the room header, Tab reaches the newest message, then only its own actions, then leaves.
    await kim.page.locator(".members-toggle").focus();
    await kim.page.keyboard.press("Tab");
    assert.equal(await focusedMessage(kim), "four", "Tab lands on the newest message");
    assert.equal(await kim.page.evaluate(() => document.activeElement?.getAttribute("role")), "article");
    const stops: string[] = [];
    for (let i = 0; i < 12; i++) {
      await kim.page.keyboard.press("Tab");
      const where = await kim.page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const msg = el.closest(".message-list li");
        return msg ? `in:${msg.querySelector(".body")?.textContent ?? ""}` : el.id || el.tagName;
      });
      stops.push(where);
      if (!where.startsWith("in:")) break;
    }
    assert.ok(
      stops.slice(0, -1).every((s) => s === "in:four"),
      `Tab went through other messages: ${stops.join(", ")}`,
    );
    assert.ok(!stops[stops.length - 1]!.startsWith("in:"), "and then out of the list");

    // Shift+Tab comes back to the same message; arrows, Home and End move.
    await kim.page.locator(".members-toggle").focus();
    await kim.page.keyboard.press("Tab");
    await kim.page.keyboard.press("ArrowUp");
    assert.equal(await focusedMessage(kim), "three");
    await kim.page.keyboard.press("Home");
    assert.equal(await focusedMessage(kim), "one");
    await kim.page.keyboard.press("ArrowDown");
    assert.equal(await focusedMessage(kim), "two");
    await kim.page.keyboard.press("End");
    assert.equal(await focusedMessage(kim), "four");
    await kim.page.keyboard.press("PageUp");
    assert.notEqual(await focusedMessage(kim), "four");
    await kim.page.keyboard.press("ArrowUp");
    await kim.page.keyboard.press("Home");
    await kim.page.keyboard.press("ArrowDown");
    assert.equal(await focusedMessage(kim), "two");

    // A message arriving keeps the focus where it is.
    await lou.send("five");
    await kim.page.locator(".message-list .body", { hasText: "five" }).waitFor();
    assert.equal(await focusedMessage(kim), "two");
    await expectAccessible(kim.page, "a focused message");

    // Enter moves into its actions: react with the keyboard; lou sees it.
    await kim.page.keyboard.press("Enter");
    assert.equal(await kim.page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Add reaction");
    await kim.page.keyboard.press("Enter");
    await waitUntil("the picker has the focus", async () =>
      kim.page.evaluate(() => document.activeElement?.getAttribute("aria-label")?.startsWith("React with") === true),
    );
    await kim.page.keyboard.press("Enter");
    const reacted = lou.page.locator(".message-list li.msg", { hasText: "two" }).locator(".reactions .chip");
    await reacted.first().waitFor();
    // Escape from the actions comes back to the message, which keeps the Tab stop.
    await kim.page.keyboard.press("Escape");
    assert.equal(await focusedMessage(kim), "two");
    await kim.close();
    await lou.close();
  });

  test("Home and Up past the first loaded message page older history in, keeping the focus on messages", async () => {
    const w = await connect(site.server.url, { username: "teller" });
    assert.equal((await call(w, "room:join", { room: "saga" })).ok, true);
    for (let i = 1; i <= 130; i++) {
      assert.equal((await call(w, "message:send", { room: "saga", body: `part ${i}`, clientId: `p${i}` })).ok, true);
    }
    const max = await site.person("max");
    await max.signIn();
    await max.join("saga");
    await max.page.locator(".message-list .body", { hasText: "part 130" }).waitFor();
    await max.page.locator(".members-toggle").focus();
    await max.page.keyboard.press("Tab");
    assert.equal(await focusedMessage(max), "part 130");
    // Each Home goes to the first loaded message, and from there asks for the older page.
    await waitUntil("the very first message focused", async () => {
      await max.page.keyboard.press("Home");
      return (await focusedMessage(max)) === "part 1";
    }, 30_000);
    await max.page.keyboard.press("ArrowDown");
    assert.equal(await focusedMessage(max), "part 2");
    await max.close();
  });
});

/** The body of the message that has the focus itself (not one of its controls). */
function focusedMessage(p: Person): Promise<string | undefined> {
  return p.page.evaluate(() => {
    const el = document.activeElement;
    return el?.getAttribute("role") === "article" ? (el.querySelector(".body")?.textContent ?? "") : undefined;
  });
}
