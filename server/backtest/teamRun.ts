/**
 * One team inside a backtest: its books, open orders, risk state, metrics, trades, equity curve and
 * errors. The engine drives it minute by minute; everything here is synchronous and in memory.
 */
import type { Signal, TeamMinuteState, SandboxError } from '../../sandbox/index.ts';
import { toDollars, toMoney, type Money } from '../trading/money.ts';
import { MetricsAccumulator } from '../trading/metrics/metrics.ts';
import { marketBuyCeiling, validateSignals, type PriceLookup } from '../trading/orders/validate.ts';
import type { OrderRejection } from '../trading/orders/rejection.ts';
import { applyFill, markToMarket, newTeamBook, releaseReservation, reserveForIntent } from '../trading/portfolio/book.ts';
import { applyRiskLimits, beginRiskMinute, INITIAL_RISK_STATE, type RiskLimits, type RiskState } from '../trading/risk/limits.ts';
import type { BrokerOrderState, Fill, OrderIntent, TeamBook } from '../trading/types.ts';

export interface BacktestTrade {
  /** ISO time of the execution (the bar it filled on). */
  time: string;
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  /** Dollars, exact to 1/10,000. */
  price: number;
  clientOrderId: string;
}

export interface BacktestError {
  time: string;
  /** `strategy`: the sandbox reported an error; `order`: a signal was rejected (validation, risk or the broker). */
  source: 'strategy' | 'order';
  /** A sandbox error kind (`runtime`, `timeout`, …) or a rejection code (`insufficient_cash`, …). */
  kind: string;
  message: string;
}

export interface EquityPoint {
  minute: number;
  equity: Money;
  cash: Money;
}

/** Errors kept per team; beyond it only the count grows (a strategy failing every minute would flood the report). */
export const MAX_RECORDED_ERRORS = 1000;

export interface TeamRunConfig {
  /** Shown in reports: the folder name. */
  id: string;
  /** Used in client order ids: `[A-Za-z0-9_-]`. */
  teamId: string;
  capital: Money;
  limits: RiskLimits;
  universe: ReadonlySet<string>;
  /** Price collar of market buys (bps): the extra cash validation holds back for them. */
  marketBuyBufferBps: number;
}

const iso = (epochMs: number): string => new Date(epochMs).toISOString().replace('.000Z', 'Z');

export class TeamRun {
  readonly id: string;
  readonly teamId: string;
  book: TeamBook;
  readonly openOrders = new Map<string, OrderIntent>();
  readonly trades: BacktestTrade[] = [];
  readonly equityCurve: EquityPoint[] = [];
  readonly errors: BacktestError[] = [];
  errorCount = 0;
  readonly metrics = new MetricsAccumulator();
  equity: Money;
  readonly #config: TeamRunConfig;
  #risk: RiskState = INITIAL_RISK_STATE;

  constructor(config: TeamRunConfig) {
    this.id = config.id;
    this.teamId = config.teamId;
    this.#config = config;
    this.book = newTeamBook(config.teamId, config.capital);
    this.equity = config.capital;
  }

  /** An execution of one of this team's orders (attributed by client order id before it gets here). */
  applyFill(fill: Fill): void {
    const intent = this.openOrders.get(fill.clientOrderId);
    if (intent === undefined) throw new Error(`fill ${fill.executionId} for ${fill.clientOrderId}: no open order of team ${this.teamId} has that id`);
    const { book, closedTradePnl } = applyFill(this.book, fill, intent);
    this.book = book;
    if (closedTradePnl !== null) this.metrics.recordClosedTrade(closedTradePnl);
    this.trades.push({ time: iso(fill.at), symbol: fill.symbol, side: fill.side, quantity: fill.quantity, price: toDollars(fill.price), clientOrderId: fill.clientOrderId });
    // The sim broker fills whole orders.
    if (fill.quantity >= intent.quantity) this.openOrders.delete(fill.clientOrderId);
  }

  /** An order that ended without (fully) filling: canceled, expired or rejected. */
  endOrder(state: BrokerOrderState): void {
    const intent = this.openOrders.get(state.clientOrderId);
    if (intent === undefined) return;
    this.book = releaseReservation(this.book, intent, intent.quantity - state.filledQuantity);
    this.openOrders.delete(state.clientOrderId);
    if (state.status === 'canceled' && state.reason !== null) this.#recordError(state.updatedAt, 'order', 'canceled', `${intent.clientOrderId} ${intent.side} ${String(intent.quantity)} ${intent.symbol}: ${state.reason}`);
  }

