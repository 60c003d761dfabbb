/**
 * A team's minute mark-to-market snapshot, computed from its book and the minute's prices. Pure: the
 * ledger stores it (snapshots.ts), a backtest's memory books keep it without the Postgres driver.
 */
import type { Money } from '../trading/money.ts';
import { markToMarket } from '../trading/portfolio/book.ts';
import type { TeamBook } from '../trading/types.ts';
import { byCodeUnits } from '../codeUnitOrder.ts';

export interface SnapshotPosition {
  quantity: number;
  /** The price the position was valued at; null when none was known (valued at cost). */
  price: Money | null;
  costBasis: Money;
}

export interface EquitySnapshot {
  teamId: string;
  /** Epoch ms of the minute. */
  minute: number;
  equity: Money;
  cash: Money;
  reservedCash: Money;
  positionsValue: Money;
  unrealizedPnl: Money;
  realizedPnl: Money;
  positions: Record<string, SnapshotPosition>;
  unpricedSymbols: string[];
}

export function snapshotOf(book: TeamBook, minute: number, prices: Readonly<Record<string, Money>>): EquitySnapshot {
  const marked = markToMarket(book, prices);
  const positions: Record<string, SnapshotPosition> = {};
  for (const [symbol, position] of Object.entries(book.positions).sort(([a], [b]) => byCodeUnits(a, b))) {
    if (position.quantity === 0) continue;
    positions[symbol] = { quantity: position.quantity, price: prices[symbol] ?? null, costBasis: position.costBasis };
  }
  return {
    teamId: book.teamId,
    minute,
    equity: marked.equity,
    cash: book.cash,
    reservedCash: book.reservedCash,
    positionsValue: marked.positionsValue,
    unrealizedPnl: marked.unrealizedPnl,
    realizedPnl: book.realizedPnl,
    positions,
    unpricedSymbols: marked.unpricedSymbols,
  };
}
