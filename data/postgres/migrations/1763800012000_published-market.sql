-- Up Migration
-- The market the control process put in force, written in the same transaction as each registry
-- version it publishes: a worker on any machine reads its bars from here, never from a file of its own
-- disk. One row. replay_csv is the whole CSV file the control process replays (REPLAY_FILE, or the
-- registry's marketData.replayFile); null when the market is the registry's simulator or Alpaca.
CREATE TABLE published_market (
  id            smallint    PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  replay_name   text,
  replay_sha256 text,
  replay_csv    text,
  published_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((replay_csv IS NULL) = (replay_sha256 IS NULL) AND (replay_csv IS NULL) = (replay_name IS NULL))
);

-- Down Migration
DROP TABLE published_market;
