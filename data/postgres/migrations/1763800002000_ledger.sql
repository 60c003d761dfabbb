-- Up Migration
-- The trading ledger: order intents and their broker state, fills applied exactly once, the teams'
-- virtual books (cash, reservations, positions), minute mark-to-market snapshots, broker events we
-- could not attribute, reconciliation reports, and the strategies' persistent memory.
-- Money is NUMERIC(20,4): the exact 1/10,000-dollar grid of server/trading/money.ts. Shares are whole.

-- One row per team: the cash account. Every writer locks this row (SELECT … FOR UPDATE) first,
-- which serialises all changes to one team's money and positions.
CREATE TABLE team_books (
  team_id       text PRIMARY KEY REFERENCES teams (id),
  starting_cash numeric(20,4) NOT NULL CHECK (starting_cash >= 0),
  cash          numeric(20,4) NOT NULL CHECK (cash >= 0),
  reserved_cash numeric(20,4) NOT NULL DEFAULT 0 CHECK (reserved_cash >= 0),
  realized_pnl  numeric(20,4) NOT NULL DEFAULT 0,
  created_at    timestamptz   NOT NULL DEFAULT now(),
  updated_at    timestamptz   NOT NULL DEFAULT now()
);

-- A closed position keeps its row (quantity 0) so its realised P&L per symbol stays visible.
CREATE TABLE team_positions (
  team_id      text          NOT NULL REFERENCES team_books (team_id),
  symbol       text          NOT NULL,
  quantity     bigint        NOT NULL DEFAULT 0 CHECK (quantity >= 0),
  -- Shares promised to open sell orders.
  pending_sell bigint        NOT NULL DEFAULT 0 CHECK (pending_sell >= 0),
  cost_basis   numeric(20,4) NOT NULL DEFAULT 0 CHECK (cost_basis >= 0),
  realized_pnl numeric(20,4) NOT NULL DEFAULT 0,
  updated_at   timestamptz   NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, symbol)
);

-- An order intent, durable before it is sent, and what the broker last said about it.
CREATE TABLE orders (
  client_order_id   text PRIMARY KEY CHECK (client_order_id ~ '^[A-Za-z0-9_-]{1,128}$'),
  team_id           text          NOT NULL REFERENCES teams (id),
  minute            timestamptz   NOT NULL,
  seq               integer       NOT NULL CHECK (seq >= 1),
  symbol            text          NOT NULL,
  side              text          NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity          bigint        NOT NULL CHECK (quantity > 0),
  type              text          NOT NULL CHECK (type IN ('market', 'limit')),
  limit_price       numeric(20,4) CHECK (limit_price > 0),
  reference_price   numeric(20,4) NOT NULL CHECK (reference_price > 0),
  reason            text,
  status            text          NOT NULL CHECK (status IN ('pending_submit', 'accepted', 'partially_filled', 'filled', 'canceled', 'expired', 'rejected')),
  broker_order_id   text,
  -- Cumulative filled shares and their average price as the broker reports them.
  filled_quantity   bigint        NOT NULL DEFAULT 0 CHECK (filled_quantity >= 0),
  filled_avg_price  numeric(20,4),
  broker_reason     text,
  broker_updated_at timestamptz,
  -- Shares of this order whose claim (cash for a buy, shares for a sell) is still held in the book:
  -- fills and the terminal state release it, never below zero, so it is released exactly once.
  reserved_quantity bigint        NOT NULL CHECK (reserved_quantity >= 0),
  -- Sum of the fills applied to the books (may lag filled_quantity until the fills arrive).
  applied_quantity  bigint        NOT NULL DEFAULT 0 CHECK (applied_quantity >= 0),
  submit_attempts   integer       NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz,
  last_submit_error text,
  created_at        timestamptz   NOT NULL DEFAULT now(),
  updated_at        timestamptz   NOT NULL DEFAULT now(),
  UNIQUE (team_id, minute, seq),
  CHECK ((type = 'limit') = (limit_price IS NOT NULL))
);
CREATE INDEX orders_pending_submit_idx ON orders (minute, team_id, seq) WHERE status = 'pending_submit';
CREATE INDEX orders_open_idx ON orders (team_id) WHERE status IN ('pending_submit', 'accepted', 'partially_filled');
CREATE INDEX orders_team_minute_idx ON orders (team_id, minute DESC);

