-- Search by windows of ids (store/search.ts): the word index also keys each row by its id's
-- bucket of 4,096 (btree_gin indexes the bigint), so that one index scan finds a word among
-- the newest buckets, and only those matches are read from the table.
-- btree_gin is a contrib module of PostgreSQL itself, trusted: the database's owner may
-- create it (managed services list it too).
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- Every scan of a GIN index reads its whole pending list (fastupdate), and the insert that
-- overfills it merges it into the index before its commit: 256 kB instead of the default
-- 4 MB keeps both short (a few milliseconds) for searches and for the send that pays the merge.
CREATE INDEX messages_search_window ON messages
  USING gin (to_tsvector('simple', body), (id >> 12)) WITH (gin_pending_list_limit = 256);

-- The new index answers the body match alone as well (a GIN index serves any of its
-- columns), so the previous release's nodes search through it during a rolling upgrade:
-- the old index goes now rather than in a later release, and sends do not pay for both.
DROP INDEX messages_search;

-- Attachment names: the same pending list bound. Rebuilt, as a partitioned index takes no
-- ALTER INDEX ... SET; each build reads the table once, holding writes to messages.
DROP INDEX messages_attachment_search;
CREATE INDEX messages_attachment_search ON messages
  USING gin (to_tsvector('simple', attachment_names)) WITH (gin_pending_list_limit = 256);
