// save()/restore() of the Rolling* indicators: their state as a short JSON array for team.memory.
import type { Series } from './checks.ts';
import { ArrayIsArray, NumberIsFinite, NumberIsInteger, StringC } from './intrinsics.ts';

/** A rolling indicator's state as save() returns it: numbers, with NaN, ±Infinity and -0 as strings. */
export type RollingState = Array<number | string>;

export function savedNumber(x: number): number | string {
  // JSON has no NaN, Infinity or -0; these travel as strings.
  if (x === 0 && 1 / x < 0) return '-0';
  return NumberIsFinite(x) ? x : StringC(x);
}
export function restoredNumber(fn: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === '-0') return -0;
  throw new TypeError(fn + '.restore: the saved state holds ' + StringC(v) + ', not a number');
}
/** The saved count (entry 0) of a state that must have `length` entries. */
export function checkSaved(fn: string, saved: unknown, length: number): number {
  if (!ArrayIsArray(saved) || saved.length !== length) {
    throw new TypeError(fn + '.restore: expected the array save() returned (' + length + ' entries)');
  }
  const count: unknown = saved[0];
  if (!NumberIsInteger(count) || (count as number) < 0) throw new RangeError(fn + '.restore: the saved count must be a non-negative integer, got ' + StringC(count));
  return count as number;
}
/** The last `count` values of `recent` into `ring` (oldest first); how many were copied. */
export function refill(fn: string, ring: Float64Array, recent: Series | null | undefined, count: number): number {
  const n = recent === null || recent === undefined ? -1 : recent.length;
  if (typeof n !== 'number' || n < count) {
    throw new RangeError(fn + '.restore: `recent` must hold the last ' + count + ' values given to update(), oldest first');
  }
  for (let i = 0; i < count; i++) ring[i] = +recent![n - count + i]!;
  return count;
}
