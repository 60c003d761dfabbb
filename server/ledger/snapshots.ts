/**
 * Minute mark-to-market snapshots: each team's equity at the close of a minute, with the positions
 * and prices it was computed from, so every leaderboard number can be traced back to cash and fills.
 */
import type pg from 'pg';
import type { EquitySnapshot } from './snapshotOf.ts';
import { query } from '../../data/postgres/query.ts';
import { type Queryable } from '../../data/postgres/transaction.ts';
import { moneyColumn, moneyParam } from './sql.ts';

// The snapshot itself is pure (snapshotOf.ts): a backtest builds it without loading the Postgres driver.
export { snapshotOf, type EquitySnapshot, type SnapshotPosition } from './snapshotOf.ts';

/**
 * Inserts the snapshots in one statement; a (team, minute) already stored keeps its first value. Returns
 * the teams whose snapshot this call stored.
 */
export async function insertSnapshots(client: pg.PoolClient, snapshots: readonly EquitySnapshot[]): Promise<Set<string>> {
  if (snapshots.length === 0) return new Set();
  const records = snapshots.map((snapshot) => ({
    team_id: snapshot.teamId,
    minute: new Date(snapshot.minute).toISOString(),
    equity: moneyParam(snapshot.equity),
    cash: moneyParam(snapshot.cash),
    reserved_cash: moneyParam(snapshot.reservedCash),
    positions_value: moneyParam(snapshot.positionsValue),
    unrealized_pnl: moneyParam(snapshot.unrealizedPnl),
    realized_pnl: moneyParam(snapshot.realizedPnl),
    positions: Object.fromEntries(
      Object.entries(snapshot.positions).map(([symbol, position]) => [
        symbol,
        { quantity: position.quantity, price: position.price === null ? null : moneyParam(position.price), costBasis: moneyParam(position.costBasis) },
      ]),
    ),
    unpriced_symbols: snapshot.unpricedSymbols,
  }));
  const rows = await query<{ team_id: string }>(
    client,
    `INSERT INTO equity_snapshots (team_id, minute, equity, cash, reserved_cash, positions_value, unrealized_pnl, realized_pnl, positions, unpriced_symbols)
     SELECT team_id, minute, equity, cash, reserved_cash, positions_value, unrealized_pnl, realized_pnl, positions, unpriced_symbols
     FROM jsonb_to_recordset($1::jsonb) AS r(team_id text, minute timestamptz, equity numeric, cash numeric, reserved_cash numeric,
       positions_value numeric, unrealized_pnl numeric, realized_pnl numeric, positions jsonb, unpriced_symbols text[])
     ON CONFLICT (team_id, minute) DO NOTHING RETURNING team_id`,
    [JSON.stringify(records)],
  );
  return new Set(rows.map((row) => row.team_id));
}

interface SnapshotRow {
  team_id: string;
  minute: Date;
  equity: string;
  cash: string;
  reserved_cash: string;
  positions_value: string;
  unrealized_pnl: string;
  realized_pnl: string;
  positions: Record<string, { quantity: number; price: string | null; costBasis: string }>;
  unpriced_symbols: string[];
}

export async function selectSnapshots(db: Queryable, where: string, params: unknown[]): Promise<EquitySnapshot[]> {
  const rows = await query<SnapshotRow>(
    db,
    `SELECT team_id, minute, equity, cash, reserved_cash, positions_value, unrealized_pnl, realized_pnl, positions, unpriced_symbols
     FROM equity_snapshots WHERE ${where} ORDER BY minute, team_id`,
    params,
  );
  return rows.map((row) => ({
    teamId: row.team_id,
    minute: row.minute.getTime(),
    equity: moneyColumn(row.equity),
    cash: moneyColumn(row.cash),
    reservedCash: moneyColumn(row.reserved_cash),
    positionsValue: moneyColumn(row.positions_value),
    unrealizedPnl: moneyColumn(row.unrealized_pnl),
    realizedPnl: moneyColumn(row.realized_pnl),
    positions: Object.fromEntries(
      Object.entries(row.positions).map(([symbol, position]) => [
        symbol,
        { quantity: position.quantity, price: position.price === null ? null : moneyColumn(position.price), costBasis: moneyColumn(position.costBasis) },
      ]),
    ),
    unpricedSymbols: row.unpriced_symbols,
  }));
}