-- One row per execution: the primary key is what makes a fill apply exactly once.
-- A fill of one of our orders that the book refuses (it would take cash or shares below zero) is kept
-- with applied = false and the reason: it happened at the broker, so it is shown, never dropped.
CREATE TABLE fills (
  execution_id    text PRIMARY KEY,
  client_order_id text          NOT NULL REFERENCES orders (client_order_id),
  team_id         text          NOT NULL REFERENCES teams (id),
  broker_order_id text,
  symbol          text          NOT NULL,
  side            text          NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity        bigint        NOT NULL CHECK (quantity > 0),
  price           numeric(20,4) NOT NULL CHECK (price > 0),
  executed_at     timestamptz   NOT NULL,
  applied         boolean       NOT NULL,
  problem         text,
  -- Realised P&L of a sell (null for buys and unapplied fills), and the book right after the fill:
  -- the audit trail from fills to every leaderboard number.
  realized_pnl    numeric(20,4),
  cash_after      numeric(20,4),
  position_after  bigint,
  recorded_at     timestamptz   NOT NULL DEFAULT now(),
  CHECK (applied = (problem IS NULL))
);
CREATE INDEX fills_team_idx ON fills (team_id, executed_at);
CREATE INDEX fills_order_idx ON fills (client_order_id);

-- A team's value at the close of a minute. Written once per (team, minute): a retried tick keeps the first.
CREATE TABLE equity_snapshots (
  team_id          text          NOT NULL REFERENCES team_books (team_id),
  minute           timestamptz   NOT NULL,
  equity           numeric(20,4) NOT NULL,
  cash             numeric(20,4) NOT NULL,
  reserved_cash    numeric(20,4) NOT NULL,
  positions_value  numeric(20,4) NOT NULL,
  unrealized_pnl   numeric(20,4) NOT NULL,
  realized_pnl     numeric(20,4) NOT NULL,
  -- { "SPY": { "quantity": 10, "price": "101.2345", "costBasis": "1000.0000" } }: how positions_value was computed.
  positions        jsonb         NOT NULL,
  unpriced_symbols text[]        NOT NULL DEFAULT '{}',
  created_at       timestamptz   NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, minute)
);
CREATE INDEX equity_snapshots_minute_idx ON equity_snapshots (minute);

-- Orders and fills in the shared account that we cannot attribute to a team (a client id we did not
-- issue, or one of ours that contradicts the recorded intent). Flagged for a human; never applied.
CREATE TABLE unattributed_broker_events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- 'fill:<execution id>' or 'order:<client id>:<status>:<filled quantity>': a redelivery is stored once.
  event_key       text        NOT NULL UNIQUE,
  kind            text        NOT NULL CHECK (kind IN ('order', 'fill')),
  client_order_id text,
  broker_order_id text,
  execution_id    text,
  reason          text        NOT NULL,
  payload         jsonb       NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unattributed_broker_events_received_idx ON unattributed_broker_events (received_at DESC);

CREATE TABLE reconciliation_reports (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  broker            text        NOT NULL,
  checked_at        timestamptz NOT NULL,
  -- [{ symbol, kind, brokerQuantity, booksQuantity }]
  discrepancies     jsonb       NOT NULL,
  discrepancy_count integer     NOT NULL,
  broker_positions  jsonb       NOT NULL,
  books_positions   jsonb       NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconciliation_reports_checked_idx ON reconciliation_reports (checked_at DESC);

-- The strategy's `team.memory`, so it survives server restarts.
CREATE TABLE team_memory (
  team_id    text PRIMARY KEY REFERENCES teams (id),
  memory     jsonb       NOT NULL CHECK (jsonb_typeof(memory) = 'object'),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE team_memory;
DROP TABLE reconciliation_reports;
DROP TABLE unattributed_broker_events;
DROP TABLE equity_snapshots;
DROP TABLE fills;
DROP TABLE orders;
DROP TABLE team_positions;
DROP TABLE team_books;
