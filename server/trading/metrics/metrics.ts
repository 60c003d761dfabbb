/**
 * Performance metrics of one team, updated each minute in O(1) time and memory.
 *
 * Conventions (the formulas are empyrical's published definitions — quantopian/empyrical
 * `stats.py`: `sharpe_ratio`, `sortino_ratio`/`downside_risk`, `annual_return`, `max_drawdown`,
 * `calmar_ratio` — at minute frequency):
 *
 * - Returns: one simple return per pair of consecutive equity observations,
 *   r_t = E_t / E_{t−1} − 1. The tick observes equity once per market minute, so a return is a
 *   market minute's return; the overnight change lands in the first minute of the next session.
 *   n = number of returns = equity observations − 1. A return from an equity of 0 is undefined
 *   and not counted.
 * - Annualisation: P = 252 × 390 = 98,280 minute periods per year.
 * - Risk-free rate and Sortino target: 0.
 * - totalReturn = E_last / E_first − 1.
 * - annualizedReturn (CAGR) = (1 + totalReturn)^(P / n) − 1.
 * - volatility = s × √P, s the SAMPLE standard deviation of the returns (divisor n − 1).
 * - sharpe = mean(r) / s × √P.
 * - sortino = mean(r) × P / (DD × √P), with the downside deviation
 *   DD = √( Σ min(r_t, 0)² / n ) — the root mean square of the negative parts over ALL n returns
 *   (zeros for the non-negative ones), not the standard deviation of the negative returns alone.
 * - maxDrawdown = max_t (1 − E_t / max_{u ≤ t} E_u), a POSITIVE fraction (0.2 = a 20 % fall;
 *   empyrical reports it as −0.2).
 * - maxDrawdownDurationMinutes: the duration of that deepest episode, in observations (market
 *   minutes) from its peak to the first observation back at or above the peak, or to the latest
 *   observation while it has not recovered. On equal depths the earlier episode is kept.
 * - calmar = annualizedReturn / maxDrawdown.
 * - Trades: one realised P&L per closing trade. winRate = (trades with P&L > 0) / tradeCount
 *   (break-even trades count as trades, not wins); profitFactor = gross profit / |gross loss|;
 *   tradeCount = closing trades recorded.
 * - null where a value is undefined or not finite: no equity yet (totalReturn); fewer than 2
 *   returns (volatility, sharpe, sortino); a standard deviation of at most 1e-12 per minute,
 *   i.e. numerically constant returns (sharpe); no negative return (sortino); no drawdown
 *   (maxDrawdown, its duration, calmar); no returns or an annualised return beyond the float
 *   range, as a short window of large returns gives (annualizedReturn, calmar); no trades
 *   (winRate); no losing trade (profitFactor).
 * - ranked: at least `minObservations` returns (default 30); leaderboards rank only ranked teams,
 *   since a handful of minute returns annualise into meaningless figures.
 */
import { DrawdownTracker, type DrawdownState } from './drawdownTracker.ts';
import { RunningMoments, type RunningMomentsState } from './runningMoments.ts';

export const MINUTES_PER_TRADING_DAY = 390;
export const TRADING_DAYS_PER_YEAR = 252;
export const PERIODS_PER_YEAR = TRADING_DAYS_PER_YEAR * MINUTES_PER_TRADING_DAY;
export const DEFAULT_MIN_OBSERVATIONS = 30;
/** Below this per-minute standard deviation the returns are treated as constant (Sharpe undefined). */
export const ZERO_VOLATILITY_EPSILON = 1e-12;

export interface PerformanceMetrics {
  totalReturn: number | null;
  annualizedReturn: number | null;
  volatility: number | null;
  sharpe: number | null;
  sortino: number | null;
  calmar: number | null;
  maxDrawdown: number | null;
  maxDrawdownDurationMinutes: number | null;
  winRate: number | null;
  profitFactor: number | null;
  tradeCount: number;
  /** Number of minute returns the figures rest on (equity observations − 1). */
  observations: number;
  ranked: boolean;
}

export interface MetricsOptions {
  /** Returns needed before the team is `ranked`; default 30. */
  minObservations?: number;
}

/** Everything the accumulator knows, as plain JSON, to persist it and resume after a restart. */
export interface MetricsAccumulatorState {
  firstEquity: number | null;
  lastEquity: number | null;
  lastMinute: number | null;
  returns: RunningMomentsState;
  sumSquaredNegativeReturns: number;
  drawdown: DrawdownState;
  tradeCount: number;
  winningTrades: number;
  grossProfit: number;
  grossLoss: number;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

export class MetricsAccumulator {
  readonly minObservations: number;
  #firstEquity: number | null = null;
  #lastEquity: number | null = null;
  #lastMinute: number | null = null;
  #returns = new RunningMoments();
  #sumSquaredNegativeReturns = 0;
  #drawdown = new DrawdownTracker();
  #tradeCount = 0;
  #winningTrades = 0;
  #grossProfit = 0;
  /** Sum of |P&L| of losing trades, positive. */
  #grossLoss = 0;

