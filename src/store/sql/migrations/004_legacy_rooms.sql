-- Until when a room may hold template (legacy) sockets on some node: a legacy join sets
-- it (under the room's row lock, before its history read) and nodes holding legacy
-- sockets extend it. chat_append returns it, so a message is published for the
-- template's dialect only where someone speaks it.
ALTER TABLE rooms ADD COLUMN legacy_until timestamptz;
-- During a rolling upgrade, nodes of the previous version hold template sockets they
-- do not mark: every existing room keeps both publishes for the first hour.
UPDATE rooms SET legacy_until = now() + interval '1 hour';
-- 003's chat_append (on databases that ran it), replaced by 005 with one more result
-- column, which CREATE OR REPLACE cannot add.
DROP FUNCTION IF EXISTS chat_append(text[], text[], text[], text[], int[], text[]);
