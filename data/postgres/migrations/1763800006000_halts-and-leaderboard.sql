-- Up Migration
-- Halts: an admin stops the whole competition or one team. A row exists while the halt holds;
-- resuming deletes it (the audit events keep the history). The minute job reads this table at the
-- start of every minute: a halted competition trades nothing, a halted team's strategy does not run.
CREATE TABLE halts (
  subject    text PRIMARY KEY CHECK (subject = 'competition' OR subject ~ '^team:[a-z0-9][a-z0-9-]{1,31}$'),
  team_id    text REFERENCES teams (id),
  reason     text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  halted_at  timestamptz NOT NULL DEFAULT now(),
  halted_by  text        NOT NULL,
  CHECK ((subject = 'competition') = (team_id IS NULL)),
  CHECK (team_id IS NULL OR subject = 'team:' || team_id)
);

-- The leaderboard's running metrics per team: the O(1) accumulator state of the equity series
-- (server/trading/metrics), advanced once per snapshot minute, plus the last equities for sparklines.
-- Trade statistics are not kept here: they are summed from `fills` at every computation.
CREATE TABLE leaderboard_team_state (
  team_id      text PRIMARY KEY REFERENCES teams (id),
  last_minute  timestamptz NOT NULL,
  accumulator  jsonb       NOT NULL,
  -- Equity in dollars of the latest minutes, oldest first (bounded length).
  recent       jsonb       NOT NULL DEFAULT '[]'::jsonb,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE leaderboard_team_state;
DROP TABLE halts;
