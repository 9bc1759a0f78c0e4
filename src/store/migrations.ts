/**
 * Plain SQL migrations, applied in order inside one transaction under an advisory lock, so
 * that any number of replicas starting together apply each migration exactly once.
 * Never edit a migration that has shipped: add the next one.
 */
import type { Db } from "./db.js";

export const MIGRATIONS: { name: string; sql: string; single?: boolean }[] = [
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
  {
    name: "003_append_function",
    // One statement (a function body contains semicolons): run as is.
    single: true,
    sql: `
      -- The write path in one round trip: the room locks are held only while the database
      -- itself works, never across a network round trip to the node. Sends of one batch are
      -- given in arrays, index i (1-based) in each; returns one row per input.
      CREATE FUNCTION chat_append(
        p_room text[], p_user text[], p_body text[], p_client text[],
        p_mention_idx int[], p_mention_user text[]
      ) RETURNS TABLE (
        i int, seq bigint, created boolean, body text, created_at timestamptz,
        edited_at timestamptz, deleted boolean, update_seq bigint, reactions jsonb
      ) LANGUAGE plpgsql AS $fn$
      #variable_conflict use_column
      BEGIN
        -- A room nobody joined through this database yet (rare: joining creates it). It is
        -- not created here: inserting a row while holding other rooms' locks can deadlock
        -- with a writer that inserted it first. The caller creates it on its own and retries.
        IF EXISTS (SELECT 1 FROM unnest(p_room) AS r WHERE NOT EXISTS (SELECT 1 FROM rooms WHERE name = r)) THEN
          RAISE EXCEPTION 'chat_append: missing rooms' USING ERRCODE = 'CH001';
        END IF;
        -- Lock the batch's rooms in name order (writers never deadlock). The next
        -- statement starts after the locks, so it sees every earlier writer's commit.
        PERFORM 1 FROM rooms WHERE name = ANY (p_room) ORDER BY name FOR UPDATE;
        RETURN QUERY
        WITH input AS (
          SELECT t.ord::int AS i, t.room, t.usr, t.body, t.cid
            FROM unnest(p_room, p_user, p_body, p_client) WITH ORDINALITY AS t(room, usr, body, cid, ord)
        ), old AS (
          SELECT inp.i, m.seq, m.body, m.created_at, m.edited_at, m.deleted, m.update_seq, m.reactions
            FROM input inp
            JOIN messages m ON m.room = inp.room AND m.user_name = inp.usr AND m.client_id = inp.cid
        ), firsts AS (
          SELECT DISTINCT ON (room, usr, cid) i, room, usr, body, cid
            FROM input WHERE NOT EXISTS (SELECT 1 FROM old WHERE old.i = input.i)
           ORDER BY room, usr, cid, i
        ), numbered AS (
          SELECT f.i, f.room, f.usr, f.body, f.cid,
                 r.last_seq + row_number() OVER (PARTITION BY f.room ORDER BY f.i) AS seq
            FROM firsts f JOIN rooms r ON r.name = f.room
        ), ins AS (
          INSERT INTO messages (room, seq, user_name, body, client_id)
          SELECT room, seq, usr, body, cid FROM numbered
          RETURNING room, seq, created_at
        ), bump AS (
          UPDATE rooms SET last_seq = x.top, last_message_at = now()
            FROM (SELECT room, max(seq) AS top FROM numbered GROUP BY room) x
           WHERE rooms.name = x.room
        ), ment AS (
          INSERT INTO mentions (user_name, room, seq)
          SELECT mu.u, n.room, n.seq
            FROM unnest(p_mention_idx, p_mention_user) AS mu(idx, u) JOIN numbered n ON n.i = mu.idx
          ON CONFLICT DO NOTHING
        )
        SELECT inp.i,
               coalesce(o.seq, n.seq),
               (o.i IS NULL AND n.i = inp.i),
               coalesce(o.body, n.body),
               coalesce(o.created_at, ins.created_at),
               o.edited_at,
               coalesce(o.deleted, false),
               o.update_seq,
               o.reactions
          FROM input inp
          LEFT JOIN old o ON o.i = inp.i
          LEFT JOIN numbered n ON o.i IS NULL AND n.room = inp.room AND n.usr = inp.usr AND n.cid = inp.cid
          LEFT JOIN ins ON ins.room = n.room AND ins.seq = n.seq
         ORDER BY inp.i;
      END
      $fn$
    `,
  },
  {
    name: "004_legacy_rooms",
    sql: `
      -- Until when a room may hold template (legacy) sockets on some node: a legacy join sets
      -- it (under the room's row lock, before its history read) and nodes holding legacy
      -- sockets extend it. chat_append returns it, so a message is published for the
      -- template's dialect only where someone speaks it.
      ALTER TABLE rooms ADD COLUMN legacy_until timestamptz;
      -- During a rolling upgrade, nodes of the previous version hold template sockets they
      -- do not mark: every existing room keeps both publishes for the first hour.
      UPDATE rooms SET legacy_until = now() + interval '1 hour';
      -- Replaced by 005 with one more result column, which CREATE OR REPLACE cannot add.
      DROP FUNCTION chat_append(text[], text[], text[], text[], int[], text[]);
    `,
  },
  {
    name: "005_append_by_key",
    single: true,
    sql: `
      -- chat_append as in 003, with every table reached by key, its plans made once, and
      -- whether the room may have legacy sockets (004).
      -- PL/pgSQL keeps a generic plan per session. 003's joins let that plan depend on the
      -- tables' sizes when it was made: made while messages was small, the lookup of retried
      -- clientIds became a hash join over a sequential scan of the whole table, which a
      -- pooled connection kept for good (docs/benchmarks.md, S4: 30 million rows read for
      -- 73,000 sends). Planning every call instead cost about 0.4 ms of PostgreSQL CPU per
      -- batch, most of a one-message batch. Here each table is reached through its key (a
      -- LATERAL lookup, a scalar subquery, = ANY of the batch's rooms), so one plan fits every
      -- size, and sequential scans are off as a guard; joins are only between the batch's
      -- own rows.
      CREATE FUNCTION chat_append(
        p_room text[], p_user text[], p_body text[], p_client text[],
        p_mention_idx int[], p_mention_user text[]
      ) RETURNS TABLE (
        i int, seq bigint, created boolean, body text, created_at timestamptz,
        edited_at timestamptz, deleted boolean, update_seq bigint, reactions jsonb,
        legacy boolean
      ) LANGUAGE plpgsql
        SET plan_cache_mode = force_generic_plan
        SET enable_seqscan = off
      AS $fn$
      #variable_conflict use_column
      DECLARE
        locked int;
      BEGIN
        -- Lock the batch's rooms in name order (writers never deadlock). The next statement
        -- starts after the locks, so it sees every earlier writer's commit.
        PERFORM 1 FROM rooms WHERE name = ANY (p_room) ORDER BY name FOR UPDATE;
        GET DIAGNOSTICS locked = ROW_COUNT;
        -- A room nobody joined through this database yet (rare: joining creates it). It is
        -- not created here: inserting a row while holding other rooms' locks can deadlock
        -- with a writer that inserted it first. The caller creates it on its own and retries;
        -- raising rolls back, which releases the locks taken above.
        IF locked < (SELECT count(DISTINCT r) FROM unnest(p_room) AS r) THEN
          RAISE EXCEPTION 'chat_append: missing rooms' USING ERRCODE = 'CH001';
        END IF;
        RETURN QUERY
        WITH input AS (
          SELECT t.ord::int AS i, t.room, t.usr, t.body, t.cid
            FROM unnest(p_room, p_user, p_body, p_client) WITH ORDINALITY AS t(room, usr, body, cid, ord)
        ), old AS (
          SELECT inp.i, m.seq, m.body, m.created_at, m.edited_at, m.deleted, m.update_seq, m.reactions
            FROM input inp
           CROSS JOIN LATERAL (
                 SELECT m.seq, m.body, m.created_at, m.edited_at, m.deleted, m.update_seq, m.reactions
                   FROM messages m
                  WHERE m.room = inp.room AND m.user_name = inp.usr AND m.client_id = inp.cid
                  LIMIT 1) m
        ), firsts AS (
          SELECT DISTINCT ON (room, usr, cid) i, room, usr, body, cid
            FROM input WHERE NOT EXISTS (SELECT 1 FROM old WHERE old.i = input.i)
           ORDER BY room, usr, cid, i
        ), numbered AS (
          SELECT f.i, f.room, f.usr, f.body, f.cid,
                 (SELECT r.last_seq FROM rooms r WHERE r.name = f.room)
                   + row_number() OVER (PARTITION BY f.room ORDER BY f.i) AS seq
            FROM firsts f
        ), ins AS (
          INSERT INTO messages (room, seq, user_name, body, client_id)
          SELECT room, seq, usr, body, cid FROM numbered
          RETURNING room, seq, created_at
        ), bump AS (
          UPDATE rooms SET last_seq = x.top, last_message_at = now()
            FROM (SELECT room, max(seq) AS top FROM numbered GROUP BY room) x
           WHERE rooms.name = x.room AND rooms.name = ANY (p_room)
        ), ment AS (
          INSERT INTO mentions (user_name, room, seq)
          SELECT mu.u, n.room, n.seq
            FROM unnest(p_mention_idx, p_mention_user) AS mu(idx, u) JOIN numbered n ON n.i = mu.idx
          ON CONFLICT DO NOTHING
        )
        SELECT inp.i,
               coalesce(o.seq, n.seq),
               (o.i IS NULL AND n.i = inp.i),
               coalesce(o.body, n.body),
               coalesce(o.created_at, ins.created_at),
               o.edited_at,
               coalesce(o.deleted, false),
               o.update_seq,
               o.reactions,
               -- Read after the room locks: a legacy join that set it has committed, and
               -- one that has not yet waits for this commit before reading the history.
               coalesce((SELECT r.legacy_until > now() FROM rooms r WHERE r.name = inp.room), false)
          FROM input inp
          LEFT JOIN old o ON o.i = inp.i
          LEFT JOIN numbered n ON o.i IS NULL AND n.room = inp.room AND n.usr = inp.usr AND n.cid = inp.cid
          LEFT JOIN ins ON ins.room = n.room AND ins.seq = n.seq
         ORDER BY inp.i;
      END
      $fn$
    `,
  },
  {
    name: "006_identifiers_bytewise",
    sql: `
      -- Room names, usernames and client ids are identifiers, not prose: they are compared
      -- byte for byte ("C"), as the server compares them (code point order; the patterns
      -- allow ASCII only). Under the database's default collation every index comparison
      -- of these columns went through strcoll, even with C.UTF-8: a quarter of
      -- PostgreSQL's CPU per stored message (docs/benchmarks.md, S4). Changing a text
      -- column's collation rewrites no table, but rebuilds the indexes on it while holding
      -- the table's lock: on a large deployment, plan this migration's downtime.
      ALTER TABLE rooms ALTER COLUMN name TYPE text COLLATE "C";
      ALTER TABLE messages ALTER COLUMN room TYPE text COLLATE "C",
        ALTER COLUMN user_name TYPE text COLLATE "C",
        ALTER COLUMN client_id TYPE text COLLATE "C";
      ALTER TABLE memberships ALTER COLUMN user_name TYPE text COLLATE "C",
        ALTER COLUMN room TYPE text COLLATE "C";
      ALTER TABLE mentions ALTER COLUMN user_name TYPE text COLLATE "C",
        ALTER COLUMN room TYPE text COLLATE "C";
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
      for (const stmt of m.single ? [m.sql] : splitStatements(m.sql)) await tx.query(stmt);
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
