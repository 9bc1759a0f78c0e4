/**
 * File attachments in the browser against one real node: one person attaches an image (the
 * attach button), a PDF (dropped on the room) and a pasted image; the other sees the image
 * inline from its thumbnail, opens it full size and downloads the same bytes, and downloads
 * the PDF from its card. A file over the size cap is refused in the composer and nothing is
 * sent; a member of another room is refused the files (HTTP 403); a jwt-mode page uses its
 * bearer token.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, describe, test } from "node:test";
import zlib from "node:zlib";
import type { Download, Locator } from "playwright-core";
import { expectAccessible } from "./axe.js";
import { hs256Token, OneNodeSite, Person, waitUntil } from "./browser.js";

const MAX_BYTES = 200_000;
const site = new OneNodeSite();

before(() => site.start("e2eattach", { NODE_ID: "e2e-attach", MAX_UPLOAD_BYTES: String(MAX_BYTES) }));
after(() => site.stop());

/** A real PNG (RGB, a gradient) of `w` x `h`, so the server can sniff it and make a thumbnail. */
function png(w: number, h: number, seed: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
  const rows = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    // Blocks of 32 px: a real picture to the decoder, small once deflated.
    for (let x = 0; x < w; x++) rows.set([((x >> 5) * 24 + seed) & 255, ((y >> 5) * 24) & 255, (((x + y) >> 5) * 16 + seed) & 255], y * (w * 3 + 1) + 1 + x * 3);
  }
  const sig = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([sig, chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

const PDF = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "latin1");

function row(p: Person, text: string | RegExp): Locator {
  return p.page.locator(".message-list li.msg[data-seq]", { hasText: text });
}

async function bytesOf(d: Download): Promise<Buffer> {
  return fs.readFileSync(await d.path());
}

/** Waits for `file`'s chip in `p`'s composer to say it is uploaded. */
async function uploaded(p: Person, file: string): Promise<void> {
  await p.waitFor(p.page.locator(`.upload-chip.done[data-upload="${file}"]`));
}

/** The attachments of the newest stored messages of `room`, as the REST API gives them to `user`. */
async function attachmentsIn(room: string, user: string): Promise<{ name: string; url: string; thumbUrl?: string }[]> {
  const res = await fetch(`${site.server.url}/api/rooms/${room}/messages?username=${user}`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { messages: { attachments?: { name: string; url: string; thumbUrl?: string }[] }[] };
  return body.messages.flatMap((m) => m.attachments ?? []);
}

describe("attachments in the browser", () => {
  const image = png(640, 400, 7);
  assert.ok(image.length < MAX_BYTES / 4, `the test image is small enough (${image.length} bytes)`);
  const pasted = png(40, 30, 99);
  let alice: Person;
  let bob: Person;

  test("an image and a PDF sent by one person are seen and downloaded by the other with the same bytes", async () => {
    alice = await site.person("alice");
    bob = await site.person("bob", { colorScheme: "dark" });
    await alice.signIn();
    await alice.join("files");
    await bob.signIn();
    await bob.join("files");

    // The attach button opens the browser's file chooser (a real file input).
    const chooser = alice.page.waitForEvent("filechooser");
    await alice.page.getByRole("button", { name: "Attach files" }).click();
    await (await chooser).setFiles({ name: "sunset.png", mimeType: "image/png", buffer: image });
    await uploaded(alice, "sunset.png");
    await alice.send("look at this");

    const thumb = row(bob, "look at this").locator('img[alt="sunset.png"]');
    await bob.waitFor(thumb);
    assert.match((await thumb.getAttribute("src")) ?? "", /^blob:/, "shown through an object URL fetched with auth");
    await waitUntil("the thumbnail to decode", () => thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth > 0));
    const thumbWidth = await thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth);
    assert.ok(thumbWidth < 640, `a thumbnail, not the full image (${thumbWidth} px wide)`);

    // Keyboard: the image is a button; Enter opens the full image in a dialog.
    await row(bob, "look at this").getByRole("button", { name: "sunset.png" }).focus();
    await bob.page.keyboard.press("Enter");
    const dialog = bob.page.getByRole("dialog", { name: "sunset.png" });
    await bob.waitFor(dialog.locator('img[alt="sunset.png"]'));
    await waitUntil("the full image to decode", () =>
      dialog.locator("img").evaluate((img) => (img as HTMLImageElement).naturalWidth === 640),
    );
    await expectAccessible(bob.page, "full image dialog");
    const download = bob.page.waitForEvent("download");
    await dialog.getByRole("button", { name: "Download" }).click();
    const d = await download;
    assert.equal(d.suggestedFilename(), "sunset.png");
    assert.deepEqual(await bytesOf(d), image, "the downloaded image has the uploaded bytes");
    await bob.page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });

    // A PDF dropped on the room, sent with no text: a card with its name, size and a download.
    const drop = await alice.page.evaluateHandle(
      (bytes) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(bytes)], "report.pdf", { type: "application/pdf" }));
        return dt;
      },
      [...PDF],
    );
    // Dropped on the sidebar first: not the room, so that drop attaches nothing (one chip below).
    await alice.page.locator("#sidebar").dispatchEvent("drop", { dataTransfer: drop });
    const list = alice.page.locator(".message-list");
    await list.dispatchEvent("dragover", { dataTransfer: drop });
    await alice.waitFor(alice.page.getByText("Drop files to attach them to your message"));
    await list.dispatchEvent("drop", { dataTransfer: drop });
    await uploaded(alice, "report.pdf");
    assert.equal(await alice.page.locator(".upload-chip").count(), 1);
    await alice.composer().press("Enter");
    const card = bob.page.locator(".message-list li.msg[data-seq] .attachment-card", { hasText: "report.pdf" });
    await bob.waitFor(card);
    assert.match(await card.innerText(), /report\.pdf\s+\d+ bytes/);
    const pdfDownload = bob.page.waitForEvent("download");
    await card.getByRole("button", { name: "Download report.pdf" }).click();
    const pd = await pdfDownload;
    assert.equal(pd.suggestedFilename(), "report.pdf");
    assert.deepEqual(await bytesOf(pd), PDF);

    // An image pasted into the composer.
    await alice.composer().focus();
    await alice.composer().evaluate((box, bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], "image.png", { type: "image/png" }));
      box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
    }, [...pasted]);
    await uploaded(alice, "image.png");
    await alice.send("pasted");
    await bob.waitFor(row(bob, "pasted").locator('img[alt="image.png"]'));
    await expectAccessible(bob.page, "messages with attachments");
    await bob.screenshot("attachments-messages.png");
    assert.equal(await alice.page.locator(".upload-tray").count(), 0, "the tray empties once sent");
  });

  test("a file over the size cap is refused in the composer and nothing is sent", async () => {
    // Far over the cap: the server answers 413 from the declared length while the browser
    // is still sending, and the page must show that answer, not a broken connection.
    const big = Buffer.alloc(MAX_BYTES * 20, 1);
    await alice.page.locator("#composer-files").setInputFiles({ name: "huge.bin", mimeType: "application/octet-stream", buffer: big });
    const chip = alice.page.locator('.upload-chip.failed[data-upload="huge.bin"]');
    await alice.waitFor(chip);
    assert.match(await chip.getByRole("alert").innerText(), /^huge\.bin is too large \(3\.8 MB\): the limit is 195 KB\.$/);
    await expectAccessible(alice.page, "composer with a refused file");
    await alice.screenshot("attachments-refused.png");
    // Nothing to send: the button stays disabled and Enter does nothing.
    assert.equal(await alice.page.getByRole("button", { name: "Send", exact: true }).isDisabled(), true);
    await alice.composer().press("Enter");
    await alice.page.getByRole("button", { name: "Remove huge.bin" }).click();
    await chip.waitFor({ state: "detached" });
    await alice.send("after the big one");
    await bob.waitFor(row(bob, "after the big one"));
    const bodies = await bob.bodies();
    assert.deepEqual(bodies.slice(-2), ["pasted", "after the big one"], "no message between them");
    assert.deepEqual(
      (await attachmentsIn("files", "bob")).map((a) => a.name),
      ["sunset.png", "report.pdf", "image.png"],
    );
  });

  test("a member of another room is refused the files (HTTP 403)", async () => {
    const carol = await site.person("carol");
    await carol.signIn();
    await carol.join("elsewhere");
    const files = await attachmentsIn("files", "bob");
    const sunset = files.find((f) => f.name === "sunset.png")!;
    for (const url of [sunset.url, sunset.thumbUrl!, files.find((f) => f.name === "report.pdf")!.url]) {
      // From carol's own page, as her client would ask.
      const status = await carol.page.evaluate(async (u) => (await fetch(`${u}${u.includes("?") ? "&" : "?"}username=carol`)).status, url);
      assert.equal(status, 403, `carol is refused ${url}`);
      const asBob = await fetch(`${site.server.url}${url}${url.includes("?") ? "&" : "?"}username=bob`);
      assert.equal(asBob.status, 200, `bob may read ${url}`);
      await asBob.arrayBuffer();
    }
  });

  test("jwt mode: the page uploads and shows files with its bearer token", async () => {
    const secret = "attachments-e2e-secret-0123456789abcdef";
    const node = await site.startServer({ NODE_ID: "e2e-attach-jwt", AUTH_MODE: "jwt", JWT_SECRET: secret, MAX_UPLOAD_BYTES: String(MAX_BYTES) });
    try {
      const june = await Person.open(site.browser, "june", node.url);
      site.people.push(june);
      await june.page.goto(`/?token=${encodeURIComponent(await hs256Token(secret, "june", 600))}`);
      await june.page.locator(".shell").waitFor();
      await june.join("tokens");
      await june.page.locator("#composer-files").setInputFiles({ name: "badge.png", mimeType: "image/png", buffer: pasted });
      await uploaded(june, "badge.png");
      await june.send("with a token");
      const img = row(june, "with a token").locator('img[alt="badge.png"]');
      await june.waitFor(img);
      await waitUntil("the thumbnail to decode", () => img.evaluate((el) => (el as HTMLImageElement).naturalWidth > 0));
      // The same file without the token is refused: the page's fetch carried it.
      const url = (await june.page.evaluate(async () => {
        const res = await fetch("/api/rooms/tokens/messages", { headers: { Authorization: `Bearer ${sessionStorage.getItem("chat.token") ?? ""}` } });
        const body = (await res.json()) as { messages: { attachments?: { url: string }[] }[] };
        return body.messages.flatMap((m) => m.attachments ?? [])[0]?.url;
      }))!;
      assert.equal((await fetch(`${node.url}${url}`)).status, 401);
    } finally {
      await node.stop();
    }
  });
});
