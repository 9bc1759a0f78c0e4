-- Weekly partitions of messages (migration 008), current definitions (migrations apply
-- them with `\ir`; store/retention.ts calls them). Partition names are made here from a
-- week's start (messages_YYYYMMDD, Monday 00:00 UTC) and quoted with %I: no caller
-- builds SQL text.

-- The partition of the week starting at p_week (rounded down to its Monday, UTC), unless it
-- exists. Rows of that week already in the default partition (upkeep did not run for weeks)
-- would make the creation fail: the default is detached, they move, and it comes back.
CREATE OR REPLACE FUNCTION chat_week_partition(p_week timestamptz) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
  w timestamptz := date_trunc('week', p_week, 'UTC');
  part text := 'messages_' || to_char(w AT TIME ZONE 'UTC', 'YYYYMMDD');
  stray boolean;
BEGIN
  IF to_regclass(quote_ident(part)) IS NOT NULL THEN
    RETURN NULL;
  END IF;
  SELECT EXISTS (SELECT 1 FROM messages_default WHERE created_at >= w AND created_at < w + interval '7 days')
    INTO stray;
  IF stray THEN
    ALTER TABLE messages DETACH PARTITION messages_default;
  END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF messages FOR VALUES FROM (%L) TO (%L)',
    part, w, w + interval '7 days');
  IF stray THEN
    WITH moved AS (
      DELETE FROM messages_default d WHERE d.created_at >= w AND d.created_at < w + interval '7 days'
      RETURNING d.room, d.seq, d.user_name, d.body, d.client_id, d.created_at, d.edited_at, d.deleted,
                d.update_seq, d.reactions, d.id
    )
    INSERT INTO messages (room, seq, user_name, body, client_id, created_at, edited_at, deleted, update_seq, reactions, id)
      OVERRIDING SYSTEM VALUE SELECT * FROM moved;
    ALTER TABLE messages ATTACH PARTITION messages_default DEFAULT;
  END IF;
  RETURN part;
END
$fn$;

-- Drops an expired week's partition. First each room's first_seq goes past the week's
-- positions (rooms locked in name order, as writers lock them, and before the table's
-- lock: a writer holds its rooms and then wants the table, never the other way round).
-- created_at follows seq only to within a commit, so a position just below the new
-- first_seq may lie in the first day after the week: deleted too, so that nothing is stored
-- below first_seq. Then the week's mentions, then the partition: instant, no bloat.
CREATE OR REPLACE FUNCTION chat_expire_week(p_partition text) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  upper_bound timestamptz;
BEGIN
  IF p_partition !~ '^messages_[0-9]{8}$' THEN
    RAISE EXCEPTION 'chat_expire_week: % is not a weekly partition', p_partition;
  END IF;
  upper_bound := (to_date(substr(p_partition, 10), 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC') + interval '7 days';
  CREATE TEMP TABLE expired_tops (room text COLLATE "C", top bigint) ON COMMIT DROP;
  EXECUTE format('INSERT INTO expired_tops SELECT room, max(seq) FROM %I GROUP BY room', p_partition);
  WITH locked AS MATERIALIZED (
    SELECT r.name, t.top FROM rooms r JOIN expired_tops t ON t.room = r.name ORDER BY r.name FOR UPDATE OF r
  )
  UPDATE rooms SET first_seq = greatest(rooms.first_seq, locked.top + 1)
    FROM locked WHERE rooms.name = locked.name;
  DELETE FROM messages m USING expired_tops t
   WHERE m.room = t.room AND m.seq <= t.top
     AND m.created_at >= upper_bound AND m.created_at < upper_bound + interval '1 day';
  DELETE FROM mentions m USING expired_tops t WHERE m.room = t.room AND m.seq <= t.top;
  DROP TABLE expired_tops;
  EXECUTE format('DROP TABLE %I', p_partition);
END
$fn$;
