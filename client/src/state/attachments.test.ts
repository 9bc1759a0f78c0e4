import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Message } from "../../../src/shared/wire.js";
import { attachmentsOf, attachmentSummary, formatBytes, isInlineImage, thumbBox, type Attachment } from "./attachments.js";

const png: Attachment = { id: "1", name: "cat.png", size: 10, type: "image/png", url: "/api/files/1/cat.png", thumbUrl: "/api/files/1/cat.png?thumb=1", width: 800, height: 600 };
const pdf: Attachment = { id: "2", name: "a.pdf", size: 10, type: "application/pdf", url: "/api/files/2/a.pdf" };
const msg = (extra: object): Message => ({ room: "r", seq: 1, user: "u", body: "", clientId: "c", createdAt: "2026-01-01T00:00:00Z", ...extra });

describe("attachments", () => {
  test("attachmentsOf reads the field, and a deleted message shows none", () => {
    assert.deepEqual(attachmentsOf(msg({})), []);
    assert.deepEqual(attachmentsOf(msg({ attachments: [png, pdf] })), [png, pdf]);
    assert.deepEqual(attachmentsOf(msg({ attachments: [png], deleted: true })), []);
  });

  test("images with a thumbnail show inline; other files as cards", () => {
    assert.equal(isInlineImage(png), true);
    assert.equal(isInlineImage(pdf), false);
    assert.equal(isInlineImage({ ...png, thumbUrl: undefined }), false);
  });

  test("formatBytes", () => {
    assert.equal(formatBytes(1), "1 byte");
    assert.equal(formatBytes(512), "512 bytes");
    assert.equal(formatBytes(1536), "1.5 KB");
    assert.equal(formatBytes(10 * 1024 * 1024), "10 MB");
    assert.equal(formatBytes(150 * 1024), "150 KB");
    assert.equal(formatBytes(3 * 1024 ** 3), "3 GB");
  });

  test("thumbBox scales down keeping proportions, never up", () => {
    assert.deepEqual(thumbBox(png), { width: 320, height: 240 });
    assert.deepEqual(thumbBox({ width: 100, height: 50 }), { width: 100, height: 50 });
    assert.deepEqual(thumbBox({ width: 300, height: 1200 }), { width: 60, height: 240 });
    assert.deepEqual(thumbBox({}), { width: 240, height: 240 });
  });

  test("attachmentSummary", () => {
    assert.equal(attachmentSummary([]), "");
    assert.equal(attachmentSummary([png]), "File: cat.png");
    assert.equal(attachmentSummary([png, pdf]), "2 files: cat.png, a.pdf");
  });
});
