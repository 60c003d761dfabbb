-- Up Migration
-- What `qtc replay` (server/replay) needs to rebuild a recorded minute and that no other table keeps.
-- Written by the live tick where it already writes (server/tick/tick.ts, stage 3); read by nothing else.

-- The conditions a minute's shards ran under: the registry version in force (the teams' params, limits
-- and risk are its sync), the simulated venue's slippage (configuration, not registry; null with a
-- broker), and the halts read (a halt row is deleted on resume, so only this says which minutes it held).
-- Several shards of a minute add to one row: the halts any of them saw.
CREATE TABLE tick_conditions (
  minute              timestamptz PRIMARY KEY,
  registry_version    bigint,
  sim_slippage_bps    double precision,
  halted_competition  boolean     NOT NULL DEFAULT false,
  halted_teams        text[]      NOT NULL DEFAULT '{}',
  recorded_at         timestamptz NOT NULL DEFAULT now()
);

-- A team's isolate was (re)loaded for its stored run of the minute (first run, a new version or params,
-- a worker killed or another worker's pool), with the team.memory it was loaded with: what a strategy
-- kept in its own fields is lost at a load, so a replay must load it at the same minutes.
CREATE TABLE tick_team_loads (
  minute   timestamptz NOT NULL,
  team_id  text        NOT NULL REFERENCES teams (id),
  memory   jsonb       NOT NULL,
  PRIMARY KEY (minute, team_id)
);

-- Down Migration
DROP TABLE tick_team_loads;
DROP TABLE tick_conditions;
