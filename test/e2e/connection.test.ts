/**
 * What the page says about the connection and about time, with two people on one real
 * node: while disconnected the footer and the member list say so instead of naming a node
 * and people that may be gone; every message shows its full time on hover, not only the
 * first of a group.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { expectAccessible } from "./axe.js";
import { OneNodeSite, Person, waitUntil } from "./browser.js";

const site = new OneNodeSite();

before(() => site.start("e2econn", { NODE_ID: "e2e-conn", RATE_LIMIT_SENDS: "1000" }));
after(() => site.stop());

describe("connection state and times in the browser", () => {
  test("every message of a group has its time on hover", async () => {
    const alice = await site.person("alice");
    const bob = await site.person("bob");
    await alice.signIn();
    await alice.join("times");
    await bob.signIn();
    await bob.join("times");
    for (const body of ["one", "two", "three"]) await alice.send(body);
    await waitUntil("bob to see the group", async () => (await bob.bodies()).length === 3);
    const rows = bob.page.locator(".message-list li.msg[data-seq]");
    assert.equal(await rows.locator(".msg-meta").count(), 1, "one group, one header");
    const titles = await rows.locator(".msg-main").evaluateAll((els) => els.map((e) => e.getAttribute("title") ?? ""));
    assert.equal(titles.length, 3);
    // fullTime: a weekday, a date and a time, for each one.
    for (const t of titles) assert.match(t, /\d{1,2}:\d{2}/, `a time in "${t}"`);
    await alice.close();
    await bob.close();
  });

  test("while disconnected, the footer and the member list say so", async () => {
    const node = await site.startServer({ NODE_ID: "e2e-conn-2" });
    let stopped = false;
    try {
      const carol = await Person.open(site.browser, "carol", node.url);
      const dave = await Person.open(site.browser, "dave", node.url);
      site.people.push(carol, dave);
      await carol.signIn();
      await carol.join("lounge");
      await dave.signIn();
      await dave.join("lounge");
      const footer = carol.page.locator("footer.node-footer");
      await waitUntil("carol to see dave online", async () => (await carol.page.locator(".members-toggle").textContent()) === "2 online");
      assert.match((await footer.textContent()) ?? "", /Served by e2e-conn-2/);
      assert.equal(await carol.page.locator("#members li").count(), 2);

      await node.stop();
      stopped = true;
      await carol.page.locator(".banner").waitFor();
      await waitUntil("the footer to say so", async () => /Not connected/.test((await footer.textContent()) ?? ""));
      assert.doesNotMatch((await footer.textContent()) ?? "", /e2e-conn-2/);
      assert.equal(await carol.page.locator(".members-toggle").textContent(), "Not connected");
      const members = carol.page.locator("#members");
      assert.equal(await members.locator("li").count(), 0, "no stale list of who is online");
      assert.match((await members.textContent()) ?? "", /Not connected/);
      await expectAccessible(carol.page, "disconnected: footer and member list");
      await carol.close();
      await dave.close();
    } finally {
      if (!stopped) await node.stop();
    }
  });
});
