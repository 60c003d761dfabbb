-- Up Migration
-- The teams of the competition, synced from team_registry.yaml (the file is the source of truth;
-- this table is what the rest of the database references). A team removed from the file is
-- marked removed, never deleted: its orders, fills and history stay attributable.
CREATE TABLE teams (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,31}$'),
  name        text        NOT NULL,
  enabled     boolean     NOT NULL DEFAULT true,
  repo        text        NOT NULL,
  branch      text        NOT NULL DEFAULT 'main',
  path        text        NOT NULL DEFAULT '.',
  entry       text,
  params      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  limits      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  risk        jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  removed_at  timestamptz
);

-- Down Migration
DROP TABLE teams;
