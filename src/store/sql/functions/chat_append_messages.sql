-- chat_append_messages, current definition (migration 014 applies it with `\ir`; to change
-- it, follow docs/architecture.md: a migration must replay as it ran).
-- The write path in one round trip: the room locks are held only while the database itself
-- works, never across a network round trip to the node. Sends of one batch come as arrays,
-- index i (1-based) in each; one row per input comes back, in input order.
-- What another module must read after the locks, in the same transaction, the writer reads
-- in the same statement after this function (store/writer.ts, AfterLockRead).
-- Every table is reached through its key (a LATERAL lookup, a scalar subquery, = ANY of the
-- batch's rooms), so the one generic plan a session keeps fits every table size; joining
-- the tables instead let a plan made while messages was small scan the whole table for
-- good (docs/benchmarks.md, S4). Sequential scans are off as a guard.
-- Threads (migration 007): p_thread[i] is the seq a send replies to (NULL: not a reply).
-- A reply joins its parent's root; a new reply takes two positions, its own and the next
-- for its root's change (reply_count, last_reply_at, repliers), so clients that track
-- positions see both. A reply whose parent or root is missing or deleted is refused:
-- its row comes back with `refused` and takes no position.
-- Attachments (migration 011): p_attach[i] is the send's attachments as a jsonb array (NULL:
-- none), which the message keeps, with their names for search (messages_attachment_search);
-- the caller has claimed them. It replaces chat_append_batch (010), which the previous
-- version's nodes keep calling during a rolling upgrade.
-- One send that is not a reply (migration 014) takes a path of plain statements with the
-- same answer: most batches hold one message when sends are spread over many users, and
-- there the batch statement's executor start-up (every partition of messages, for the
-- thread lookups and the roots' UPDATE) and its hash joins cost twice the work itself
-- (docs/benchmarks.md, S2).

