-- chat_append_batch: chat_append without the Flask template's dialect, which reads what it
-- needs after the room locks through chat_legacy_rooms, and only when it is on.
-- chat_append (005, 008) stays for nodes of the previous version during a rolling upgrade
-- (docs/deploy.md, the compatibility rule): a later release drops it.
\ir ../functions/replaced/chat_append_batch.sql
\ir ../functions/chat_legacy_rooms.sql
