-- chat_legacy_rooms, current definition (migration 010 applies it with `\ir`).
-- Which of a batch's rooms may hold the Flask template's sockets (rooms.legacy_until, set
-- by a legacy join under the room's row lock). The writer calls it in the batch's statement
-- after chat_append_batch has locked the rooms, only when the template's dialect is on
-- (chat/legacy/). VOLATILE, so that its query takes a snapshot of its own, after the locks:
-- it sees every mark committed before them, and a mark that has not committed yet waits for
-- the batch's commit, whose messages its join then reads in the history. A lookup written
-- in the batch's statement itself would read the statement's snapshot, taken before the
-- locks, and could miss a mark committed while the batch waited for them.
CREATE OR REPLACE FUNCTION chat_legacy_rooms(p_room text[]) RETURNS text[]
LANGUAGE plpgsql VOLATILE
  SET plan_cache_mode = force_generic_plan
  SET enable_seqscan = off
AS $fn$
BEGIN
  RETURN (SELECT coalesce(array_agg(r.name), '{}') FROM rooms r
           WHERE r.name = ANY (p_room) AND r.legacy_until > now());
END
$fn$;