  constructor(options: MetricsOptions = {}, state?: MetricsAccumulatorState) {
    const minObservations = options.minObservations ?? DEFAULT_MIN_OBSERVATIONS;
    if (!Number.isSafeInteger(minObservations) || minObservations < 2) {
      throw new RangeError(`minObservations must be a whole number of at least 2 (a volatility needs two returns), got ${String(minObservations)}`);
    }
    this.minObservations = minObservations;
    if (state !== undefined) {
      this.#firstEquity = state.firstEquity;
      this.#lastEquity = state.lastEquity;
      this.#lastMinute = state.lastMinute;
      this.#returns = new RunningMoments(state.returns);
      this.#sumSquaredNegativeReturns = state.sumSquaredNegativeReturns;
      this.#drawdown = new DrawdownTracker(state.drawdown);
      this.#tradeCount = state.tradeCount;
      this.#winningTrades = state.winningTrades;
      this.#grossProfit = state.grossProfit;
      this.#grossLoss = state.grossLoss;
    }
  }

  /**
   * The team's equity at the end of a minute (any one unit: dollars, or `Money` units — every
   * metric is a ratio). Minutes must strictly increase: a repeated tick must not count twice.
   */
  observeEquity(minute: number, equity: number): void {
    if (!Number.isFinite(minute)) throw new RangeError(`minute must be a finite epoch-ms time, got ${String(minute)}`);
    if (!Number.isFinite(equity) || equity < 0) {
      throw new RangeError(`equity must be a finite, non-negative amount (a cash account cannot go below 0), got ${String(equity)}`);
    }
    if (this.#lastMinute !== null && minute <= this.#lastMinute) {
      throw new RangeError(`equity observed for minute ${String(minute)} after minute ${String(this.#lastMinute)}: minutes must strictly increase`);
    }
    const previous = this.#lastEquity;
    if (previous !== null && previous > 0) {
      const r = equity / previous - 1;
      this.#returns.add(r);
      if (r < 0) this.#sumSquaredNegativeReturns += r * r;
    }
    this.#firstEquity ??= equity;
    this.#lastEquity = equity;
    this.#lastMinute = minute;
    this.#drawdown.add(equity);
  }

  /** The realised P&L of one closing trade (sell), in any one unit (`Money` keeps the sums exact). */
  recordClosedTrade(pnl: number): void {
    if (!Number.isFinite(pnl)) throw new RangeError(`a trade's realised P&L must be a finite amount, got ${String(pnl)}`);
    this.#tradeCount += 1;
    if (pnl > 0) {
      this.#winningTrades += 1;
      this.#grossProfit += pnl;
    } else if (pnl < 0) {
      this.#grossLoss -= pnl;
    }
  }

  snapshot(): PerformanceMetrics {
    const n = this.#returns.count;
    const mean = this.#returns.mean;
    const variance = this.#returns.sampleVariance;
    const sd = variance === null ? null : Math.sqrt(variance);
    const rootPeriods = Math.sqrt(PERIODS_PER_YEAR);

    const totalReturn = this.#firstEquity === null || this.#lastEquity === null || this.#firstEquity === 0 ? null : this.#lastEquity / this.#firstEquity - 1;
    const annualizedReturn = totalReturn === null || n === 0 ? null : finiteOrNull((1 + totalReturn) ** (PERIODS_PER_YEAR / n) - 1);

    const downsideDeviation = n === 0 ? 0 : Math.sqrt(this.#sumSquaredNegativeReturns / n);
    const sharpe = mean === null || sd === null || sd <= ZERO_VOLATILITY_EPSILON ? null : finiteOrNull((mean / sd) * rootPeriods);
    const sortino = mean === null || n < 2 || downsideDeviation === 0 ? null : finiteOrNull((mean / downsideDeviation) * rootPeriods);

    const maxDrawdown = this.#drawdown.maxDrawdown;
    const calmar = maxDrawdown === null || annualizedReturn === null ? null : finiteOrNull(annualizedReturn / maxDrawdown);

    return {
      totalReturn,
      annualizedReturn,
      volatility: sd === null ? null : sd * rootPeriods,
      sharpe,
      sortino,
      calmar,
      maxDrawdown,
      maxDrawdownDurationMinutes: this.#drawdown.maxDrawdownDuration,
      winRate: this.#tradeCount === 0 ? null : this.#winningTrades / this.#tradeCount,
      profitFactor: this.#grossLoss === 0 ? null : this.#grossProfit / this.#grossLoss,
      tradeCount: this.#tradeCount,
      observations: n,
      ranked: n >= this.minObservations,
    };
  }

  state(): MetricsAccumulatorState {
    return {
      firstEquity: this.#firstEquity,
      lastEquity: this.#lastEquity,
      lastMinute: this.#lastMinute,
      returns: this.#returns.state(),
      sumSquaredNegativeReturns: this.#sumSquaredNegativeReturns,
      drawdown: this.#drawdown.state(),
      tradeCount: this.#tradeCount,
      winningTrades: this.#winningTrades,
      grossProfit: this.#grossProfit,
      grossLoss: this.#grossLoss,
    };
  }
}
