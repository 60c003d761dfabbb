/** Rows of `fills`: one per execution id, which is what applies each fill exactly once. */
import type pg from 'pg';
import type { Money } from '../../../server/trading/money.ts';
import type { Fill } from '../../../server/trading/types.ts';
import { moneyColumn, moneyParam, nullableMoneyColumn, nullableMoneyParam, query, sharesColumn, type Queryable } from './sql.ts';

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
export type FillRecord =
  | { applied: true; realizedPnl: Money | null; cashAfter: Money; positionAfter: number }
  | { applied: false; problem: string };

/**
 * Records the execution unless its id was recorded before; true when this call recorded it — the
 * only case in which the caller may change the book.
 */
export async function insertFill(client: pg.PoolClient, fill: Fill, teamId: string, record: FillRecord): Promise<boolean> {
  const rows = await query(
    client,
    `INSERT INTO fills (execution_id, client_order_id, team_id, broker_order_id, symbol, side, quantity, price, executed_at,
       applied, problem, realized_pnl, cash_after, position_after)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT (execution_id) DO NOTHING RETURNING execution_id`,
    [
      fill.executionId,
      fill.clientOrderId,
      teamId,
      fill.brokerOrderId,
      fill.symbol,
      fill.side,
      fill.quantity,
      moneyParam(fill.price),
      new Date(fill.at),
      record.applied,
      record.applied ? null : record.problem,
      record.applied ? nullableMoneyParam(record.realizedPnl) : null,
      record.applied ? moneyParam(record.cashAfter) : null,
      record.applied ? record.positionAfter : null,
    ],
  );
  return rows.length === 1;
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
