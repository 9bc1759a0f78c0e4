/** What a file is, from its bytes (file-type), and the preview of an image (sharp). */
import type { Readable } from "node:stream";
import { fileTypeFromBuffer } from "file-type";
import sharp from "sharp";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The media type of a file's first bytes. Text has no signature: bytes that decode as
 * UTF-8 without NUL (a character cut off at the end of the sample aside) are text/plain.
 */
export async function sniffType(head: Buffer): Promise<string> {
  const found = await fileTypeFromBuffer(head);
  if (found) return found.mime;
  if (head.byteLength > 0 && !head.includes(0)) {
    for (let cut = 0; cut <= 3 && cut < head.byteLength; cut++) {
      try {
        utf8.decode(head.subarray(0, head.byteLength - cut));
        return "text/plain";
      } catch {
        // maybe a character split at the sample's end: try a byte shorter
      }
    }
  }
  return "application/octet-stream";
}

/** Longest side of a preview, in pixels. */
export const THUMB_PX = 400;
/** Decompression bombs: an image of more pixels than this is not decoded. */
const MAX_PIXELS = 50_000_000;

/** The image's displayed size (EXIF orientation applied) and a WebP preview of it. */
export async function thumbnail(input: Readable): Promise<{ width: number; height: number; thumb: Buffer }> {
  const image = sharp({ limitInputPixels: MAX_PIXELS, failOn: "error" });
  input.on("error", (err) => image.destroy(err));
  input.pipe(image);
  const meta = await image.metadata();
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new Error("the image has no size");
  const thumb = await image.autoOrient().resize(THUMB_PX, THUMB_PX, { fit: "inside", withoutEnlargement: true }).webp({ quality: 75 }).toBuffer();
  return { width, height, thumb };
}
