/**
 * Desktop notifications in the browser against one real node. The browser grants the
 * permission (context.grantPermissions); an init script wraps the page's `Notification` to
 * record what the page shows, and lets the test say the page is hidden. With the page
 * hidden, a mention, a direct message and a reply in a followed thread notify, a plain
 * message does not, a muted room notifies nothing, and the mute is kept across a reload.
 * Nothing asks the browser before the person turns notifications on.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call, connect } from "../helpers/client.js";
import { expectAccessible } from "./axe.js";
import { OneNodeSite, waitUntil, type Person } from "./browser.js";

const site = new OneNodeSite();

before(() => site.start("e2enotify", { NODE_ID: "e2e-notify", RATE_LIMIT_SENDS: "1000" }));
after(() => site.stop());

/** Records `new Notification(...)` and permission requests; `__setHidden` hides or shows the page. */
const OBSERVE = `(() => {
  const Real = window.Notification;
  const w = window;
  w.__notes = [];
  w.__asked = 0;
  function Observed(title, options) {
    w.__notes.push({ title, body: (options && options.body) || "" });
    return new Real(title, options);
  }
  Object.defineProperty(Observed, "permission", { get: () => Real.permission });
  Observed.requestPermission = (...args) => {
    w.__asked++;
    return Real.requestPermission(...args);
  };
  Observed.prototype = Real.prototype;
  w.Notification = Observed;
  let hidden = false;
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  w.__setHidden = (h) => {
    hidden = h;
    document.dispatchEvent(new Event("visibilitychange"));
  };
})();`;

interface Note {
  title: string;
  body: string;
}

function notes(p: Person): Promise<Note[]> {
  return p.page.evaluate(() => (window as unknown as { __notes: Note[] }).__notes);
}

function setHidden(p: Person, hidden: boolean): Promise<void> {
  return p.page.evaluate((h) => (window as unknown as { __setHidden(h: boolean): void }).__setHidden(h), hidden);
}

describe("desktop notifications", () => {
  test("while hidden, a mention, a DM and a reply in bo's thread notify, a plain message does not, a muted room nothing", async () => {
    const bo = await site.person("bo");
    await bo.context.grantPermissions(["notifications"]);
    await bo.page.addInitScript(OBSERVE);
    const al = await site.person("al");
    await bo.signIn();
    await bo.join("quiet");
    await bo.join("loud");
    assert.equal(await bo.page.evaluate(() => (window as unknown as { __asked: number }).__asked), 0, "not asked on load");

    // Turned on from the menu by the signed-in name.
    await bo.page.getByRole("button", { name: "Notifications", exact: true }).click();
    const desktop = bo.page.getByRole("checkbox", { name: "Desktop notifications" });
    await desktop.check();
    await waitUntil("notifications on", () => desktop.isChecked());
    await expectAccessible(bo.page, "notification settings");
    await bo.page.keyboard.press("Escape");

    // #quiet muted from its header; the sidebar marks it.
    await bo.page.locator(".room-link", { hasText: "quiet" }).click();
    await bo.roomHeading("quiet").waitFor();
    const mute = bo.page.getByRole("button", { name: "Mute #quiet" });
    await mute.click();
    assert.equal(await mute.getAttribute("aria-pressed"), "true");
    await bo.page.locator(".room-link", { hasText: "quiet" }).getByText("muted").waitFor();

    await al.signIn();
    await al.join("loud");
    await bo.page.locator(".room-link", { hasText: "loud" }).click();
    await bo.roomHeading("loud").waitFor();
    await al.send("@bo while you look");
    await bo.page.locator(".message-list .body", { hasText: "while you look" }).waitFor();
    // bo asks something: he follows its thread.
    await bo.send("a question of mine");
    const root = Number(await bo.page.locator(".message-list li.msg[data-seq]", { hasText: "a question of mine" }).getAttribute("data-seq"));
    await setHidden(bo, true);

    await al.join("quiet");
    await al.send("@bo in the muted room");
    await al.page.locator(".room-link", { hasText: "loud" }).click();
    await al.roomHeading("loud").waitFor();
    await al.send("just chatting");
    await al.send("@bo over here");
    await waitUntil("the mention's notification", async () => (await notes(bo)).some((n) => n.body === "@bo over here"));
    // A DM, opened from the member list.
    await al.page.getByRole("complementary", { name: "Online members" }).getByRole("button", { name: /bo/ }).click();
    await al.page.getByRole("main", { name: "Conversation with bo" }).waitFor();
    await al.send("psst");
    await waitUntil("the DM's notification", async () => (await notes(bo)).some((n) => n.body === "psst"));
    // A reply in bo's thread (sent by al's other device).
    const alSocket = await connect(site.server.url, { username: "al" });
    assert.equal((await call(alSocket, "room:join", { room: "loud" })).ok, true);
    assert.equal((await call(alSocket, "message:send", { room: "loud", body: "an answer", clientId: "answer", threadOf: root })).ok, true);
    await waitUntil("the reply's notification", async () => (await notes(bo)).some((n) => n.body === "an answer"));
    assert.deepEqual(await notes(bo), [
      { title: "al mentioned you in #loud", body: "@bo over here" },
      { title: "al", body: "psst" },
      { title: "al replied in #loud", body: "an answer" },
    ]);

    // Back on the page: nothing notifies.
    await setHidden(bo, false);
    await al.send("seen live");
    await bo.page.locator(".room-link", { hasText: "al" }).click();
    await bo.page.locator(".message-list .body", { hasText: "seen live" }).waitFor();
    assert.equal((await notes(bo)).length, 3);

    // The mute is kept across a reload.
    await bo.page.reload();
    await bo.page.locator(".room-link", { hasText: "quiet" }).getByText("muted").waitFor();
    await bo.page.locator(".room-link", { hasText: "quiet" }).click();
    assert.equal(await bo.page.getByRole("button", { name: "Mute #quiet" }).getAttribute("aria-pressed"), "true");
    await al.close();
    await bo.close();
  });
});