-- The last three distinct repliers, the most recent last.
CREATE OR REPLACE FUNCTION chat_repliers(p_old text[], p_new text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $fn$
  SELECT coalesce(array_agg(u ORDER BY k), '{}') FROM (
    SELECT u, max(k) AS k FROM unnest(coalesce(p_old, '{}') || p_new) WITH ORDINALITY AS x(u, k)
     GROUP BY u ORDER BY max(k) DESC LIMIT 3) s
$fn$;

CREATE OR REPLACE FUNCTION chat_append_messages(
  p_room text[], p_user text[], p_body text[], p_client text[],
  p_mention_idx int[], p_mention_user text[], p_thread bigint[] DEFAULT NULL,
  p_attach jsonb[] DEFAULT NULL
) RETURNS TABLE (
  i int, seq bigint, created boolean, body text, created_at timestamptz,
  edited_at timestamptz, deleted boolean, update_seq bigint, reactions jsonb,
  thread_of bigint, reply_count int, last_reply_at timestamptz,
  repliers text[], refused boolean, root jsonb, attachments jsonb
) LANGUAGE plpgsql
  SET plan_cache_mode = force_generic_plan
  SET enable_seqscan = off
AS $fn$
#variable_conflict use_column
DECLARE
  locked int;
  top_seq bigint;
  stored_at timestamptz;
  o record;
BEGIN
  IF cardinality(p_room) = 1 AND (p_thread IS NULL OR p_thread[1] IS NULL) THEN
    SELECT r.last_seq INTO top_seq FROM rooms r WHERE r.name = p_room[1] FOR UPDATE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'chat_append_messages: missing rooms' USING ERRCODE = 'CH001';
    END IF;
    SELECT m.seq, m.body, m.created_at, m.edited_at, m.deleted, m.update_seq, m.reactions,
           m.thread_of, m.reply_count, m.last_reply_at, m.repliers, m.attachments INTO o
      FROM messages m
     WHERE m.room = p_room[1] AND m.user_name = p_user[1] AND m.client_id = p_client[1]
     LIMIT 1;
    IF FOUND THEN
      RETURN QUERY SELECT 1, o.seq, false, o.body, o.created_at, o.edited_at, o.deleted, o.update_seq,
        o.reactions, o.thread_of, o.reply_count, o.last_reply_at, o.repliers, false, NULL::jsonb, o.attachments;
      RETURN;
    END IF;
    INSERT INTO messages (room, seq, user_name, body, client_id, attachments, attachment_names)
    VALUES (p_room[1], top_seq + 1, p_user[1], p_body[1], p_client[1], p_attach[1],
            (SELECT string_agg((a->>'name') || ' ' || regexp_replace(a->>'name', '[^[:alnum:]]+', ' ', 'g'), ' ')
               FROM jsonb_array_elements(p_attach[1]) a))
    RETURNING messages.created_at INTO stored_at;
    UPDATE rooms SET last_seq = top_seq + 1, last_message_at = now() WHERE name = p_room[1];
    IF cardinality(p_mention_user) > 0 THEN
      INSERT INTO mentions (user_name, room, seq)
      SELECT mu.u, p_room[1], top_seq + 1 FROM unnest(p_mention_idx, p_mention_user) AS mu(idx, u) WHERE mu.idx = 1
      ON CONFLICT DO NOTHING;
    END IF;
    RETURN QUERY SELECT 1, top_seq + 1, true, p_body[1], stored_at, NULL::timestamptz, false, NULL::bigint,
      NULL::jsonb, NULL::bigint, 0, NULL::timestamptz, NULL::text[], false, NULL::jsonb, p_attach[1];
    RETURN;
  END IF;
  -- A batch: every send in one statement.
  -- Lock the batch's rooms in name order (writers never deadlock). The next statement
  -- starts after the locks, so it sees every earlier writer's commit.
  PERFORM 1 FROM rooms WHERE name = ANY (p_room) ORDER BY name FOR UPDATE;
  GET DIAGNOSTICS locked = ROW_COUNT;
  -- A room nobody joined through this database yet (rare: joining creates it). It is
  -- not created here: inserting a row while holding other rooms' locks can deadlock
  -- with a writer that inserted it first. The caller creates it on its own and retries;
  -- raising rolls back, which releases the locks taken above.
  IF locked < (SELECT count(DISTINCT r) FROM unnest(p_room) AS r) THEN
    RAISE EXCEPTION 'chat_append_messages: missing rooms' USING ERRCODE = 'CH001';
  END IF;
  RETURN QUERY
  WITH input AS (
    SELECT t.ord::int AS i, t.room, t.usr, t.body, t.cid, t.thr, t.att
      FROM unnest(p_room, p_user, p_body, p_client, p_thread, p_attach) WITH ORDINALITY AS t(room, usr, body, cid, thr, att, ord)
  ), old AS (
    SELECT inp.i, m.seq, m.body, m.created_at, m.edited_at, m.deleted, m.update_seq, m.reactions,
           m.thread_of, m.reply_count, m.last_reply_at, m.repliers, m.attachments
      FROM input inp
     CROSS JOIN LATERAL (
           SELECT m.seq, m.body, m.created_at, m.edited_at, m.deleted, m.update_seq, m.reactions,
                  m.thread_of, m.reply_count, m.last_reply_at, m.repliers, m.attachments
             FROM messages m
            WHERE m.room = inp.room AND m.user_name = inp.usr AND m.client_id = inp.cid
            LIMIT 1) m
  ), target AS (
    -- The root a reply joins: its parent, or the parent's own root; both must be there.
    SELECT inp.i, rt.seq AS root
      FROM input inp
     CROSS JOIN LATERAL (
           SELECT coalesce(p.thread_of, p.seq) AS seq FROM messages p
            WHERE p.room = inp.room AND p.seq = inp.thr AND NOT p.deleted) par
     CROSS JOIN LATERAL (
           SELECT r.seq FROM messages r
            WHERE r.room = inp.room AND r.seq = par.seq AND NOT r.deleted) rt
     WHERE inp.thr IS NOT NULL
  ), firsts AS (
    SELECT DISTINCT ON (room, usr, cid) inp.i, inp.room, inp.usr, inp.body, inp.cid, inp.att, tg.root,
           CASE WHEN tg.root IS NULL THEN 1 ELSE 2 END AS w
      FROM input inp LEFT JOIN target tg ON tg.i = inp.i
     WHERE NOT EXISTS (SELECT 1 FROM old WHERE old.i = inp.i)
       AND (inp.thr IS NULL OR tg.root IS NOT NULL)
     ORDER BY inp.room, inp.usr, inp.cid, inp.i
  ), numbered AS (
    SELECT f.i, f.room, f.usr, f.body, f.cid, f.att, f.root, f.w,
           (SELECT r.last_seq FROM rooms r WHERE r.name = f.room)
             + sum(f.w) OVER (PARTITION BY f.room ORDER BY f.i) - f.w + 1 AS seq
      FROM firsts f
  ), ins AS (
    INSERT INTO messages (room, seq, user_name, body, client_id, thread_of, attachments, attachment_names)
    SELECT room, seq, usr, body, cid, root, att,
           -- Each name whole ('q3-report.pdf' is one token to the parser) and in words.
           (SELECT string_agg((a->>'name') || ' ' || regexp_replace(a->>'name', '[^[:alnum:]]+', ' ', 'g'), ' ')
              FROM jsonb_array_elements(att) a)
      FROM numbered
    RETURNING room, seq, created_at
  ), roots AS (
    -- Each root once, at the position after its batch's last reply to it.
    UPDATE messages m
       SET reply_count = m.reply_count + x.n, last_reply_at = now(), update_seq = x.pos,
           repliers = chat_repliers(m.repliers, x.users)
      FROM (SELECT n.room, n.root, count(*)::int AS n, max(n.seq) + 1 AS pos, array_agg(n.usr ORDER BY n.seq) AS users
              FROM numbered n WHERE n.root IS NOT NULL GROUP BY n.room, n.root) x
     WHERE m.room = x.room AND m.seq = x.root
    RETURNING m.room, m.seq, m.user_name, m.reply_count = x.n AS first_replies, to_jsonb(m) AS state
  ), follow AS (
    -- Repliers and the users a reply mentions follow (again); the root's author only at its
    -- first replies, so that an author's unfollow holds.
    INSERT INTO thread_follows (user_name, room, root)
    SELECT DISTINCT s.u, s.room, s.root FROM (
      SELECT n.usr AS u, n.room, n.root FROM numbered n WHERE n.root IS NOT NULL
      UNION ALL SELECT r.user_name, r.room, r.seq FROM roots r WHERE r.first_replies
      UNION ALL SELECT mu.u, n.room, n.root
        FROM unnest(p_mention_idx, p_mention_user) AS mu(idx, u) JOIN numbered n ON n.i = mu.idx
       WHERE n.root IS NOT NULL) s
    ON CONFLICT DO NOTHING
  ), bump AS (
    UPDATE rooms SET last_seq = x.top, last_message_at = now()
      FROM (SELECT room, max(seq + w - 1) AS top FROM numbered GROUP BY room) x
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
         coalesce(o.thread_of, n.root),
         coalesce(o.reply_count, 0),
         o.last_reply_at,
         o.repliers,
         (o.i IS NULL AND n.i IS NULL),
         CASE WHEN n.i = inp.i THEN rt.state END,
         CASE WHEN o.i IS NOT NULL THEN o.attachments ELSE n.att END
    FROM input inp
    LEFT JOIN old o ON o.i = inp.i
    LEFT JOIN numbered n ON o.i IS NULL AND n.room = inp.room AND n.usr = inp.usr AND n.cid = inp.cid
    LEFT JOIN ins ON ins.room = n.room AND ins.seq = n.seq
    LEFT JOIN roots rt ON rt.room = n.room AND rt.seq = n.root
   ORDER BY inp.i;
END
$fn$;