  /** Marks the books at the minute's prices (dollars, last known per symbol), records the equity and rolls the risk day. */
  markMinute(minute: number, prices: Readonly<Record<string, number>>): void {
    const held: Record<string, Money> = {};
    for (const symbol in this.book.positions) {
      const price = prices[symbol];
      if (price !== undefined) held[symbol] = toMoney(price);
    }
    this.equity = markToMarket(this.book, held).equity;
    this.equityCurve.push({ minute, equity: this.equity, cash: this.book.cash });
    this.metrics.observeEquity(minute, this.equity);
    this.#risk = beginRiskMinute(this.#risk, minute, this.equity, this.#config.limits);
  }

  /** What the strategy sees: cash not promised to open orders, marked equity, positions with average cost. */
  minuteState(): TeamMinuteState {
    const positions: TeamMinuteState['positions'] = {};
    for (const [symbol, position] of Object.entries(this.book.positions)) {
      if (position.quantity > 0) positions[symbol] = { quantity: position.quantity, avgCost: toDollars(position.costBasis) / position.quantity };
    }
    return { teamId: this.teamId, cash: toDollars(this.book.cash - this.book.reservedCash - this.#extraReservedCash()), equity: toDollars(this.equity), positions };
  }

  /** Signals → validation → risk → intents, reserved in the books; returns the intents to submit. */
  decide(minute: number, signals: readonly Signal[], prices: PriceLookup): OrderIntent[] {
    if (signals.length === 0) return [];
    const validated = validateSignals(signals, {
      teamId: this.teamId,
      minute,
      universe: this.#config.universe,
      prices,
      book: this.book,
      extraReservedCash: this.#extraReservedCash(),
      marketBuyBufferBps: this.#config.marketBuyBufferBps,
    });
    const pendingBuys = new Map<string, number>();
    for (const intent of this.openOrders.values()) if (intent.side === 'buy') pendingBuys.set(intent.symbol, (pendingBuys.get(intent.symbol) ?? 0) + intent.quantity);
    const risked = applyRiskLimits(validated.intents, { limits: this.#config.limits, state: this.#risk, equity: this.equity, positions: this.book.positions, pendingBuys, signals });
    this.#risk = risked.state;
    for (const rejection of [...validated.rejections, ...risked.rejections].sort((a, b) => a.index - b.index)) this.#recordRejection(minute, rejection);
    for (const intent of risked.accepted) {
      this.book = reserveForIntent(this.book, intent);
      this.openOrders.set(intent.clientOrderId, intent);
    }
    return risked.accepted;
  }

  /** The broker refused an order: give its reservation back and tell the team why. */
  brokerRejected(intent: OrderIntent, reason: string): void {
    this.book = releaseReservation(this.book, intent, intent.quantity);
    this.openOrders.delete(intent.clientOrderId);
    this.#recordError(intent.minute, 'order', 'broker_rejected', `${intent.clientOrderId} ${intent.side} ${String(intent.quantity)} ${intent.symbol}: ${reason}`);
  }

  strategyError(minute: number, error: SandboxError): void {
    this.#recordError(minute, 'strategy', error.kind, error.message);
  }

  #recordRejection(minute: number, rejection: OrderRejection): void {
    this.#recordError(minute, 'order', rejection.code, `signal ${String(rejection.index + 1)} (${rejection.signal.action} ${String(rejection.signal.quantity)} ${rejection.signal.symbol}): ${rejection.message}`);
  }

  #recordError(minute: number, source: BacktestError['source'], kind: string, message: string): void {
    this.errorCount += 1;
    if (this.errors.length < MAX_RECORDED_ERRORS) this.errors.push({ time: iso(minute), source, kind, message });
  }

  /** Open market buys hold back their collar on top of what the books reserve (reference price). */
  #extraReservedCash(): Money {
    const bps = this.#config.marketBuyBufferBps;
    if (bps === 0 || this.openOrders.size === 0) return 0;
    let extra = 0;
    for (const intent of this.openOrders.values()) {
      if (intent.side === 'buy' && intent.limitPrice === null) extra += intent.quantity * (marketBuyCeiling(intent.referencePrice, bps) - intent.referencePrice);
    }
    return extra;
  }
}
