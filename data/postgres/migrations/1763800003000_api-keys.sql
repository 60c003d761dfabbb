-- Up Migration
-- Per-team API keys. Only a SHA-256 hash of each key's secret is kept: the key itself is shown
-- once, when it is issued. A rotated key keeps working until expires_at (the grace period);
-- a revoked key stops at once. Rows are never deleted, so the audit trail stays complete.
CREATE TABLE api_keys (
  key_id        text        PRIMARY KEY CHECK (key_id ~ '^[A-Za-z0-9]{12}$'),
  team_id       text        NOT NULL REFERENCES teams (id),
  secret_hash   bytea       NOT NULL CHECK (octet_length(secret_hash) = 32),
  created_at    timestamptz NOT NULL,
  created_by    text        NOT NULL,
  expires_at    timestamptz,
  revoked_at    timestamptz,
  replaced_by   text        REFERENCES api_keys (key_id),
  last_used_at  timestamptz
);
CREATE INDEX api_keys_team_idx ON api_keys (team_id, created_at);

-- Per-team secrets of the Git webhook (HMAC-SHA256, X-Hub-Signature-256). Unlike API keys these
-- are kept in clear: verifying an HMAC needs the secret itself. A leaked one only lets someone
-- ask for an early fetch of the team's repository, which the poller does anyway.
CREATE TABLE team_webhook_secrets (
  team_id     text        PRIMARY KEY REFERENCES teams (id),
  secret      text        NOT NULL CHECK (length(secret) >= 32),
  created_at  timestamptz NOT NULL,
  created_by  text        NOT NULL
);

-- Down Migration
DROP TABLE team_webhook_secrets;
DROP TABLE api_keys;
