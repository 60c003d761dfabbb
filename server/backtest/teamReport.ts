/**
 * What a backtest reports per team, gathered from the engine's minute reports: trades, equity curve,
 * metrics, errors. No trading logic here: the books, orders and decisions are the engine's.
 */
import type { SandboxError } from '../../sandbox/index.ts';
import type { AppliedFillResult } from '../ledger/ledger.ts';
import type { EquitySnapshot } from '../ledger/snapshotOf.ts';
import { MetricsAccumulator } from '../trading/metrics/metrics.ts';
import { toDollars, type Money } from '../trading/money.ts';
import { rejectionRecord, rejectionText, type OrderRejection } from '../trading/orders/rejection.ts';
import type { Fill } from '../trading/types.ts';

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
  /** `strategy`: the sandbox reported an error; `order`: a signal or order was refused (validation, risk, the books or the venue). */
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

export const isoMinute = (epochMs: number): string => new Date(epochMs).toISOString().replace('.000Z', 'Z');

export class TeamReport {
  /** Shown in reports: the folder name. */
  readonly id: string;
  /** The team id in client order ids. */
  readonly teamId: string;
  readonly trades: BacktestTrade[] = [];
  readonly equityCurve: EquityPoint[] = [];
  readonly errors: BacktestError[] = [];
  errorCount = 0;
  readonly metrics = new MetricsAccumulator();
  equity: Money;

  constructor(id: string, teamId: string, capital: Money) {
    this.id = id;
    this.teamId = teamId;
    this.equity = capital;
  }

  filled(fill: Fill, result: AppliedFillResult): void {
    if (result.closedTradePnl !== null) this.metrics.recordClosedTrade(result.closedTradePnl);
    this.trades.push({ time: isoMinute(fill.at), symbol: fill.symbol, side: fill.side, quantity: fill.quantity, price: toDollars(fill.price), clientOrderId: fill.clientOrderId });
  }

  snapshot(snapshot: EquitySnapshot): void {
    this.equity = snapshot.equity;
    this.equityCurve.push({ minute: snapshot.minute, equity: snapshot.equity, cash: snapshot.cash });
    this.metrics.observeEquity(snapshot.minute, snapshot.equity);
  }

  strategyError(minute: number, error: SandboxError): void {
    this.error(minute, 'strategy', error.kind, error.message);
  }

  rejected(minute: number, rejection: OrderRejection): void {
    this.error(minute, 'order', rejection.code, rejectionText(rejectionRecord(rejection)));
  }

  error(minute: number, source: BacktestError['source'], kind: string, message: string): void {
    this.errorCount += 1;
    if (this.errors.length < MAX_RECORDED_ERRORS) this.errors.push({ time: isoMinute(minute), source, kind, message });
  }
}
