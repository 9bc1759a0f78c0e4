/**
 * Which database failures answer `unavailable` (nothing was stored; retry) rather than
 * `internal`, from errors the real PostgreSQL raises.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { toErrorBody } from "../../src/errors.js";
import { createLogger } from "../../src/logger.js";
import { createPgDb } from "../../src/store/db.js";
import { isUnavailableError } from "../../src/store/errors.js";
import { adminQuery, createTestDatabase, type TestDatabase } from "../helpers/db.js";

const role = `chat_full_${randomBytes(4).toString("hex")}`;
let db: TestDatabase;
before(async () => {
  db = await createTestDatabase("errors");
  // A role allowed no connection: PostgreSQL refuses it as it refuses everyone once
  // max_connections is reached, with SQLSTATE 53300. (Superusers are exempt from the limit.)
  await adminQuery(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 0`);
});
after(async () => {
  await db?.drop();
  await adminQuery(`DROP ROLE IF EXISTS ${role}`);
});

test("a database refusing connections for being full answers unavailable, not internal", async () => {
  const url = new URL(db.url);
  url.username = role;
  const full = createPgDb(url.toString(), 2, () => {});
  try {
    const err = await full.query("SELECT 1").then(
      () => assert.fail("the connection was accepted"),
      (e: unknown) => e,
    );
    assert.equal((err as { code?: string }).code, "53300", String(err));
    assert.equal(isUnavailableError(err), true);
    const logged: string[] = [];
    const body = toErrorBody(err, createLogger("warn", "test", { write: (l: string) => void logged.push(l) }));
    assert.equal(body.code, "unavailable");
    assert.match(logged.join(""), /database unavailable/);
  } finally {
    await full.close();
  }
});
