// Shared by the 'qtc' standard library: argument checks and the window mean every indicator uses.
import { NumberIsInteger, StringC } from './intrinsics.ts';

/** A numeric series, oldest first, newest last: number[] or Float64Array. */
export type Series = ArrayLike<number>;

export function checkPeriod(fn: string, period: number): void {
  if (!NumberIsInteger(period) || period < 1) throw new RangeError(fn + ': period must be a positive integer, got ' + StringC(period));
}

/** The mean of values[from..to), summed in index order (every indicator's bits depend on that order). */
export function meanOf(values: Series, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i]!;
  return sum / (to - from);
}
