-- chat_append as in 003, with every table reached by key, its plans made once, and
-- whether the room may have legacy sockets (004). 004 dropped 003's version: its result
-- gains a column, which CREATE OR REPLACE cannot add.
\ir ../functions/replaced/chat_append.sql
