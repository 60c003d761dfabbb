-- Up Migration
-- Who did what, when: server starts, registry reloads, key issues and revocations, halts.
-- Append-only; later features write their own kinds.
CREATE TABLE audit_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  actor       text        NOT NULL,
  kind        text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]*$'),
  subject     text,
  details     jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at DESC);
CREATE INDEX audit_events_kind_idx ON audit_events (kind, occurred_at DESC);

-- Down Migration
DROP TABLE audit_events;
