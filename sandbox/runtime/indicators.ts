// The 'qtc' indicators: one number for the last value of a series (null when undefined).
import { checkPeriod, meanOf, type Series } from './checks.ts';
import { MathSqrt } from './intrinsics.ts';

export function sma(values: Series, period: number): number | null {
  checkPeriod('sma', period);
  const n = values.length;
  return n < period ? null : meanOf(values, n - period, n);
}
export function mean(values: Series, period?: number): number | null {
  const n = values.length;
  if (period === undefined) return n === 0 ? null : meanOf(values, 0, n);
  checkPeriod('mean', period);
  return n < period ? null : meanOf(values, n - period, n);
}
export function ema(values: Series, period: number): number | null {
  checkPeriod('ema', period);
  const n = values.length;
  if (n < period) return null;
  const alpha = 2 / (period + 1);
  let value = meanOf(values, 0, period);
  for (let i = period; i < n; i++) value = alpha * values[i]! + (1 - alpha) * value;
  return value;
}
export function rsi(values: Series, period = 14): number | null {
  checkPeriod('rsi', period);
  const n = values.length;
  if (n < period + 1) return null;
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= period; i++) {
    const change = values[i]! - values[i - 1]!;
    if (change > 0) gain += change;
    else loss -= change;
  }
  gain /= period;
  loss /= period;
  for (let i = period + 1; i < n; i++) {
    const change = values[i]! - values[i - 1]!;
    gain = (gain * (period - 1) + (change > 0 ? change : 0)) / period;
    loss = (loss * (period - 1) + (change < 0 ? -change : 0)) / period;
  }
  if (loss === 0) return 100;
  return 100 - 100 / (1 + gain / loss);
}
export function stdev(values: Series, period?: number): number | null {
  const n = values.length;
  if (period !== undefined) checkPeriod('stdev', period);
  const count = period === undefined ? n : period;
  if (count < 2 || n < count) return null;
  const m = meanOf(values, n - count, n);
  let squares = 0;
  for (let i = n - count; i < n; i++) squares += (values[i]! - m) * (values[i]! - m);
  return MathSqrt(squares / (count - 1));
}
export function highest(values: Series, period: number): number | null {
  checkPeriod('highest', period);
  const n = values.length;
  if (n < period) return null;
  let best = -Infinity;
  for (let i = n - period; i < n; i++) if (values[i]! > best) best = values[i]!;
  return best;
}
export function lowest(values: Series, period: number): number | null {
  checkPeriod('lowest', period);
  const n = values.length;
  if (n < period) return null;
  let best = Infinity;
  for (let i = n - period; i < n; i++) if (values[i]! < best) best = values[i]!;
  return best;
}
export function zscore(values: Series, period: number): number | null {
  checkPeriod('zscore', period);
  const sd = stdev(values, period === 1 ? undefined : period);
  if (sd === null || sd === 0 || values.length < period) return null;
  return (values[values.length - 1]! - meanOf(values, values.length - period, values.length)) / sd;
}
