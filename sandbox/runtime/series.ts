// The 'qtc' series functions: a value per index of the input, and crossings of two series.
import { checkPeriod, meanOf, type Series } from './checks.ts';
import { MathMin } from './intrinsics.ts';

// The series functions write every index once (no fill pass, no branch per element): they run
// over whole windows every minute in typical strategies. Same operations in the same order as
// the naive loop, so the same numbers to the last bit.
export function emaSeries(values: Series, period: number): number[] {
  checkPeriod('emaSeries', period);
  const n = values.length;
  const out = new Array<number>(n);
  const head = MathMin(n, period - 1);
  for (let i = 0; i < head; i++) out[i] = NaN;
  if (n < period) return out;
  const alpha = 2 / (period + 1);
  let value = meanOf(values, 0, period);
  out[period - 1] = value;
  for (let i = period; i < n; i++) {
    value = alpha * values[i]! + (1 - alpha) * value;
    out[i] = value;
  }
  return out;
}
export function smaSeries(values: Series, period: number): number[] {
  checkPeriod('smaSeries', period);
  const n = values.length;
  const out = new Array<number>(n);
  const head = MathMin(n, period - 1);
  let sum = 0;
  let i = 0;
  for (; i < head; i++) {
    sum += values[i]!;
    out[i] = NaN;
  }
  if (i < n) {
    sum += values[i]!;
    out[i] = sum / period;
    i++;
  }
  for (; i < n; i++) {
    sum += values[i]!;
    sum -= values[i - period]!;
    out[i] = sum / period;
  }
  return out;
}
export function returns(values: Series): number[] {
  const out: number[] = [];
  for (let i = 1; i < values.length; i++) out.push(values[i]! / values[i - 1]! - 1);
  return out;
}
export function crossover(fast: Series, slow: Series): boolean {
  const f = fast.length;
  const s = slow.length;
  if (f < 2 || s < 2) return false;
  return fast[f - 2]! <= slow[s - 2]! && fast[f - 1]! > slow[s - 1]!;
}
export function crossunder(fast: Series, slow: Series): boolean {
  const f = fast.length;
  const s = slow.length;
  if (f < 2 || s < 2) return false;
  return fast[f - 2]! >= slow[s - 2]! && fast[f - 1]! < slow[s - 1]!;
}
