-- Up Migration
-- Each minute the books stage reads that minute's fills and its orders the broker rejected (the activity
-- events, server/tick/activityEvents.ts). Neither table had an index leading with the time, so both reads
-- were sequential scans of the whole season: with ~400,000 orders and fills (a week at 1,000 teams trading
-- every few minutes) they took ~40 ms each, a minute, and kept growing with every minute of the competition.
CREATE INDEX fills_executed_idx ON fills (executed_at);
-- Only the rejected orders: the index costs nothing to the others, which are most of the writes.
CREATE INDEX orders_rejected_minute_idx ON orders (minute) WHERE status = 'rejected';
-- Covered by the unique (team_id, minute, seq), which serves a team's orders newest first (scanned
-- backwards) and also orders them by seq; one index fewer for every order written or updated.
DROP INDEX orders_team_minute_idx;

-- Down Migration
CREATE INDEX orders_team_minute_idx ON orders (team_id, minute DESC);
DROP INDEX orders_rejected_minute_idx;
DROP INDEX fills_executed_idx;
