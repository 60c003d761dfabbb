-- Up Migration
-- The minute tick: one row per market minute with the bars every team saw (and their hash), the
-- carried-forward prices, the teams that were due, per-stage timings, attempts and errors; one row
-- per (minute, team) holding the strategy's run and the orders it decided (the durable decision the
-- ledger's intents are made from, so a retried minute never decides twice); one row per
-- (minute, shard) for the share of teams a worker ran; the teams' persisted risk state.

CREATE TABLE ticks (
  minute          timestamptz PRIMARY KEY,
  status          text        NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  -- Highest BullMQ attempt number any job of this minute reached (1 = no retry).
  attempts        integer     NOT NULL DEFAULT 1 CHECK (attempts >= 1),
  shards          integer     NOT NULL CHECK (shards >= 1),
  -- 'live' | 'simulated' | 'replay': whose clock produced the minute.
  clock           text        NOT NULL,
  source          text        NOT NULL,
  stale           boolean     NOT NULL DEFAULT false,
  stale_reason    text,
  -- sha256 of the canonical JSON of `bars`: every team of the minute saw exactly this snapshot.
  bar_hash        text        NOT NULL CHECK (bar_hash ~ '^[0-9a-f]{64}$'),
  -- { "SPY": [open, high, low, close, volume] } (dollars, as the source gave them).
  bars            jsonb       NOT NULL,
  -- Last known close per symbol (dollars), carried forward from earlier minutes for symbols without a bar.
  prices          jsonb       NOT NULL,
  -- [{ "teamId": "alpha", "versionId": 12 }]: the teams due this minute, fixed when the bars are stored.
  teams           jsonb       NOT NULL,
  -- Set once the fills of this minute (orders from earlier minutes) are applied.
  prepared_at     timestamptz,
  fills_applied   integer,
  teams_run       integer,
  -- Milliseconds: { bars, fills, strategies, orders, books, total }.
  stage_ms        jsonb       NOT NULL DEFAULT '{}'::jsonb,
  -- [{ stage, teamId?, message }]
  errors          jsonb       NOT NULL DEFAULT '[]'::jsonb,
  events_published boolean   NOT NULL DEFAULT false,
  started_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz
);
CREATE INDEX ticks_status_idx ON ticks (status, minute DESC);

CREATE TABLE tick_team_runs (
  minute      timestamptz      NOT NULL REFERENCES ticks (minute),
  team_id     text             NOT NULL REFERENCES teams (id),
  version_id  bigint,
  shard       integer          NOT NULL,
  worker      text             NOT NULL,
  -- The strategy's signals as returned, the intents validation and risk accepted (exact Money as
  -- integers of 1/10,000 $), and the rejections with their reasons.
  signals     jsonb            NOT NULL DEFAULT '[]'::jsonb,
  intents     jsonb            NOT NULL DEFAULT '[]'::jsonb,
  rejections  jsonb            NOT NULL DEFAULT '[]'::jsonb,
  -- { kind, message, stack? } when the strategy failed this minute.
  error       jsonb,
  logs        jsonb            NOT NULL DEFAULT '[]'::jsonb,
  cpu_ms      double precision NOT NULL DEFAULT 0,
  wall_ms     double precision NOT NULL DEFAULT 0,
  created_at  timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (minute, team_id)
);
CREATE INDEX tick_team_runs_team_idx ON tick_team_runs (team_id, minute DESC);

CREATE TABLE tick_shards (
  minute       timestamptz NOT NULL REFERENCES ticks (minute),
  shard        integer     NOT NULL,
  worker       text        NOT NULL,
  teams        integer     NOT NULL,
  teams_run    integer     NOT NULL,
  -- { load, strategies, orders }
  stage_ms     jsonb       NOT NULL,
  completed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (minute, shard)
);

-- The risk counters of each team (trades today, start-of-day equity, daily-loss halt), as of `minute`.
CREATE TABLE team_risk_state (
  team_id    text        PRIMARY KEY REFERENCES teams (id),
  minute     timestamptz NOT NULL,
  state      jsonb       NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE team_risk_state;
DROP TABLE tick_shards;
DROP TABLE tick_team_runs;
DROP TABLE ticks;
