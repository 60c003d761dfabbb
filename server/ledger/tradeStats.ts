/**
 * Trade statistics per team (`team_trade_stats`), advanced in the transaction that records fills. A
 * trade is a sell order with realised P&L, counted once whatever its number of fills: a partial fill
 * of an order already counted moves its P&L (and maybe its sign), not the count. Exact: integer counts
 * and Money sums, so the row always equals the sum over `fills` the leaderboard once read every minute.
 */
import type pg from 'pg';
import { query } from '../../data/postgres/query.ts';
import type { Queryable } from '../../data/postgres/transaction.ts';
import type { Money } from '../trading/money.ts';
import { moneyColumn, moneyParam, sharesColumn } from './sql.ts';

export interface TradeStats {
  tradeCount: number;
  winningTrades: number;
  grossProfit: Money;
  grossLoss: Money;
}

export const NO_TRADES: TradeStats = { tradeCount: 0, winningTrades: 0, grossProfit: 0, grossLoss: 0 };

/** A realised P&L fill about to be recorded. */
export interface PnlFill {
  teamId: string;
  clientOrderId: string;
  realizedPnl: Money;
}

/** What one trade of P&L `pnl` adds (undefined: the order is not a trade yet). */
function tradeOf(pnl: Money | undefined): TradeStats {
  if (pnl === undefined) return NO_TRADES;
  return { tradeCount: 1, winningTrades: pnl > 0 ? 1 : 0, grossProfit: pnl > 0 ? pnl : 0, grossLoss: pnl < 0 ? -pnl : 0 };
}

const plus = (a: TradeStats, b: TradeStats, sign: 1 | -1): TradeStats => ({
  tradeCount: a.tradeCount + sign * b.tradeCount,
  winningTrades: a.winningTrades + sign * b.winningTrades,
  grossProfit: a.grossProfit + sign * b.grossProfit,
  grossLoss: a.grossLoss + sign * b.grossLoss,
});

/**
 * Pure: each team's change from new P&L fills, given each order's P&L before them (absent: no P&L fill
 * recorded yet). Teams whose statistics do not change are left out.
 */
export function tradeStatsDeltas(fills: readonly PnlFill[], before: ReadonlyMap<string, Money>): Map<string, TradeStats> {
  const after = new Map<string, { teamId: string; pnl: Money }>();
  for (const fill of fills) {
    const known = after.get(fill.clientOrderId);
    after.set(fill.clientOrderId, { teamId: fill.teamId, pnl: (known?.pnl ?? before.get(fill.clientOrderId) ?? 0) + fill.realizedPnl });
  }
  const deltas = new Map<string, TradeStats>();
  for (const [clientOrderId, { teamId, pnl }] of after) {
    const change = plus(tradeOf(pnl), tradeOf(before.get(clientOrderId)), -1);
    deltas.set(teamId, plus(deltas.get(teamId) ?? NO_TRADES, change, 1));
  }
  for (const [teamId, delta] of deltas) if (delta.tradeCount === 0 && delta.winningTrades === 0 && delta.grossProfit === 0 && delta.grossLoss === 0) deltas.delete(teamId);
  return deltas;
}

/**
 * Advances the statistics by fills this transaction is recording. Call before inserting them, holding
 * the lock of their orders (so no other transaction adds fills to them meanwhile).
 */
export async function advanceTradeStats(client: pg.PoolClient, fills: readonly PnlFill[]): Promise<void> {
  if (fills.length === 0) return;
  const orderIds = [...new Set(fills.map((fill) => fill.clientOrderId))];
  const rows = await query<{ client_order_id: string; pnl: string }>(
    client,
    `SELECT client_order_id, sum(realized_pnl)::text AS pnl FROM fills
      WHERE client_order_id = ANY($1) AND applied AND realized_pnl IS NOT NULL GROUP BY client_order_id`,
    [orderIds],
  );
  const deltas = tradeStatsDeltas(fills, new Map(rows.map((row) => [row.client_order_id, moneyColumn(row.pnl)])));
  if (deltas.size === 0) return;
  const teamIds = [...deltas.keys()].sort();
  const of = (pick: (delta: TradeStats) => number): number[] => teamIds.map((teamId) => pick(deltas.get(teamId)!));
  await client.query(
    `INSERT INTO team_trade_stats AS s (team_id, trade_count, winning_trades, gross_profit, gross_loss)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::numeric[], $5::numeric[])
     ON CONFLICT (team_id) DO UPDATE SET trade_count = s.trade_count + EXCLUDED.trade_count, winning_trades = s.winning_trades + EXCLUDED.winning_trades,
       gross_profit = s.gross_profit + EXCLUDED.gross_profit, gross_loss = s.gross_loss + EXCLUDED.gross_loss`,
    [teamIds, of((d) => d.tradeCount), of((d) => d.winningTrades), of((d) => d.grossProfit).map(moneyParam), of((d) => d.grossLoss).map(moneyParam)],
  );
}

/** Every team's statistics (teams without a closing trade are absent). */
export async function readTradeStats(db: Queryable, teamId: string | null = null): Promise<Map<string, TradeStats>> {
  const rows = await query<{ team_id: string; trade_count: string; winning_trades: string; gross_profit: string; gross_loss: string }>(
    db,
    `SELECT team_id, trade_count, winning_trades, gross_profit, gross_loss FROM team_trade_stats WHERE ($1::text IS NULL OR team_id = $1)`,
    [teamId],
  );
  return new Map(
    rows.map((row) => [
      row.team_id,
      {
        tradeCount: sharesColumn(row.trade_count),
        winningTrades: sharesColumn(row.winning_trades),
        grossProfit: moneyColumn(row.gross_profit),
        grossLoss: moneyColumn(row.gross_loss),
      },
    ]),
  );
}
