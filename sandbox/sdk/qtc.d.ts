// Type declarations for strategy authors: `import { sma, type Strategy } from 'qtc'`.
// Runtime: the sandbox provides this module inside each team's isolate (sandbox/runtime/,
// the standard library in sandbox/runtime/qtc.ts; tests/types/qtcSdk.check.ts fails typecheck when they disagree).

declare module 'qtc' {
  /** A numeric series, oldest first, newest last: number[] or Float64Array. */
  export type Series = ArrayLike<number>;

  /** Mean of the last `period` values; null when fewer than `period` values. */
  export function sma(values: Series, period: number): number | null;
  /** Exponential moving average (alpha = 2/(period+1), seeded with the SMA of the first `period` values); null when fewer than `period` values. */
  export function ema(values: Series, period: number): number | null;
  /** Wilder's RSI of the last value; null when fewer than period+1 values; 100 when there are no losses. */
  export function rsi(values: Series, period?: number): number | null;
  /** Sample standard deviation of the last `period` values (all values when omitted); null when fewer than 2. */
  export function stdev(values: Series, period?: number): number | null;
  /** Mean of the last `period` values (all values when omitted); null when there are not enough values. */
  export function mean(values: Series, period?: number): number | null;
  /** Highest of the last `period` values; null when fewer than `period` values. */
  export function highest(values: Series, period: number): number | null;
  /** Lowest of the last `period` values; null when fewer than `period` values. */
  export function lowest(values: Series, period: number): number | null;
  /** Simple returns between consecutive values (length n - 1). */
  export function returns(values: Series): number[];
  /** (last - mean) / stdev over the last `period` values; null when undefined. */
  export function zscore(values: Series, period: number): number | null;
  /** True when fast crossed above slow on the last value: fast[-2] <= slow[-2] and fast[-1] > slow[-1]. */
  export function crossover(fast: Series, slow: Series): boolean;
  /** True when fast crossed below slow on the last value. */
  export function crossunder(fast: Series, slow: Series): boolean;
  /** SMA at every index (NaN where undefined), for crossover(). */
  export function smaSeries(values: Series, period: number): number[];
  /** EMA at every index (NaN where undefined), for crossover(). */
  export function emaSeries(values: Series, period: number): number[];

  /**
   * The state of a rolling indicator as save() returns it: a short array of numbers (NaN, ±Infinity
   * and -0 written as strings) that survives JSON, so it can be kept in `team.memory`.
   */
  export type RollingState = Array<number | string>;

  /**
   * An indicator fed one value per bar, oldest first. update() costs O(1) (RollingStdev: O(period)),
   * instead of recomputing a whole window every minute. After n updates its value is bit for bit
   * what the matching function returns over those n values (NaN where the function gives NaN or null).
   * Keep one per symbol in a field of the strategy; it lives as long as the isolate stays warm.
   */
  export interface RollingIndicator {
    readonly period: number;
    /** Values given to update() so far (including any restored count). */
    readonly count: number;
    /** Enough values for a result. */
    readonly ready: boolean;
    /** The result after the last update (NaN until ready). */
    readonly value: number;
    /** Adds the next value; returns the new `value`. */
    update(value: number): number;
    /** The state, for `team.memory`: with restore(), an isolate reloaded mid-run continues exactly where this one was. */
    save(): RollingState;
  }

