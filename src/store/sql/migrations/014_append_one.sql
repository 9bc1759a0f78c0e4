-- chat_append_messages with a path of plain statements for a batch of one send that is not
-- a reply (sql/functions/chat_append_messages.sql says why). Same arguments and answer: the
-- previous release's nodes keep calling it during a rolling upgrade.
\ir ../functions/chat_append_messages.sql
