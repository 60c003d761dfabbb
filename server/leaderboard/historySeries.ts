/**
 * An equity series as Postgres hands it over for downsampling (two comma-separated lists, one row
 * instead of one per point), and its reduction to chart points with LTTB. Values go through the same
 * exact decimal parsing as every other equity figure, so a kept point reads as it would undownsampled.
 */
import { decimalStringToMoney, toDollars } from '../trading/money.ts';
import { lttbIndices } from './lttb.ts';

export interface EquityPoint {
  timestamp: string;
  value: number;
}

export interface EquitySeries {
  /** Epoch milliseconds, ascending. */
  ms: number[];
  /** Dollars, as `toDollars(decimalStringToMoney(equity))`. */
  values: number[];
}

/** `ms` as "1736087460000,1736087520000", `equity` as "100000.0000,99999.1234" (NUMERIC text), same length. */
export function parseSeries(ms: string, equity: string): EquitySeries {
  if (ms === '') return { ms: [], values: [] };
  const series = { ms: ms.split(',').map(Number), values: equity.split(',').map((text) => toDollars(decimalStringToMoney(text))) };
  if (series.ms.length !== series.values.length) throw new RangeError(`a series of ${series.ms.length} minutes and ${series.values.length} values`);
  return series;
}

/** At most `points` points chosen by LTTB (all of them, unchanged, when there are no more than that). */
export function downsampleSeries(series: EquitySeries, points: number): EquityPoint[] {
  return lttbIndices(series.ms, series.values, points).map((i) => ({ timestamp: new Date(series.ms[i]!).toISOString(), value: series.values[i]! }));
}
