-- Up Migration
-- Every commit of a team's branch the server evaluated, good or bad, with why. A version that
-- passed keeps its bundle, so the server loads it without the repository and an admin can roll
-- back to it. Exactly one version per team is 'active'; team_active_versions is the pointer the
-- runtime reads, moved in the same transaction as the statuses.
CREATE TABLE strategy_versions (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  team_id            text        NOT NULL REFERENCES teams (id),
  commit_sha         text        NOT NULL CHECK (commit_sha ~ '^[0-9a-f]{40}([0-9a-f]{24})?$'),
  author_name        text        NOT NULL,
  author_email       text        NOT NULL,
  message            text        NOT NULL,
  committed_at       timestamptz NOT NULL,
  -- Where it came from: {repo (credentials redacted), branch, path, entry}.
  source             jsonb       NOT NULL,
  status             text        NOT NULL CHECK (status IN ('active', 'rejected', 'superseded')),
  -- The stage that rejected it (export, check, compile, smoke); null when it passed.
  rejected_at_stage  text        CHECK (rejected_at_stage IN ('export', 'check', 'compile', 'smoke')),
  -- Static-check findings and compile problems: [{file, line, column, rule, message, hint}].
  findings           jsonb       NOT NULL DEFAULT '[]'::jsonb,
  error              text,
  -- Milliseconds per stage: {fetch, export, check, compile, smoke, total}.
  timings            jsonb       NOT NULL DEFAULT '{}'::jsonb,
  bundle_code        text,
  bundle_source_map  text,
  bundle_filename    text,
  evaluated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (team_id, commit_sha),
  CHECK ((status = 'rejected') = (rejected_at_stage IS NOT NULL)),
  CHECK (status = 'rejected' OR (bundle_code IS NOT NULL AND bundle_source_map IS NOT NULL AND bundle_filename IS NOT NULL))
);
CREATE UNIQUE INDEX strategy_versions_one_active_idx ON strategy_versions (team_id) WHERE status = 'active';
CREATE INDEX strategy_versions_team_idx ON strategy_versions (team_id, id DESC);

CREATE TABLE team_active_versions (
  team_id       text        PRIMARY KEY REFERENCES teams (id),
  version_id    bigint      NOT NULL REFERENCES strategy_versions (id),
  activated_at  timestamptz NOT NULL DEFAULT now(),
  activated_by  text        NOT NULL,
  -- 'push' (a new commit passed) or 'rollback' (an admin chose an earlier version).
  reason        text        NOT NULL CHECK (reason IN ('push', 'rollback'))
);

-- The last fetch of each team's repository: what the branch pointed at and what went wrong.
-- A failing sync never touches the active version; it is retried on the next poll.
CREATE TABLE team_git_sync (
  team_id      text        PRIMARY KEY REFERENCES teams (id),
  head_sha     text,
  checked_at   timestamptz NOT NULL,
  synced_at    timestamptz,
  error_kind   text,
  error        text,
  error_since  timestamptz,
  failures     integer     NOT NULL DEFAULT 0,
  CHECK ((error IS NULL) = (error_kind IS NULL))
);

-- Down Migration
DROP TABLE team_git_sync;
DROP TABLE team_active_versions;
DROP TABLE strategy_versions;
