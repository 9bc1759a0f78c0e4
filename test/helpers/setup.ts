/** The per-file setup most tests share: one fresh database, dropped after the file's clients are closed. */
import { after, before } from "node:test";
import { closeAll } from "./client.js";
import { createTestDatabase, type TestDatabase } from "./db.js";

export interface SetupOptions {
  /** Runs once the database exists (starting the file's node), in the same hook. */
  setUp?: (db: TestDatabase) => Promise<void>;
  /** Runs after the clients close, before the drop (stopping the file's nodes). */
  tearDown?: () => Promise<void>;
}

/**
 * Registers the file's before/after hooks and returns its database, usable inside tests and
 * hooks. Work that needs the database at setup goes in `setUp`: Node 20 starts a file's
 * top-level before() hooks without waiting for the previous one.
 */
export function useTestDatabase(label: string, opts: SetupOptions = {}): TestDatabase {
  let db: TestDatabase | undefined;
  before(async () => {
    db = await createTestDatabase(label);
    await opts.setUp?.(db);
  });
  after(async () => {
    closeAll();
    await opts.tearDown?.();
    await db?.drop();
  });
  const current = (): TestDatabase => {
    if (!db) throw new Error("the test database exists from the file's first before() hook on");
    return db;
  };
  return {
    get url() {
      return current().url;
    },
    get name() {
      return current().name;
    },
    drop: () => current().drop(),
  };
}
