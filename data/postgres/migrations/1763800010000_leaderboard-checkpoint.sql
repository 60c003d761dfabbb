-- Up Migration
-- The leaderboard's running state lives in memory where the books stage runs (server/leaderboard/boardState.ts)
-- and advances from each minute's snapshots. This one row is its checkpoint: every team's metrics
-- accumulator as little-endian Float64 (13 per team, in team_ids order, null as NaN), written in one
-- statement every 15 minutes of snapshots. After a restart the board is rebuilt from it plus the snapshots after
-- `minute` (the sparklines and latest figures come from equity_snapshots), to the same bits.
CREATE TABLE leaderboard_checkpoint (
  id           boolean     PRIMARY KEY DEFAULT true CHECK (id),
  -- The latest snapshot minute the accumulators have taken.
  minute       timestamptz NOT NULL,
  team_ids     text[]      NOT NULL,
  accumulators bytea       NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (octet_length(accumulators) = cardinality(team_ids) * 13 * 8)
);

-- Replaced by the checkpoint (a first computation with no checkpoint replays the stored snapshots).
DROP TABLE leaderboard_team_state;

-- Down Migration
CREATE TABLE leaderboard_team_state (
  team_id      text PRIMARY KEY REFERENCES teams (id),
  last_minute  timestamptz NOT NULL,
  accumulator  jsonb       NOT NULL,
  recent       jsonb       NOT NULL DEFAULT '[]'::jsonb,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
DROP TABLE leaderboard_checkpoint;
