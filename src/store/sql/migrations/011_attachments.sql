-- File attachments (docs/protocol.md, attachments). An upload is a row of `attachments`
-- and its bytes in the configured store (attachment_chunks for the PostgreSQL store).
-- A send claims its uploads with its clientId, so a message and its files meet through
-- the message's idempotency key (room, user_name, client_id); `seq` is filled in once the
-- message is committed. The sweep removes uploads never linked within an hour and the
-- bytes of `gone` rows (deleted messages), on any node.
CREATE TABLE attachments (
  id text COLLATE "C" PRIMARY KEY,
  room text COLLATE "C" NOT NULL,
  user_name text COLLATE "C" NOT NULL,
  name text NOT NULL,
  size bigint NOT NULL DEFAULT 0,
  type text NOT NULL DEFAULT 'application/octet-stream',
  width int,
  height int,
  -- Images: the preview's size in bytes, stored under id + '/thumb'; NULL = none.
  thumb_size int,
  -- Which back end holds the bytes ('postgres' or 's3'): a store switched later still finds old files.
  store text NOT NULL,
  -- false while the bytes are still arriving: never served, never linked.
  ready boolean NOT NULL DEFAULT false,
  gone boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  client_id text COLLATE "C",
  claimed_at timestamptz,
  seq bigint
);
CREATE INDEX attachments_message ON attachments (room, user_name, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX attachments_unlinked ON attachments (created_at) WHERE seq IS NULL;
CREATE INDEX attachments_gone ON attachments (id) WHERE gone;
-- MESSAGE_RETENTION_DAYS: linked files older than that, whose message may have expired.
CREATE INDEX attachments_linked_age ON attachments (created_at) WHERE seq IS NOT NULL AND NOT gone;

-- The PostgreSQL store: a file as fixed-size chunks, so that an upload and a Range read
-- hold one chunk in memory at a time. `key` is an attachment id, or id + '/thumb'.
CREATE TABLE attachment_chunks (
  key text COLLATE "C" NOT NULL,
  n int NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (key, n)
);
-- Out of line and uncompressed: the bytes are mostly compressed already (images, zip).
ALTER TABLE attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- Bytes each user uploaded per UTC day: UPLOAD_QUOTA_BYTES_PER_DAY across the cluster.
CREATE TABLE upload_usage (
  user_name text COLLATE "C" NOT NULL,
  day date NOT NULL,
  bytes bigint NOT NULL,
  PRIMARY KEY (user_name, day)
);

-- A message's attachments as clients see them (without urls, which the server derives),
-- and their names for search, indexed like bodies.
ALTER TABLE messages ADD COLUMN attachments jsonb, ADD COLUMN attachment_names text;
CREATE INDEX messages_attachment_search ON messages USING gin (to_tsvector('simple', attachment_names));

-- chat_append_messages: chat_append_batch (010) that also takes each send's attachments (an
-- eighth array) and returns them. A new function beside the old one, which the previous
-- version's nodes keep calling during a rolling upgrade (docs/deploy.md); a later release
-- drops it.
\ir ../functions/replaced/chat_append_messages.sql
