-- rooms:browse (docs/protocol.md): the public rooms, in name order, with member counts.
-- Only public rooms are indexed, so a page never walks past DM rooms (dm:... sort
-- among the public names). Name order uses no column that a stored message changes:
-- updates of rooms.last_seq stay HOT, as an index on last activity would not let them.
-- Expand only. While it runs, writes to rooms (every stored message) and memberships
-- (joins) wait: the index build reads every room, the count every membership.
CREATE INDEX rooms_public_name ON rooms (name) WHERE name NOT LIKE 'dm:%';

-- Member counts of public rooms, kept by a trigger on memberships rather than in rooms,
-- whose row every write batch of the room locks: a join never waits for a batch.
CREATE TABLE room_stats (
  room text COLLATE "C" PRIMARY KEY,
  members int NOT NULL DEFAULT 0
);
\ir ../functions/room_member_count.sql
-- The trigger first: it locks memberships against writes until this migration commits,
-- so the count below misses no join made meanwhile.
CREATE TRIGGER memberships_count_in AFTER INSERT ON memberships
  FOR EACH ROW WHEN (NEW.room NOT LIKE 'dm:%') EXECUTE FUNCTION room_member_count();
CREATE TRIGGER memberships_count_out AFTER DELETE ON memberships
  FOR EACH ROW WHEN (OLD.room NOT LIKE 'dm:%') EXECUTE FUNCTION room_member_count();
INSERT INTO room_stats (room, members)
  SELECT room, count(*) FROM memberships WHERE room NOT LIKE 'dm:%' GROUP BY room;
