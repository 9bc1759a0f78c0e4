-- One row per room. last_seq is the room log's newest position; a writer locks this
-- row to allocate positions, which orders every commit of the room.
CREATE TABLE rooms (
  name text PRIMARY KEY,
  last_seq bigint NOT NULL DEFAULT 0,
  last_message_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE messages (
  room text NOT NULL,
  seq bigint NOT NULL,
  user_name text NOT NULL,
  body text NOT NULL,
  client_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  edited_at timestamptz,
  deleted boolean NOT NULL DEFAULT false,
  -- Position of the message's latest change in the room log (rich messaging).
  update_seq bigint,
  PRIMARY KEY (room, seq),
  -- Idempotent sends: a retried clientId finds the stored message.
  UNIQUE (room, user_name, client_id)
);
CREATE INDEX messages_room_update_seq ON messages (room, update_seq) WHERE update_seq IS NOT NULL;

-- Rooms a user has joined, with the user's read marker.
CREATE TABLE memberships (
  user_name text NOT NULL,
  room text NOT NULL REFERENCES rooms (name),
  read_seq bigint NOT NULL DEFAULT 0,
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_name, room)
);
