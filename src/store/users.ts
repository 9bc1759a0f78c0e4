/** Users who have connected at least once (migration 007): who may be opened a DM with. */
import { prepared, type Queryable } from "./db.js";

// Prepared (db.ts): every connect records its user.
const RECORD = prepared("INSERT INTO users (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING");

export async function recordUsers(db: Queryable, users: string[]): Promise<void> {
  await db.query(RECORD, [users]);
}

export async function userExists(db: Queryable, user: string): Promise<boolean> {
  return (await db.query("SELECT 1 FROM users WHERE name = $1", [user])).length > 0;
}
