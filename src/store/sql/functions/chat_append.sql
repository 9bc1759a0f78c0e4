-- chat_append, current definition (migrations apply it with `\ir`; to change it, edit it
-- here and add a migration that applies it again: docs/architecture.md).
-- The write path in one round trip: the room locks are held only while the database itself
-- works, never across a network round trip to the node. Sends of one batch come as arrays,
-- index i (1-based) in each; one row per input comes back, with whether the room may have
-- legacy sockets (rooms.legacy_until).
-- Every table is reached through its key (a LATERAL lookup, a scalar subquery, = ANY of the
-- batch's rooms), so the one generic plan a session keeps fits every table size; joining
-- the tables instead let a plan made while messages was small scan the whole table for
-- good (docs/benchmarks.md, S4). Sequential scans are off as a guard.
CREATE OR REPLACE FUNCTION chat_append(
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
