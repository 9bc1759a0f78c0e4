/**
 * Threads in the browser, across two nodes (shared PostgreSQL and Redis): a reply on one
 * node shows as "1 reply" under the root on the other, the panel opens with the keyboard
 * and answers back live, follow/unfollow decides what counts as unread, a followed reply
 * raises a toast, and on a narrow screen the panel is a drawer that Escape closes.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv, startNodes, stopNodes, type RunningNode } from "../helpers/node.js";
import { expectAccessible } from "./axe.js";
import { CLIENT_DIST, ensureClientBuilt, launchBrowser, Person, waitUntil } from "./browser.js";

let db: TestDatabase;
const nodes: RunningNode[] = [];
let browser: Browser;
const people: Person[] = [];

before(async () => {
  ensureClientBuilt();
  db = await createTestDatabase("e2eth");
  const env = clusterEnv(db.url, `e2eth-${randomBytes(4).toString("hex")}`, { LOG_LEVEL: "warn", STATIC_DIR: CLIENT_DIST });
  await startNodes(nodes, env, ["node-a", "node-b"]);
  browser = await launchBrowser();
});

after(async () => {
  for (const p of people) assert.deepEqual(p.errors, [], `${p.name}: page errors`);
  await browser?.close();
  await stopNodes(nodes, db);
});

const panel = (p: Person) => p.page.getByRole("complementary", { name: /^Thread/ });
const summary = (p: Person) => p.page.locator(".message-list .thread-summary");
const roomLink = (p: Person, room: string) => p.page.getByRole("navigation", { name: "Rooms" }).getByRole("button", { name: new RegExp(`^${room}`) });
const focused = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.className ?? "");

describe("threads in the browser, two nodes", () => {
  test("reply, see it across nodes, answer back, follow and unfollow, the narrow drawer", async () => {
    const ann = await Person.open(browser, "ann", nodes[0]!.url);
    const bob = await Person.open(browser, "bob", nodes[1]!.url);
    people.push(ann, bob);
    await ann.signIn();
    await ann.join("ops");
    await bob.signIn();
    await bob.join("lobby");
    await bob.join("ops");
    assert.equal(await ann.page.locator("footer.node-footer strong").textContent(), "node-a");
    assert.equal(await bob.page.locator("footer.node-footer strong").textContent(), "node-b");

    await ann.send("where are the logs?");
    const root = bob.page.locator(".message-list li.msg", { hasText: "where are the logs?" });
    await bob.waitFor(root);

    // bob replies in a thread: the panel opens with the focus in its reply box.
    await root.hover();
    await root.getByRole("button", { name: "Reply in thread" }).click();
    await bob.waitFor(panel(bob));
    const bobBox = bob.page.getByRole("textbox", { name: "Reply in thread" });
    await bob.page.waitForFunction(() => document.activeElement?.id === "thread-input");
    await bobBox.fill("in /var/log/chat");
    await bobBox.press("Enter");
    await bob.waitFor(panel(bob).locator(".thread-replies li.msg[data-seq] .body", { hasText: "in /var/log/chat" }));

    // ann (the root's author, so following) sees "1 reply" under the root and a toast; the
    // reply stays out of the room's timeline.
    await ann.waitFor(summary(ann).filter({ hasText: "1 reply" }));
    await ann.waitFor(ann.page.locator(".toast", { hasText: "bob replied in a thread you follow" }));
    assert.deepEqual(await ann.bodies(), ["where are the logs?"]);
    await summary(ann).focus();
    await ann.page.keyboard.press("Enter");
    await ann.waitFor(panel(ann).locator(".body", { hasText: "in /var/log/chat" }));
    await ann.page.waitForFunction(() => document.activeElement?.id === "thread-input");
    await expectAccessible(ann.page, "thread panel");
    await ann.page.emulateMedia({ colorScheme: "dark" });
    await expectAccessible(ann.page, "thread panel (dark)");
    await ann.page.emulateMedia({ colorScheme: "light" });
    await ann.screenshot("thread-panel.png");
    await ann.page.getByRole("textbox", { name: "Reply in thread" }).fill("thanks!");
    await ann.page.getByRole("textbox", { name: "Reply in thread" }).press("Enter");
    // Live into bob's open panel, across the nodes; the root's summary follows.
    await bob.waitFor(panel(bob).locator(".body", { hasText: "thanks!" }));
    await bob.waitFor(panel(bob).locator(".thread-divider", { hasText: "2 replies" }));
    await ann.waitFor(summary(ann).filter({ hasText: "2 replies" }));

    // A reaction in the panel reaches the other side's panel.
    const reply = ann.page.locator("#thread-panel li.msg", { hasText: "in /var/log/chat" });
    await reply.hover();
    await reply.getByRole("button", { name: "Add reaction" }).click();
    await reply.getByRole("button", { name: "React with 👍" }).click();
    await bob.waitFor(panel(bob).locator("li.msg", { hasText: "in /var/log/chat" }).locator(".chip", { hasText: "1" }));

    // Escape closes ann's panel and gives the focus back to the "N replies" button.
    await ann.page.keyboard.press("Escape");
    await panel(ann).waitFor({ state: "detached" });
    // (The panel gives it back a timer after it is gone: waited for, not raced.)
    await waitUntil("the focus back on the thread's button", async () => /thread-summary/.test(await focused(ann.page)));

    // bob (a replier, so following) unfollows and goes elsewhere: ann's next reply does not
    // count for him, her next room message does.
    const follow = panel(bob).getByRole("button", { name: /^Follow/ });
    assert.equal(await follow.getAttribute("aria-pressed"), "true");
    await follow.click();
    await bob.waitFor(panel(bob).getByRole("button", { name: "Follow", pressed: false }));
    await roomLink(bob, "lobby").click();
    await bob.roomHeading("lobby").waitFor();
    await summary(ann).click();
    await ann.page.getByRole("textbox", { name: "Reply in thread" }).fill("one more thing");
    await ann.page.getByRole("textbox", { name: "Reply in thread" }).press("Enter");
    await ann.waitFor(panel(ann).locator("li.msg[data-seq] .body", { hasText: "one more thing" }));
    await ann.page.keyboard.press("Escape");
    await ann.send("ping");
    await bob.waitFor(roomLink(bob, "ops").locator(".badge", { hasText: "1" }));
    assert.equal(await roomLink(bob, "ops").locator(".thread-badge").count(), 0);
    // The server agrees: after a reload the counts come from rooms:list.
    await bob.page.reload();
    await bob.waitFor(roomLink(bob, "ops").locator(".badge", { hasText: "1" }));
    assert.equal(await roomLink(bob, "ops").locator(".thread-badge").count(), 0);

    // bob follows again (the panel learns he does not, from thread:history).
    await roomLink(bob, "ops").click();
    await bob.waitFor(summary(bob).filter({ hasText: "3 replies" }));
    await summary(bob).click();
    await bob.waitFor(panel(bob).getByRole("button", { name: "Follow", pressed: false }));
    await panel(bob).getByRole("button", { name: "Follow" }).click();
    await bob.waitFor(panel(bob).getByRole("button", { name: "Following", pressed: true }));
    await roomLink(bob, "lobby").click();
    await bob.roomHeading("lobby").waitFor();
    await summary(ann).click();
    await ann.page.getByRole("textbox", { name: "Reply in thread" }).fill("last one");
    await ann.page.getByRole("textbox", { name: "Reply in thread" }).press("Enter");
    await bob.waitFor(roomLink(bob, "ops").locator(".thread-badge"));
    await bob.waitFor(roomLink(bob, "ops").locator(".badge:not(.thread-badge)", { hasText: "1" }));
    await bob.waitFor(bob.page.locator(".toast", { hasText: "ann replied in a thread you follow" }));
    await ann.page.keyboard.press("Escape");

    // Narrow screen: the panel is a drawer over the room; Escape closes it, the focus goes back.
    await bob.page.setViewportSize({ width: 420, height: 800 });
    await bob.page.goto("/#/ops");
    await bob.waitFor(summary(bob).filter({ hasText: "4 replies" }));
    await summary(bob).click();
    await bob.waitFor(panel(bob).locator(".body", { hasText: "last one" }));
    const box = await panel(bob).boundingBox();
    assert.ok(box && box.width >= 400, "the drawer covers the narrow screen");
    await bob.waitFor(bob.page.locator(".thread-scrim"));
    await expectAccessible(bob.page, "thread drawer (narrow)");
    await bob.screenshot("thread-drawer.png");
    // A modal drawer: Tab and Shift+Tab stay inside it.
    for (const key of ["Shift+Tab", "Shift+Tab", "Shift+Tab", "Tab", "Tab", "Tab", "Tab", "Tab", "Tab"]) {
      await bob.page.keyboard.press(key);
      assert.ok(await bob.page.evaluate(() => !!document.activeElement?.closest("#thread-panel")), `focus in the drawer after ${key}`);
    }
    await bob.page.keyboard.press("Escape");
    await panel(bob).waitFor({ state: "detached" });
    await waitUntil("the focus back on the thread's button", async () => /thread-summary/.test(await focused(bob.page)));
  });
});
