/**
 * Attachment bytes in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2...) through the AWS
 * SDK v3. Credentials come from the SDK's standard chain (AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, a profile, an instance or pod role): nothing of them is configured here.
 */
import { Readable } from "node:stream";
import { DeleteObjectCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { BlobStore } from "./store.js";

export interface S3Options {
  bucket: string;
  region: string;
  /** A non-AWS service's address; unset = AWS's own for the region. */
  endpoint?: string;
  /** bucket in the path (`endpoint/bucket/key`), as MinIO and most self-hosted services want. */
  forcePathStyle: boolean;
  /** Prepended to every key, so that one bucket can serve several deployments. */
  prefix: string;
}

/** S3's smallest part: an upload holds one part in memory (queueSize 1). */
const PART_BYTES = 5 * 1024 * 1024;

export function s3Store(o: S3Options): BlobStore {
  const client = new S3Client({
    region: o.region,
    endpoint: o.endpoint,
    forcePathStyle: o.forcePathStyle,
    // Checksums only where S3 requires them: several S3-compatible services refuse the
    // SDK's newer default (a CRC trailer on every upload).
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const Key = (key: string) => `${o.prefix}${key}`;
  return {
    kind: "s3",
    async put(key, body) {
      let total = 0;
      // The caller's iterable may throw (too large): lib-storage then aborts the multipart upload.
      async function* counted() {
        for await (const piece of body) {
          total += piece.byteLength;
          yield piece;
        }
      }
      const upload = new Upload({
        client,
        params: { Bucket: o.bucket, Key: Key(key), Body: Readable.from(counted()) },
        queueSize: 1,
        partSize: PART_BYTES,
        leavePartsOnError: false,
      });
      await upload.done();
      return total;
    },
    async get(key, range) {
      const out = await client.send(
        new GetObjectCommand({ Bucket: o.bucket, Key: Key(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      return out.Body as Readable;
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: o.bucket, Key: Key(key) }));
    },
  };
}
