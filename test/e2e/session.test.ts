/**
 * The browser client when its token expires (jwt mode): with no way to get a new token it
 * signs the person out with a message; when the page offers `window.chatCluster.getToken()`
 * it renews in place (`auth:refresh`) and the person keeps chatting. Tokens live seconds;
 * the tests wait for what the page shows and for the server's own events, never for a time.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect } from "../helpers/client.js";
import { hs256Token, OneNodeSite, waitUntil } from "./browser.js";

const SECRET = "e2e-session-secret-long-enough-for-hs256";
const site = new OneNodeSite();

const token = (sub: string, seconds: number) => hs256Token(SECRET, sub, seconds);

before(() => site.start("e2e_session", { NODE_ID: "e2e-session", AUTH_MODE: "jwt", JWT_SECRET: SECRET, SESSION_GRACE_MS: "2000" }));
after(() => site.stop());

describe("browser client, a token that expires", () => {
  test("without a way to renew, the person is signed out with a message", async () => {
    const vera = await site.person("vera");
    await vera.page.goto(`/?token=${encodeURIComponent(await token("vera", 6))}#/short`);
    await vera.waitFor(vera.roomHeading("short"));
    await vera.waitFor(vera.page.getByRole("alert").filter({ hasText: "Your session has ended: its token expired." }));
    await vera.page.getByLabel("Access token").waitFor();
    assert.equal(await vera.page.evaluate(() => sessionStorage.getItem("chat.token")), null, "the old token is forgotten");
    await vera.page.reload();
    await vera.page.getByLabel("Username").or(vera.page.getByLabel("Access token")).waitFor();
    await vera.close();
  });

  test("with window.chatCluster.getToken, it renews in place and keeps chatting", async () => {
    const first = await token("walt", 8);
    const minted: string[] = [];
    const walt = await site.person("walt");
    // The embedding page's hook, backed by the test (the page itself cannot sign tokens).
    await walt.page.exposeFunction("mintTestToken", async () => {
      minted.push(await token("walt", 600));
      return minted.at(-1);
    });
    // A string: a function would be serialised with the test transpiler's helpers.
    await walt.page.addInitScript("window.chatCluster = { getToken: () => window.mintTestToken() };");
    // A twin socket on the same first token, never renewed: the server closes it at its exp.
    const twin = await connect(site.server.url, { token: first });
    const twinClosed = new Promise<string>((r) => twin.once("disconnect", r));

    await walt.page.goto(`/?token=${encodeURIComponent(first)}#/long`);
    await walt.waitFor(walt.roomHeading("long"));
    await waitUntil("the page to renew its token", async () => minted.length > 0 && (await walt.page.evaluate(() => sessionStorage.getItem("chat.token"))) === minted[0]);
    assert.equal(await twinClosed, "io server disconnect");
    // Past the first token's expiry (and grace): the page is still signed in and its sends are stored.
    await walt.send("still signed in");
    await walt.page.locator(".message-list li.msg[data-seq] .body", { hasText: "still signed in" }).waitFor();
    assert.equal(await walt.page.getByLabel("Access token").count(), 0);
    await walt.close();
  });
});
