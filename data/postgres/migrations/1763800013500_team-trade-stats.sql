-- Up Migration
-- Trade statistics per team (closing trades: sell orders with realised P&L, one trade per order whatever
-- its number of fills), kept up to date by the ledger in the same transaction that records the fills
-- (server/ledger/tradeStats.ts), so the leaderboard reads one row per team instead of summing every fill
-- of the season each minute. Exact: counts and sums of numeric(20,4) amounts; always equal to the sum over
-- `fills` (tests/integration/ledger/tradeStats.test.ts, tests/integration/tick/leaderboardRestart.test.ts).
-- No CHECK (>= 0) on the columns: the ledger adds signed changes with INSERT … ON CONFLICT DO UPDATE, and
-- Postgres checks the proposed row (a change, possibly negative) before it finds the conflict.
CREATE TABLE team_trade_stats (
  team_id        text          PRIMARY KEY REFERENCES team_books (team_id),
  trade_count    bigint        NOT NULL,
  winning_trades bigint        NOT NULL,
  gross_profit   numeric(20,4) NOT NULL,
  gross_loss     numeric(20,4) NOT NULL
);

-- The seasons recorded so far, summed once.
INSERT INTO team_trade_stats (team_id, trade_count, winning_trades, gross_profit, gross_loss)
SELECT team_id, count(*), count(*) FILTER (WHERE pnl > 0), coalesce(sum(pnl) FILTER (WHERE pnl > 0), 0), coalesce(-sum(pnl) FILTER (WHERE pnl < 0), 0)
  FROM (SELECT team_id, client_order_id, sum(realized_pnl) AS pnl FROM fills
         WHERE applied AND realized_pnl IS NOT NULL GROUP BY team_id, client_order_id) AS trades
 GROUP BY team_id;

-- Down Migration
DROP TABLE team_trade_stats;
