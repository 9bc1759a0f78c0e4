/**
 * Where attachment bytes live: one small interface, two back ends (PostgreSQL chunks here,
 * an S3-compatible bucket in s3.ts). Every operation streams: an upload or a Range read
 * holds at most one chunk (or one S3 part) in memory.
 */
import { Readable } from "node:stream";
import type { Queryable } from "../db.js";

export type StoreKind = "postgres" | "s3";

export interface BlobStore {
  readonly kind: StoreKind;
  /**
   * Stores the bytes under `key` and resolves with their count. When `body` throws (too
   * large, wrong type), it rejects with that error; what was written may remain until
   * `delete(key)`, which the caller owes.
   */
  put(key: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number>;
  /** The bytes from `start` to `end` inclusive (the whole object without a range). */
  get(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Removes the object; removing one that does not exist is not an error. */
  delete(key: string): Promise<void>;
}

/** 256 KiB: a Range read fetches a few rows, and PostgreSQL keeps each out of line (TOAST). */
export const CHUNK_BYTES = 256 * 1024;

/** attachment_chunks (migration 011): works on PostgreSQL and on PGlite alike. */
export function postgresStore(db: Queryable, chunkBytes = CHUNK_BYTES): BlobStore {
  return {
    kind: "postgres",
    async put(key, body) {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let n = 0;
      let total = 0;
      const flush = async (chunk: Buffer) => {
        await db.query("INSERT INTO attachment_chunks (key, n, data) VALUES ($1, $2, $3)", [key, n++, chunk]);
      };
      for await (const piece of body) {
        total += piece.byteLength;
        pending.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
        pendingBytes += piece.byteLength;
        while (pendingBytes >= chunkBytes) {
          const all = Buffer.concat(pending, pendingBytes);
          await flush(all.subarray(0, chunkBytes));
          pending = [all.subarray(chunkBytes)];
          pendingBytes -= chunkBytes;
        }
      }
      if (pendingBytes > 0) await flush(Buffer.concat(pending, pendingBytes));
      return total;
    },
    async get(key, range) {
      return Readable.from(readChunks(db, key, chunkBytes, range));
    },
    async delete(key) {
      await db.query("DELETE FROM attachment_chunks WHERE key = $1", [key]);
    },
  };
}

/** One chunk at a time; with a range, only the needed slices (substring reads just those TOAST pages). */
async function* readChunks(db: Queryable, key: string, size: number, range?: { start: number; end: number }): AsyncGenerator<Buffer> {
  if (!range) {
    for (let n = 0; ; n++) {
      const rows = await db.query<{ data: Uint8Array }>("SELECT data FROM attachment_chunks WHERE key = $1 AND n = $2", [key, n]);
      if (rows.length === 0) return;
      yield toBuffer(rows[0]!.data);
    }
  }
  for (let n = Math.floor(range.start / size); n <= Math.floor(range.end / size); n++) {
    const from = Math.max(range.start - n * size, 0);
    const to = Math.min(range.end - n * size, size - 1);
    const rows = await db.query<{ data: Uint8Array }>(
      "SELECT substring(data FROM $3::int FOR $4::int) AS data FROM attachment_chunks WHERE key = $1 AND n = $2",
      [key, n, from + 1, to - from + 1],
    );
    if (rows.length === 0) return;
    yield toBuffer(rows[0]!.data);
  }
}

/** pg gives a Buffer, PGlite a Uint8Array: the same bytes without a copy. */
function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
