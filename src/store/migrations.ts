/**
 * Plain SQL migrations, applied in order inside one transaction under an advisory lock, so
 * that any number of replicas starting together apply each migration exactly once.
 * Never edit a migration that has shipped: add the next one.
 */
import type { Db } from "./db.js";

export const MIGRATIONS: { name: string; sql: string }[] = [
  {
    name: "001_init",
    sql: `
      -- One row per room. last_seq is the room log's newest position; a writer locks this
      -- row to allocate positions, which orders every commit of the room.
      CREATE TABLE rooms (
        name text PRIMARY KEY,
        last_seq bigint NOT NULL DEFAULT 0,
        last_message_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE messages (
        room text NOT NULL,
        seq bigint NOT NULL,
        user_name text NOT NULL,
        body text NOT NULL,
        client_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        edited_at timestamptz,
        deleted boolean NOT NULL DEFAULT false,
        -- Position of the message's latest change in the room log (rich messaging).
        update_seq bigint,
        PRIMARY KEY (room, seq),
        -- Idempotent sends: a retried clientId finds the stored message.
        UNIQUE (room, user_name, client_id)
      );
      CREATE INDEX messages_room_update_seq ON messages (room, update_seq) WHERE update_seq IS NOT NULL;

      -- Rooms a user has joined, with the user's read marker.
      CREATE TABLE memberships (
        user_name text NOT NULL,
        room text NOT NULL REFERENCES rooms (name),
        read_seq bigint NOT NULL DEFAULT 0,
        joined_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_name, room)
      );
    `,
  },
  {
    name: "002_rich_messaging",
    sql: `
      -- Current reactions of a message: emoji -> usernames, in the order they reacted.
      ALTER TABLE messages ADD COLUMN reactions jsonb;
      -- Insertion order across rooms: the cursor of cross-room search results.
      ALTER TABLE messages ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
      CREATE UNIQUE INDEX messages_id ON messages (id);
      -- Full-text search over bodies; 'simple' does not stem, so it suits any language.
      CREATE INDEX messages_search ON messages USING gin (to_tsvector('simple', body));
      -- Who was mentioned where: the mention counts of rooms:list.
      CREATE TABLE mentions (
        user_name text NOT NULL,
        room text NOT NULL,
        seq bigint NOT NULL,
        PRIMARY KEY (user_name, room, seq)
      );
    `,
  },
];

/** Arbitrary constant shared by every replica: "chat-cluster migrations". */
const MIGRATION_LOCK = 7_312_004_811;

export async function migrate(db: Db): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const done = new Set(
      (await tx.query<{ name: string }>("SELECT name FROM schema_migrations")).map((r) => r.name),
    );
    const applied: string[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.name)) continue;
      // Statements one by one: the extended protocol (pg with params, PGlite) takes one at a time.
      for (const stmt of splitStatements(m.sql)) await tx.query(stmt);
      await tx.query("INSERT INTO schema_migrations (name) VALUES ($1)", [m.name]);
      applied.push(m.name);
    }
    return applied;
  });
}

/** Splits a migration on semicolons at line ends; migrations keep to that style (no $$ bodies). */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
    .filter(Boolean);
}