  /**
   * Simple moving average, exactly smaSeries(values, period)[last] over all the values given:
   * a running sum (add the new value, subtract the one leaving). Not bit-equal to sma(), which sums
   * the window afresh. A NaN or Infinity in the input stays in the running sum, as in smaSeries.
   */
  export class RollingSma implements RollingIndicator {
    constructor(period: number);
    readonly period: number;
    readonly count: number;
    readonly ready: boolean;
    readonly value: number;
    update(value: number): number;
    save(): RollingState;
    /** Takes back a save()d state; `recent` must end with the last `period` values given before the save. */
    restore(saved: RollingState, recent: Series): this;
  }
  /** Exponential moving average, exactly emaSeries(values, period)[last] and ema(values, period). */
  export class RollingEma implements RollingIndicator {
    constructor(period: number);
    readonly period: number;
    readonly count: number;
    readonly ready: boolean;
    readonly value: number;
    update(value: number): number;
    save(): RollingState;
    restore(saved: RollingState): this;
  }
  /** Wilder's RSI, exactly rsi(values, period) (default 14); ready after period+1 values. */
  export class RollingRsi implements RollingIndicator {
    constructor(period?: number);
    readonly period: number;
    readonly count: number;
    readonly ready: boolean;
    readonly value: number;
    update(value: number): number;
    save(): RollingState;
    restore(saved: RollingState): this;
  }
  /**
   * Sample standard deviation of the last `period` values, exactly stdev(values, period): like stdev()
   * it takes the mean and then the squares, so an update costs O(period) (no allocation). Never ready for period 1.
   */
  export class RollingStdev implements RollingIndicator {
    constructor(period: number);
    readonly period: number;
    readonly count: number;
    readonly ready: boolean;
    readonly value: number;
    update(value: number): number;
    save(): RollingState;
    /** Takes back a save()d state; `recent` must end with the last `period` values given before the save. */
    restore(saved: RollingState, recent: Series): this;
  }

  /**
   * The rolling window of one symbol, oldest first. Views into the sandbox's buffers: do not write to them.
   * The fields are getters shared by every symbol's entry: read them from `bars[symbol]` (or an object
   * inheriting from it); called on any other object they throw a TypeError.
   */
  export interface SymbolBars {
    /** Bar start times, epoch milliseconds. */
    readonly timestamp: number[];
    readonly open: Float64Array;
    readonly high: Float64Array;
    readonly low: Float64Array;
    readonly close: Float64Array;
    readonly volume: Float64Array;
  }

  export type Bars = Readonly<Record<string, SymbolBars>>;

  /** A copy of part of a symbol's window. */
  export interface BarSlice {
    timestamp: number[];
    open: Float64Array;
    high: Float64Array;
    low: Float64Array;
    close: Float64Array;
    volume: Float64Array;
  }

  export interface TeamApi {
    /** The last `n` bars of `symbol` (fewer if the window is shorter; empty for an unknown symbol). */
    getLastN(symbol: string, n: number): BarSlice;
    /** Bars with fromMs <= timestamp <= toMs. */
    getRange(symbol: string, fromMs: number, toMs: number): BarSlice;
    /** Bars of one New York calendar day, e.g. getDay('AAPL', '2025-07-08'). */
    getDay(symbol: string, date: string): BarSlice;
  }

  export interface Position {
    quantity: number;
    avgCost: number;
  }

  /** JSON values only: team.memory is saved as JSON after every successful call. */
  export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

  export interface Team {
    readonly id: string;
    readonly cash: number;
    readonly equity: number;
    readonly positions: Readonly<Record<string, Position>>;
    readonly params: Readonly<Record<string, unknown>>;
    /**
     * Survives isolate and server restarts (as its JSON round-trip). Capped (64 KiB serialised by
     * default); when a call fails, the memory of the last successful call is restored.
     */
    memory: Record<string, JsonValue>;
    readonly api: TeamApi;
  }

  export interface Signal {
    symbol: string;
    action: 'buy' | 'sell';
    /** Finite and greater than 0. */
    quantity: number;
    /** Limit price, when given: finite and greater than 0. */
    price?: number;
    confidence?: number;
    /** At most 1000 characters. */
    reason?: string;
  }

  /** What generateSignal may return. Must be returned synchronously (Promises are rejected). */
  export type SignalResult = Signal | Signal[] | null;

  /** The shape of the default export of a strategy's entry file. */
  export interface Strategy {
    generateSignal(team: Team, bars: Bars, currentPrices: Readonly<Record<string, number>>): SignalResult;
  }

  export interface StrategyClass {
    new (params: Record<string, unknown>): Strategy;
  }
}
