-- messages partitioned by week of created_at (store/retention.ts keeps the partitions:
-- the coming weeks created ahead, expired weeks dropped with MESSAGE_RETENTION_DAYS).
-- This rewrites the whole table under its lock: on a large deployment, plan this
-- migration's downtime (docs/deploy.md).
ALTER TABLE messages RENAME TO messages_unpartitioned;
ALTER TABLE messages_unpartitioned RENAME CONSTRAINT messages_pkey TO messages_unpartitioned_pkey;
ALTER TABLE messages_unpartitioned RENAME CONSTRAINT messages_room_user_name_client_id_key TO messages_unpartitioned_client;
ALTER INDEX messages_id RENAME TO messages_unpartitioned_id;
ALTER INDEX messages_search RENAME TO messages_unpartitioned_search;
ALTER INDEX messages_room_update_seq RENAME TO messages_unpartitioned_update_seq;
ALTER INDEX messages_thread RENAME TO messages_unpartitioned_thread;

-- A unique constraint of a partitioned table must contain the partition key, so neither
-- (room, seq) nor the idempotency key (room, user_name, client_id) can be declared unique
-- any more. Both stay unique through the room's row lock: chat_append and changes.ts
-- allocate positions only while holding it, and chat_append looks a retried clientId up
-- (through messages_client, in every partition) after taking it, so a retry sees any
-- earlier commit of the same clientId in that room, whatever its week.
CREATE TABLE messages (
  room text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  user_name text COLLATE "C" NOT NULL,
  body text NOT NULL,
  client_id text COLLATE "C" NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  edited_at timestamptz,
  deleted boolean NOT NULL DEFAULT false,
  update_seq bigint,
  reactions jsonb,
  id bigint GENERATED ALWAYS AS IDENTITY,
  thread_of bigint,
  reply_count int NOT NULL DEFAULT 0,
  last_reply_at timestamptz,
  repliers text[],
  PRIMARY KEY (room, seq, created_at)
) PARTITION BY RANGE (created_at);
-- Never refuses a write, even if no node created the week's partition in time;
-- chat_week_partition moves what lands here into its week's partition.
CREATE TABLE messages_default PARTITION OF messages DEFAULT;

\ir ../functions/chat_partitions.sql

-- A partition per week that holds rows, and the current week and four ahead.
SELECT chat_week_partition(w) FROM (
  SELECT DISTINCT date_trunc('week', created_at, 'UTC') AS w FROM messages_unpartitioned
  UNION
  SELECT generate_series(now(), now() + interval '28 days', interval '7 days')
) weeks;

INSERT INTO messages (room, seq, user_name, body, client_id, created_at, edited_at, deleted, update_seq, reactions, id,
                      thread_of, reply_count, last_reply_at, repliers)
  OVERRIDING SYSTEM VALUE
  SELECT room, seq, user_name, body, client_id, created_at, edited_at, deleted, update_seq, reactions, id,
         thread_of, reply_count, last_reply_at, repliers
    FROM messages_unpartitioned;
SELECT setval(pg_get_serial_sequence('messages', 'id'), max(id)) FROM messages HAVING max(id) IS NOT NULL;
DROP TABLE messages_unpartitioned;

-- The indexes of 001-002 on every partition; the idempotency lookup is no longer unique (above).
CREATE INDEX messages_client ON messages (room, user_name, client_id);
CREATE INDEX messages_id ON messages (id);
CREATE INDEX messages_search ON messages USING gin (to_tsvector('simple', body));
CREATE INDEX messages_room_update_seq ON messages (room, update_seq) WHERE update_seq IS NOT NULL;
CREATE INDEX messages_thread ON messages (room, thread_of, seq) WHERE thread_of IS NOT NULL;

-- The room's first position still stored: retention raises it when it drops a week, and
-- reads answer "history starts at first_seq" below it.
ALTER TABLE rooms ADD COLUMN first_seq bigint NOT NULL DEFAULT 1;
