-- Up Migration
-- The team registry in force, versioned. Only the control process (the holder of the control
-- leader lock) reads team_registry.yaml and appends a row when the file changes (with the team
-- sync, in one transaction); API replicas and workers read the newest row and follow new ones
-- (NOTIFY qtc_registry_version, polling as fallback). Rows are never updated or deleted.
CREATE TABLE registry_versions (
  version     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_text text        NOT NULL,
  source_hash text        NOT NULL CHECK (source_hash ~ '^[0-9a-f]{64}$'),
  source_file text        NOT NULL,
  teams       integer     NOT NULL,
  written_by  text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE registry_versions;
