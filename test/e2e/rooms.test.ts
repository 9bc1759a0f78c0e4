/**
 * Browsing and leaving rooms in the browser against one real node: one person creates
 * rooms by joining them; the other browses them (filter, member counts, last activity,
 * load more), joins one from the list, leaves it from the room header, and after a reload
 * it is still gone from the sidebar (and from a second tab at once); the browser then
 * offers it to join again.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { expectAccessible } from "./axe.js";
import { OneNodeSite, waitUntil } from "./browser.js";

const site = new OneNodeSite();

before(() => site.start("e2erooms", { NODE_ID: "e2e-rooms", RATE_LIMIT_SENDS: "1000", SEARCH_RATE_LIMIT: "1000" }));
after(() => site.stop());

test("browse the public rooms, join one from the list, leave it; after a reload it stays gone", async () => {
  const alice = await site.person("alice");
  const bob = await site.person("bob", { colorScheme: "dark" }); // axe checks the dialogs in dark
  await alice.signIn();
  // More rooms than a page (20), so the list pages.
  const many = Array.from({ length: 21 }, (_, i) => `proj-${String(i).padStart(2, "0")}`);
  for (const room of ["design", "devops", ...many]) await alice.join(room);
  await alice.join("design");
  await alice.send("hello design");

  await bob.signIn();
  await bob.join("devops"); // devops has two members
  const sidebar = bob.page.getByRole("navigation", { name: "Rooms" });
  const browseButton = bob.page.getByRole("button", { name: "Browse rooms" });
  await browseButton.click();
  const dialog = bob.page.getByRole("dialog", { name: "Browse rooms" });
  await dialog.waitFor();
  const filter = dialog.getByRole("searchbox", { name: "Filter rooms by name" });
  assert.equal(await filter.evaluate((el) => el === document.activeElement), true, "the cursor is in the filter");

  // Every room, in name order, one page at first, then the rest with "load more".
  const items = dialog.locator(".browse-item");
  await waitUntil("the first page", async () => (await items.count()) === 20);
  assert.deepEqual((await dialog.locator(".browse-name").allTextContents()).slice(0, 3), ["#design", "#devops", "#proj-00"]);
  await dialog.getByRole("button", { name: "Load more rooms" }).click();
  await waitUntil("the second page", async () => (await items.count()) === 23);
  assert.equal(await dialog.getByRole("button", { name: "Load more rooms" }).count(), 0, "no more pages");
  await expectAccessible(bob.page, "browse rooms");

  // Filtering: the rooms whose name starts with what is typed, their members and activity.
  await filter.fill("De");
  await waitUntil("the filtered list", async () => (await dialog.locator(".browse-name").allTextContents()).join() === "#design,#devops");
  const design = items.filter({ hasText: "#design" });
  const devops = items.filter({ hasText: "#devops" });
  assert.match(await design.locator(".browse-meta").innerText(), /^1 member · active (just now|\d+ min ago)$/);
  assert.match(await devops.locator(".browse-meta").innerText(), /^2 members · active /);
  assert.equal(await devops.getByRole("button", { name: "Open #devops" }).count(), 1, "bob is in devops already");
  await filter.fill("zzz");
  await dialog.getByText('No room name starts with "zzz".').waitFor();
  await filter.fill("des");
  await dialog.getByRole("button", { name: "Join #design" }).click();
  await dialog.waitFor({ state: "detached" });
  await bob.waitFor(bob.roomHeading("design"));
  await waitUntil("design's history", async () => (await bob.bodies()).includes("hello design"));
  await sidebar.getByRole("button", { name: "design" }).waitFor();

  // Escape closes the dialog and gives the focus back.
  await browseButton.click();
  await dialog.waitFor();
  await waitUntil("design counts bob", async () => /^2 members/.test(await items.filter({ hasText: "#design" }).locator(".browse-meta").innerText()));
  await bob.page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  assert.equal(await browseButton.evaluate((el) => el === document.activeElement), true, "the focus is back on Browse rooms");

  // A second tab of bob's, open on design: the leave reaches it too (room:left).
  const tab2 = await bob.context.newPage();
  tab2.on("pageerror", (e) => bob.errors.push(`tab 2: ${String(e)}`));
  await tab2.goto("/#/design");
  await tab2.locator("h1.room-title", { hasText: "design" }).waitFor();
  const sidebar2 = tab2.getByRole("navigation", { name: "Rooms" });

  // Leaving, with a confirmation: Cancel keeps the room, Leave takes it off the sidebar.
  await bob.page.getByRole("button", { name: "Leave #design" }).click();
  const confirm = bob.page.getByRole("alertdialog", { name: "Leave #design?" });
  await confirm.waitFor();
  await expectAccessible(bob.page, "leave a room");
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await confirm.waitFor({ state: "detached" });
  await bob.waitFor(bob.roomHeading("design"));
  await bob.page.getByRole("button", { name: "Leave #design" }).click();
  await confirm.getByRole("button", { name: "Leave room" }).click();
  await confirm.waitFor({ state: "detached" });
  await sidebar.getByRole("button", { name: "design" }).waitFor({ state: "detached" });
  await bob.waitFor(bob.roomHeading("devops")); // the room left is not open any more
  // The address follows the room shown (an effect after the render): waited for, not raced.
  await waitUntil(`the address off design (${bob.page.url()})`, async () => !new URL(bob.page.url()).hash.includes("design"));
  await sidebar2.getByRole("button", { name: "design" }).waitFor({ state: "detached" });
  await tab2.locator("h1.room-title", { hasText: "devops" }).waitFor();
  await tab2.close();

  // After a reload it is still gone; the browser offers to join it again, with one member.
  await bob.page.reload();
  await bob.waitFor(sidebar.getByRole("button", { name: "devops" }));
  await bob.waitFor(bob.roomHeading("devops"));
  assert.equal(await sidebar.getByRole("button", { name: "design" }).count(), 0, "design is not back after the reload");
  await browseButton.click();
  await dialog.waitFor();
  await filter.fill("design");
  const again = items.filter({ hasText: "#design" });
  await again.getByRole("button", { name: "Join #design" }).waitFor();
  assert.match(await again.locator(".browse-meta").innerText(), /^1 member · /);
  await again.getByRole("button", { name: "Join #design" }).click();
  await bob.waitFor(bob.roomHeading("design"));
  await sidebar.getByRole("button", { name: "design" }).waitFor();

  assert.deepEqual([...alice.errors, ...bob.errors], []);
  await alice.close();
  await bob.close();
});
