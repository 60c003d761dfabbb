/**
 * A team at the start of its minute, from its books: marked equity, the cash its open market buys hold
 * back, and what its strategy is shown. Pure; the backtest and the live tick both build it here.
 */
import type { StoredOrder } from '../ledger/orders.ts';
import type { TeamMinuteState } from '../../sandbox/index.ts';
import { toDollars, type Money } from '../trading/money.ts';
import { marketBuyCeiling, type PriceLookup } from '../trading/orders/validate.ts';
import { markToMarket } from '../trading/portfolio/book.ts';
import type { OrderIntent, TeamBook } from '../trading/types.ts';

/** Open market buys hold back their collar on top of what the books reserve at the reference price. */
export function extraReservedCash(openOrders: readonly OrderIntent[], marketBuyBufferBps: number): Money {
  if (marketBuyBufferBps === 0) return 0;
  let extra = 0;
  for (const intent of openOrders) {
    if (intent.side === 'buy' && intent.limitPrice === null) extra += intent.quantity * (marketBuyCeiling(intent.referencePrice, marketBuyBufferBps) - intent.referencePrice);
  }
  return extra;
}

/** The book marked at the minute's prices (exact); held symbols without a price count at cost. */
export function markedEquity(book: TeamBook, prices: PriceLookup): Money {
  const held: Record<string, Money> = {};
  for (const symbol of Object.keys(book.positions)) {
    const price = prices.get(symbol);
    if (price !== undefined) held[symbol] = price;
  }
  return markToMarket(book, held).equity;
}

/** What the strategy sees: cash not promised to open orders, marked equity, positions with average cost. */
export function strategyView(book: TeamBook, equity: Money, extraReserved: Money): TeamMinuteState {
  const positions: TeamMinuteState['positions'] = {};
  for (const [symbol, position] of Object.entries(book.positions)) {
    if (position.quantity > 0) positions[symbol] = { quantity: position.quantity, avgCost: toDollars(position.costBasis) / position.quantity };
  }
  return { teamId: book.teamId, cash: toDollars(book.cash - book.reservedCash - extraReserved), equity: toDollars(equity), positions };
}

/** A team ready for its minute. */
export interface TeamMinute {
  book: TeamBook;
  /** Its orders the venue may still fill (pending buys count towards position limits). */
  openOrders: OrderIntent[];
  equity: Money;
  view: TeamMinuteState;
}

/** The given teams' minutes from the books and open orders (teams without a book are left out). */
export function teamMinutes(
  teamIds: readonly string[],
  books: readonly TeamBook[],
  open: readonly StoredOrder[],
  prices: PriceLookup,
  marketBuyBufferBps: number,
): Map<string, TeamMinute> {
  const bookOf = new Map(books.map((book) => [book.teamId, book]));
  const openOf = new Map<string, OrderIntent[]>();
  for (const order of open) {
    if (order.status !== 'pending_submit' && order.status !== 'accepted' && order.status !== 'partially_filled') continue;
    const list = openOf.get(order.intent.teamId);
    if (list === undefined) openOf.set(order.intent.teamId, [order.intent]);
    else list.push(order.intent);
  }
  const teams = new Map<string, TeamMinute>();
  for (const teamId of teamIds) {
    const book = bookOf.get(teamId);
    if (book === undefined) continue;
    const openOrders = openOf.get(teamId) ?? [];
    const equity = markedEquity(book, prices);
    teams.set(teamId, { book, openOrders, equity, view: strategyView(book, equity, extraReservedCash(openOrders, marketBuyBufferBps)) });
  }
  return teams;
}
