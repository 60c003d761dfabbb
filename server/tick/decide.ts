/**
 * One team's minute, from its signals to the orders it may send: the same validation and risk code as
 * the backtest (`TeamRun.decide`), with the team's state passed in and returned instead of held, so the
 * tick can load it from Postgres and store the outcome in one transaction.
 */
import type { Signal, TeamMinuteState } from '../../sandbox/index.ts';
import { toDollars, type Money } from '../trading/money.ts';
import type { OrderRejection } from '../trading/orders/rejection.ts';
import { marketBuyCeiling, validateSignals, type PriceLookup } from '../trading/orders/validate.ts';
import { markToMarket } from '../trading/portfolio/book.ts';
import { applyRiskLimits, beginRiskMinute, setKillSwitch, type RiskLimits, type RiskState } from '../trading/risk/limits.ts';
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

export interface TeamDecisionInput {
  teamId: string;
  minute: number;
  signals: readonly Signal[];
  book: TeamBook;
  /** The team's orders the broker may still fill (pending buys count towards position limits). */
  openOrders: readonly OrderIntent[];
  equity: Money;
  risk: RiskState;
  limits: RiskLimits;
  universe: ReadonlySet<string>;
  prices: PriceLookup;
  marketBuyBufferBps: number;
  /** An administrator's halt of the team or of the competition: every order is refused with it. */
  halt: string | null;
}

export interface TeamDecision {
  intents: OrderIntent[];
  /** In signal order. */
  rejections: OrderRejection[];
  risk: RiskState;
}

export function decideTeamOrders(input: TeamDecisionInput): TeamDecision {
  let risk = beginRiskMinute(input.risk, input.minute, input.equity, input.limits);
  if (risk.killSwitch !== input.halt) risk = setKillSwitch(risk, input.halt);
  if (input.signals.length === 0) return { intents: [], rejections: [], risk };
  const validated = validateSignals(input.signals, {
    teamId: input.teamId,
    minute: input.minute,
    universe: input.universe,
    prices: input.prices,
    book: input.book,
    extraReservedCash: extraReservedCash(input.openOrders, input.marketBuyBufferBps),
    marketBuyBufferBps: input.marketBuyBufferBps,
  });
  const pendingBuys = new Map<string, number>();
  for (const intent of input.openOrders) if (intent.side === 'buy') pendingBuys.set(intent.symbol, (pendingBuys.get(intent.symbol) ?? 0) + intent.quantity);
  const risked = applyRiskLimits(validated.intents, {
    limits: input.limits,
    state: risk,
    equity: input.equity,
    positions: input.book.positions,
    pendingBuys,
    signals: input.signals,
  });
  return {
    intents: risked.accepted,
    rejections: [...validated.rejections, ...risked.rejections].sort((a, b) => a.index - b.index),
    risk: risked.state,
  };
}
