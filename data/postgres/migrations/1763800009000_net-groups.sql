-- Up Migration
-- Netted execution (server/trading/netting): one row per (minute, symbol) group of the teams' market
-- orders. The group and its members are written before its net order is sent (first write wins), the net
-- order's last known broker state as it moves forward, the allocation (the members' fills) before it is
-- applied to the books, and settled_at once every member's fill and end is recorded in the ledger.

CREATE TABLE net_groups (
  minute               timestamptz NOT NULL,
  symbol               text        NOT NULL,
  -- n-<yyyyMMddHHmm>-<symbol>-<side>; null when buys and sells cancel out (nothing is sent).
  net_client_order_id  text        UNIQUE,
  -- The NetGroup as formed: side, net quantity, members (client order id, team, side, quantity).
  grp                  jsonb       NOT NULL,
  -- The net order's last known BrokerOrderState (Money as integer ten-thousandths of a dollar).
  state                jsonb,
  -- The members' fills (Fill[]), recorded before they are applied; never rewritten.
  allocation           jsonb,
  settled_at           timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (minute, symbol)
);
CREATE INDEX net_groups_unsettled ON net_groups (minute, symbol) WHERE settled_at IS NULL;

-- Down Migration
DROP TABLE net_groups;
