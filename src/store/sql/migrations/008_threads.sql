-- Threads (docs/protocol.md, threads): a reply is a message of the room's log whose
-- thread_of names its root; the root keeps its thread's summary (reply count, time of
-- the last reply, the last few repliers), changed at a position of its own.
ALTER TABLE messages
  ADD COLUMN thread_of bigint,
  ADD COLUMN reply_count int NOT NULL DEFAULT 0,
  ADD COLUMN last_reply_at timestamptz,
  ADD COLUMN repliers text[];
-- thread:history pages one thread by key.
CREATE INDEX messages_thread ON messages (room, thread_of, seq) WHERE thread_of IS NOT NULL;
-- Who follows which thread: replies raise a reader's unread count only in these.
-- chat_append adds the root's author, each replier and the users a reply mentions.
CREATE TABLE thread_follows (
  user_name text COLLATE "C" NOT NULL,
  room text COLLATE "C" NOT NULL,
  root bigint NOT NULL,
  PRIMARY KEY (user_name, room, root)
);
-- chat_append takes the replies' roots (a seventh array, defaulting to none), so the old
-- signature goes; its result gains the thread columns.
DROP FUNCTION IF EXISTS chat_append(text[], text[], text[], text[], int[], text[]);
\ir ../functions/replaced/chat_append.sql
