-- Room names, usernames and client ids are identifiers, not prose: they are compared
-- byte for byte ("C"), as the server compares them (code point order; the patterns
-- allow ASCII only). Under the database's default collation every index comparison
-- of these columns went through strcoll, even with C.UTF-8: a quarter of
-- PostgreSQL's CPU per stored message (docs/benchmarks.md, S4). Changing a text
-- column's collation rewrites no table, but rebuilds the indexes on it while holding
-- the table's lock: on a large deployment, plan this migration's downtime.
ALTER TABLE rooms ALTER COLUMN name TYPE text COLLATE "C";
ALTER TABLE messages ALTER COLUMN room TYPE text COLLATE "C",
  ALTER COLUMN user_name TYPE text COLLATE "C",
  ALTER COLUMN client_id TYPE text COLLATE "C";
ALTER TABLE memberships ALTER COLUMN user_name TYPE text COLLATE "C",
  ALTER COLUMN room TYPE text COLLATE "C";
ALTER TABLE mentions ALTER COLUMN user_name TYPE text COLLATE "C",
  ALTER COLUMN room TYPE text COLLATE "C";
