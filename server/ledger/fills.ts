/** Rows of `fills`: one per execution id, which is what applies each fill exactly once. */
import type pg from 'pg';
import type { Money } from '../trading/money.ts';
import type { Fill } from '../trading/types.ts';
import { query } from '../../data/postgres/query.ts';
import { type Queryable } from '../../data/postgres/transaction.ts';
import { moneyColumn, moneyParam, nullableMoneyColumn, nullableMoneyParam, sharesColumn } from './sql.ts';

export interface StoredFill extends Fill {
  teamId: string;
  /** False when the book refused it (see `problem`); such a fill changed nothing. */
  applied: boolean;
  problem: string | null;
  /** Realised P&L of a sell; null for buys and refused fills. */
  realizedPnl: Money | null;
  /** The team's cash and position in the symbol right after this fill (null when refused). */
  cashAfter: Money | null;
  positionAfter: number | null;
}

/** What the books made of a fill: applied with the book after it, or refused with the reason. */
export type FillRecord = { applied: true; realizedPnl: Money | null; cashAfter: Money; positionAfter: number } | { applied: false; problem: string };

/** Which of these execution ids are recorded already (the caller holds the book locks of their teams). */
export async function recordedExecutionIds(db: Queryable, executionIds: readonly string[]): Promise<Set<string>> {
  if (executionIds.length === 0) return new Set();
  const rows = await query<{ execution_id: string }>(db, 'SELECT execution_id FROM fills WHERE execution_id = ANY($1)', [executionIds]);
  return new Set(rows.map((row) => row.execution_id));
}

/**
 * Records executions in one statement, skipping any id recorded before; returns the ids this call
 * recorded — the caller may have changed the books only for those (it checks they are all of them).
 * `recorded_at` follows the order given, so fills of one instant list in the order they were applied.
 */
export async function insertFills(client: pg.PoolClient, fills: ReadonlyArray<{ fill: Fill; teamId: string; record: FillRecord }>): Promise<Set<string>> {
  if (fills.length === 0) return new Set();
  const records = fills.map(({ fill, teamId, record }, index) => ({
    n: index,
    execution_id: fill.executionId,
    client_order_id: fill.clientOrderId,
    team_id: teamId,
    broker_order_id: fill.brokerOrderId,
    symbol: fill.symbol,
    side: fill.side,
    quantity: fill.quantity,
    price: moneyParam(fill.price),
    executed_at: new Date(fill.at).toISOString(),
    applied: record.applied,
    problem: record.applied ? null : record.problem,
    realized_pnl: record.applied ? nullableMoneyParam(record.realizedPnl) : null,
    cash_after: record.applied ? moneyParam(record.cashAfter) : null,
    position_after: record.applied ? record.positionAfter : null,
  }));
  const rows = await query<{ execution_id: string }>(
    client,
    `INSERT INTO fills (execution_id, client_order_id, team_id, broker_order_id, symbol, side, quantity, price, executed_at,
       applied, problem, realized_pnl, cash_after, position_after, recorded_at)
     SELECT execution_id, client_order_id, team_id, broker_order_id, symbol, side, quantity, price, executed_at,
       applied, problem, realized_pnl, cash_after, position_after, now() + n * interval '1 microsecond'
     FROM jsonb_to_recordset($1::jsonb) AS r(n integer, execution_id text, client_order_id text, team_id text, broker_order_id text,
       symbol text, side text, quantity bigint, price numeric, executed_at timestamptz, applied boolean, problem text,
       realized_pnl numeric, cash_after numeric, position_after bigint)
     ORDER BY n
     ON CONFLICT (execution_id) DO NOTHING RETURNING execution_id`,
    [JSON.stringify(records)],
  );
  return new Set(rows.map((row) => row.execution_id));
}

interface FillRow {
  execution_id: string;
  client_order_id: string;
  team_id: string;
  broker_order_id: string | null;
  symbol: string;
  side: Fill['side'];
  quantity: string;
  price: string;
  executed_at: Date;
  applied: boolean;
  problem: string | null;
  realized_pnl: string | null;
  cash_after: string | null;
  position_after: string | null;
}

export async function selectFills(db: Queryable, where: string, params: unknown[]): Promise<StoredFill[]> {
  const rows = await query<FillRow>(
    db,
    `SELECT execution_id, client_order_id, team_id, broker_order_id, symbol, side, quantity, price, executed_at, applied, problem,
       realized_pnl, cash_after, position_after
     FROM fills WHERE ${where} ORDER BY executed_at, recorded_at, execution_id`,
    params,
  );
  return rows.map((row) => ({
    executionId: row.execution_id,
    clientOrderId: row.client_order_id,
    teamId: row.team_id,
    brokerOrderId: row.broker_order_id,
    symbol: row.symbol,
    side: row.side,
    quantity: sharesColumn(row.quantity),
    price: moneyColumn(row.price),
    at: row.executed_at.getTime(),
    applied: row.applied,
    problem: row.problem,
    realizedPnl: nullableMoneyColumn(row.realized_pnl),
    cashAfter: nullableMoneyColumn(row.cash_after),
    positionAfter: row.position_after === null ? null : sharesColumn(row.position_after),
  }));
}
