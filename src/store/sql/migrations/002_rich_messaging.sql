-- Current reactions of a message: emoji -> usernames, in the order they reacted.
ALTER TABLE messages ADD COLUMN reactions jsonb;
-- Insertion order across rooms: the cursor of cross-room search results.
ALTER TABLE messages ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX messages_id ON messages (id);
-- Full-text search over bodies; 'simple' does not stem, so it suits any language.
CREATE INDEX messages_search ON messages USING gin (to_tsvector('simple', body));
-- Who was mentioned where: the mention counts of rooms:list.
CREATE TABLE mentions (
  user_name text NOT NULL,
  room text NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (user_name, room, seq)
);
