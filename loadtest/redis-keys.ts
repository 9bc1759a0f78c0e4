/** Leaves a shared Redis as it was: deletes every key under the given prefixes (SCAN, not KEYS). */
import { Redis } from "ioredis";

export async function deleteKeysByPrefix(url: string, prefixes: Iterable<string>): Promise<void> {
  const r = new Redis(url, { lazyConnect: true });
  await r.connect();
  try {
    for (const p of prefixes) {
      let cursor = "0";
      do {
        const [next, keys] = await r.scan(cursor, "MATCH", `${p}*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await r.del(...keys);
      } while (cursor !== "0");
    }
  } finally {
    r.disconnect();
  }
}
