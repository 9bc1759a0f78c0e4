/**
 * Keyboard in the browser against one real node: Ctrl+K opens a quick room switcher
 * (type, arrows, Enter; Escape gives the focus back), and a refused name stays in the
 * sign-in field to be corrected.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { expectAccessible } from "./axe.js";
import { OneNodeSite, waitUntil } from "./browser.js";

const site = new OneNodeSite();

before(() => site.start("e2ekeys", { NODE_ID: "e2e-keys", RATE_LIMIT_SENDS: "1000" }));
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
});
