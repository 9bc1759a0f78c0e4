-- Users who have connected at least once: only they can be opened a DM with, so that
-- dm:open cannot create memberships for names nobody uses (docs/protocol.md).
CREATE TABLE users (
  name text COLLATE "C" PRIMARY KEY,
  first_seen timestamptz NOT NULL DEFAULT now()
);
-- Everyone who sent a message or joined a public room before; DM memberships alone
-- may name someone who never came.
INSERT INTO users (name)
  SELECT user_name FROM messages UNION SELECT user_name FROM memberships WHERE room NOT LIKE 'dm:%'
  ON CONFLICT DO NOTHING;
