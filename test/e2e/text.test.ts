/**
 * Text in the browser against one real node. Formatting: two people, one sends Markdown,
 * emoji shortcodes and hostile text, the other sees the right elements (and never markup
 * from a body); the composer's emoji picker and `:` autocomplete insert emoji. Languages:
 * a German browser gets the German UI, and switching to English sticks.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { expectAccessible } from "./axe.js";
import { OneNodeSite } from "./browser.js";

const site = new OneNodeSite();

before(() => site.start("e2etext", { NODE_ID: "e2e-text", RATE_LIMIT_SENDS: "1000" }));
after(() => site.stop());

describe("formatting", () => {
  test("Markdown renders as elements, hostile text as text", async () => {
    const ada = await site.person("ada");
    const bea = await site.person("bea");
    await ada.signIn();
    await ada.join("fmt");
    await bea.signIn();
    await bea.join("fmt");

    const body = [
      "**bold** *it* ~~old~~ `npm ci` @bea see https://example.com/x_y",
      "> quoted",
      "- one",
      "- two",
      "```",
      "<b>not bold</b> **nor this**",
      "```",
    ].join("\n");
    await ada.send(body);
    const msg = bea.page.locator(".message-list li.msg[data-seq]", { hasText: "quoted" });
    await bea.waitFor(msg);
    const b = msg.locator(".body");
    assert.equal(await b.locator("strong").textContent(), "bold");
    assert.equal(await b.locator("em").textContent(), "it");
    assert.equal(await b.locator("del").textContent(), "old");
    assert.equal(await b.locator(":scope > .md-p code").textContent(), "npm ci");
    assert.equal(await b.locator(".mention.is-me").textContent(), "@bea");
    assert.equal(await b.locator("a").getAttribute("href"), "https://example.com/x_y");
    assert.equal(await b.locator("blockquote").textContent(), "quoted");
    assert.deepEqual(await b.locator("ul > li").allTextContents(), ["one", "two"]);
    assert.equal(await b.locator("pre code").textContent(), "<b>not bold</b> **nor this**");
    assert.equal(await b.locator("pre b, pre strong").count(), 0);
    const mono = await b.locator("pre").evaluate((el) => getComputedStyle(el).fontFamily);
    assert.match(mono, /mono/i);

    const evil = `**<img src=x onerror=alert(1)>** [x](javascript:alert(2)) _<script>alert(3)</script>_ > javascript:alert(4)`;
    await ada.send(evil);
    const bad = bea.page.locator(".message-list li.msg[data-seq]", { hasText: "onerror" });
    await bea.waitFor(bad);
    assert.equal(await bad.locator(".body strong").textContent(), "<img src=x onerror=alert(1)>");
    assert.equal(await bad.locator(".body em").textContent(), "<script>alert(3)</script>");
    assert.equal(await bea.page.locator(".message-list").locator("img, script, a[href^='javascript']").count(), 0);
    assert.equal(await bad.locator("a").count(), 0);
    assert.deepEqual(bea.dialogs, []);
    await bea.screenshot("format-desktop.png");
    await expectAccessible(bea.page, "formatted messages");
    await ada.close();
    await bea.close();
  });

  test("the emoji picker and : autocomplete insert emoji; :tada: renders as 🎉", async () => {
    const cy = await site.person("cy");
    const dee = await site.person("dee");
    await cy.signIn();
    await cy.join("emoji");
    await dee.signIn();
    await dee.join("emoji");

    // The picker, by the keyboard: it opens on the first emoji, arrows move, Escape gives the focus back.
    const toggle = cy.page.getByRole("button", { name: "Insert emoji" });
    await cy.composer().fill("party ");
    await toggle.click();
    const grid = cy.page.getByRole("dialog", { name: "Emoji" });
    await grid.waitFor();
    assert.equal(await toggle.getAttribute("aria-expanded"), "true");
    await cy.page.keyboard.press("ArrowRight");
    assert.equal(await cy.page.evaluate(() => document.activeElement?.getAttribute("aria-label")), ":joy:");
    await cy.page.keyboard.press("Escape");
    await grid.waitFor({ state: "detached" });
    assert.equal(await cy.page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Insert emoji");
    await toggle.click();
    await expectAccessible(cy.page, "emoji picker open");
    await grid.getByRole("button", { name: ":tada:" }).click();
    await grid.waitFor({ state: "detached" });
    assert.equal(await cy.composer().inputValue(), "party 🎉");
    // The focus is back in the box: typing goes on where the emoji went.
    await cy.page.keyboard.type(" :he");
    await cy.page.getByRole("option", { name: ":heart:" }).waitFor();
    await cy.page.keyboard.type("art_e");
    await cy.page.keyboard.press("Tab");
    assert.equal(await cy.composer().inputValue(), "party 🎉 😍 ");
    await cy.page.keyboard.type("and :tada: typed");
    await cy.page.keyboard.press("Enter");

    const got = dee.page.locator(".message-list li.msg[data-seq]", { hasText: "typed" });
    await dee.waitFor(got);
    assert.equal(await got.locator(".body").textContent(), "party 🎉 😍 and 🎉 typed");
    assert.equal(await got.locator(".body .emoji").getAttribute("title"), ":tada:");
    await cy.close();
    await dee.close();
  });
});

describe("languages", () => {
  test("a German browser gets the German UI; switching to English sticks; ?lang= overrides", async () => {
    const otto = await site.person("otto");
    const hanna = await site.person("hanna", { locale: "de-DE" });
    await otto.signIn();
    await otto.join("sprachen");

    await hanna.page.goto("/");
    await hanna.waitFor(hanna.page.locator("html[lang=de]"));
    await hanna.page.getByRole("heading", { name: "Willkommen im Chat" }).waitFor();
    await hanna.page.getByLabel("Benutzername").fill("hanna");
    await hanna.page.getByRole("button", { name: "Anmelden", exact: true }).click();
    const join = hanna.page.getByLabel("Raum betreten oder erstellen");
    await join.fill("sprachen");
    await join.press("Enter");
    await hanna.waitFor(hanna.roomHeading("sprachen"));
    await otto.send("hallo hanna");
    await hanna.waitFor(hanna.page.locator(".message-list .body", { hasText: "hallo hanna" }));
    assert.equal(await hanna.page.locator(".members-toggle").textContent(), "2 online");
    await hanna.page.locator(".day-sep", { hasText: "Heute" }).waitFor();
    await hanna.page.locator(".msg-meta time", { hasText: "gerade eben" }).first().waitFor();
    await hanna.page.getByRole("textbox", { name: "Nachricht an #sprachen" }).waitFor();
    // Dates in the chosen locale: German weekday and month names in the tooltip.
    const full = await hanna.page.locator(".msg-meta time").first().getAttribute("title");
    assert.match(full ?? "", /(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)/);
    await hanna.screenshot("language-de.png");
    await expectAccessible(hanna.page, "a room in German");

    // Switching: the page reloads in English, still signed in, and stays English on reload.
    await hanna.page.getByRole("combobox", { name: "Sprache", exact: true }).selectOption("en");
    await hanna.waitFor(hanna.page.locator("html[lang=en]"));
    await hanna.waitFor(hanna.page.getByLabel("Join or create a room"));
    await hanna.page.reload();
    await hanna.waitFor(hanna.page.getByLabel("Join or create a room"));
    assert.equal(await hanna.page.locator("html").getAttribute("lang"), "en");
    assert.equal(await hanna.page.getByRole("combobox", { name: "Language", exact: true }).inputValue(), "en");

    // ?lang= wins over the browser's language and the saved choice, for that load.
    await otto.page.goto("/?lang=de");
    await otto.waitFor(otto.page.getByLabel("Raum betreten oder erstellen"));
    assert.equal(await otto.page.locator("html").getAttribute("lang"), "de");
    await otto.close();
    await hanna.close();
  });
});
