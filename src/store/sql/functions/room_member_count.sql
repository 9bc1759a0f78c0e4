-- Keeps room_stats.members equal to the number of memberships of each public room
-- (migration 012), so that rooms:browse reads a member count instead of counting a room's
-- members on every page. A trigger of memberships, row by row: a join that inserts
-- nothing (already a member) costs nothing.
CREATE OR REPLACE FUNCTION room_member_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO room_stats AS s (room, members) VALUES (NEW.room, 1)
      ON CONFLICT (room) DO UPDATE SET members = s.members + 1;
  ELSE
    UPDATE room_stats SET members = members - 1 WHERE room = OLD.room;
  END IF;
  RETURN NULL;
END;
$$;
