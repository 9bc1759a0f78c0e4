/**
 * Sending, as two people see it on one real node with tight limits: a rate-limited message
 * sends itself when the server's `retryAfterMs` has passed (with a live countdown), a message
 * refused as too long goes back into the composer with a character counter, and drafts
 * are kept per room across reloads.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { expectAccessible } from "./axe.js";
import { OneNodeSite, waitUntil } from "./browser.js";

const site = new OneNodeSite();

before(() =>
  site.start("e2esend", { NODE_ID: "e2e-send", RATE_LIMIT_SENDS: "2", RATE_LIMIT_WINDOW_MS: "3000", MAX_MESSAGE_CHARS: "50" }),
);
after(() => site.stop());

describe("sending in the browser", () => {
  test("a rate-limited message sends itself when the window has passed, with a countdown", async () => {
    const alice = await site.person("alice");
    const bob = await site.person("bob");
    await alice.signIn();
    await alice.join("burst");
    await bob.signIn();
    await bob.join("burst");

    for (const body of ["one", "two", "three", "four"]) await alice.send(body);
    // The third is over RATE_LIMIT_SENDS: it waits, saying for how long, and is not "Not sent".
    const waiting = alice.page.locator(".message-list li.msg.pending", { hasText: "three" });
    await alice.waitFor(waiting.getByText(/^Sending again in \d+ s\.?$/));
    assert.equal(await alice.page.locator(".message-list li.failed").count(), 0);
    await expectAccessible(alice.page, "a message waiting out the rate limit");

    // Nobody clicks anything: both see all four, in the order written.
    for (const p of [alice, bob]) {
      await waitUntil(`${p.name} to see every message`, async () => (await p.bodies()).length === 4, 20_000);
      assert.deepEqual(await p.bodies(), ["one", "two", "three", "four"]);
    }
    assert.equal(await alice.page.locator(".message-list li.msg:not([data-seq])").count(), 0, "nothing left pending");
    await alice.close();
    await bob.close();
  });

  test("a message refused as too long goes back into the composer, with a counter near the limit", async () => {
    // A fresh rate window: the first test used it up.
    await new Promise((r) => setTimeout(r, 3100));
    const carol = await site.person("carol");
    const dave = await site.person("dave");
    await carol.signIn();
    await carol.join("long");
    await dave.signIn();
    await dave.join("long");

    const long = "x".repeat(60);
    await carol.send(long);
    await carol.page.getByRole("alert").filter({ hasText: "That message is too long (the limit is 50 characters)." }).waitFor();
    // Back in the box, not left as a failed bubble; the counter shows how far over it is.
    await waitUntil("the message back in the box", async () => (await carol.composer().inputValue()) === long);
    assert.equal(await carol.page.locator(".message-list li.msg:not([data-seq])").count(), 0);
    const counter = carol.page.locator("#composer-count");
    assert.equal(await counter.textContent(), "60/50");
    assert.match((await counter.getAttribute("class")) ?? "", /\bover\b/);
    await expectAccessible(carol.page, "a refused message back in the composer, with its counter");

    // Near the limit (90 % and up) the counter stays; well under it, it goes.
    await carol.composer().fill("y".repeat(46));
    assert.equal(await counter.textContent(), "46/50");
    assert.doesNotMatch((await counter.getAttribute("class")) ?? "", /\bover\b/);
    await carol.composer().fill("short enough");
    await counter.waitFor({ state: "detached" });
    await carol.composer().press("Enter");
    await waitUntil("dave to see carol's message", async () => (await dave.bodies()).includes("short enough"));
    assert.deepEqual(await dave.bodies(), ["short enough"]);
    await carol.close();
    await dave.close();
  });

  test("drafts are kept per room across a reload, and sending clears them", async () => {
    const erin = await site.person("erin");
    await erin.signIn();
    await erin.join("drafts-a");
    await erin.join("drafts-b");
    await erin.composer().fill("half a thought in b");
    await erin.page.locator("#sidebar").getByRole("button", { name: /drafts-a/ }).click();
    await erin.waitFor(erin.roomHeading("drafts-a"));
    await erin.composer().fill("half a thought in a");

    await erin.page.reload();
    await erin.waitFor(erin.roomHeading("drafts-a"));
    assert.equal(await erin.composer().inputValue(), "half a thought in a");
    await erin.page.locator("#sidebar").getByRole("button", { name: /drafts-b/ }).click();
    await erin.waitFor(erin.roomHeading("drafts-b"));
    assert.equal(await erin.composer().inputValue(), "half a thought in b");

    await erin.composer().press("Enter");
    await waitUntil("the draft to be sent", async () => (await erin.bodies()).includes("half a thought in b"));
    await erin.page.reload();
    await erin.waitFor(erin.roomHeading("drafts-b"));
    assert.equal(await erin.composer().inputValue(), "");
    await erin.close();
  });
});
