-- Up Migration
-- Secrets of the competition that every worker must share and no team may see, e.g. the key from
-- which each team's Math.random seed is derived. Made once (by whichever process gets there
-- first), never exposed by any route, kept across restarts so a season replays bit for bit.
CREATE TABLE competition_secrets (
  name       text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{1,63}$'),
  value      text        NOT NULL CHECK (length(value) >= 32),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE competition_secrets;
