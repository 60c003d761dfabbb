// The 'qtc' series functions in plain Node (no isolate): exact values on small inputs checked by
// hand, and the edges (empty, period 1, period longer than the input, NaN, bad periods).
// tests/unit/sandbox/{stdlib,seriesExact}.test.ts run the same code inside a real isolate.
import { describe, expect, it } from 'vitest';
import { crossover, crossunder, emaSeries, returns, smaSeries } from '../../../sandbox/runtime/qtc.ts';

describe('smaSeries', () => {
  it('is NaN until `period` values, then the mean of the last `period`', () => {
    expect(smaSeries([1, 2, 3, 4, 5], 2)).toEqual([NaN, 1.5, 2.5, 3.5, 4.5]);
    expect(smaSeries(new Float64Array([2, 4, 6, 8]), 3)).toEqual([NaN, NaN, 4, 6]);
  });

  it('is the input itself for period 1, all NaN when the period is longer than the input, [] when empty', () => {
    expect(smaSeries([1, 2, 3], 1)).toEqual([1, 2, 3]);
    expect(smaSeries([1, 2], 3)).toEqual([NaN, NaN]);
    expect(smaSeries([], 3)).toEqual([]);
  });

  it('keeps a NaN in its running sum from there on', () => {
    expect(smaSeries([1, NaN, 3, 4, 5], 2)).toEqual([NaN, NaN, NaN, NaN, NaN]);
  });

  it('refuses a period that is not a positive integer', () => {
    expect(() => smaSeries([1], 0)).toThrow(new RangeError('smaSeries: period must be a positive integer, got 0'));
    expect(() => smaSeries([1], 1.5)).toThrow(RangeError);
    expect(() => smaSeries([1], NaN)).toThrow(RangeError);
  });
});

describe('emaSeries', () => {
  it('starts with the mean of the first `period` values, then alpha = 2 / (period + 1)', () => {
    // alpha 0.5: mean(1, 2, 3) = 2, then 0.5 * 4 + 0.5 * 2 = 3, then 0.5 * 5 + 0.5 * 3 = 4.
    expect(emaSeries([1, 2, 3, 4, 5], 3)).toEqual([NaN, NaN, 2, 3, 4]);
  });

  it('is the input itself for period 1, all NaN when the period is longer than the input, [] when empty', () => {
    expect(emaSeries([1, 2, 3], 1)).toEqual([1, 2, 3]);
    expect(emaSeries([1, 2], 3)).toEqual([NaN, NaN]);
    expect(emaSeries([], 2)).toEqual([]);
  });

  it('refuses a period that is not a positive integer', () => {
    expect(() => emaSeries([1, 2], -1)).toThrow(new RangeError('emaSeries: period must be a positive integer, got -1'));
  });
});

describe('returns', () => {
  it('gives value / previous - 1 between neighbours (n - 1 of them)', () => {
    expect(returns([2, 4, 1])).toEqual([1, -0.75]);
    expect(returns(new Float64Array([8, 6]))).toEqual([-0.25]);
  });

  it('is empty for fewer than two values', () => {
    expect(returns([5])).toEqual([]);
    expect(returns([])).toEqual([]);
  });
});

describe('crossover and crossunder', () => {
  it('compare the last two values of each series', () => {
    expect(crossover([1, 3], [2, 2])).toBe(true);
    expect(crossover([2, 3], [2, 2])).toBe(true); // touching, then above
    expect(crossover([3, 4], [2, 2])).toBe(false); // above already
    expect(crossover([0, 1, 3], [2, 2])).toBe(true); // lengths may differ: the ends are aligned
    expect(crossunder([3, 1], [2, 2])).toBe(true);
    expect(crossunder([2, 1], [2, 2])).toBe(true);
    expect(crossunder([1, 0], [2, 2])).toBe(false);
  });

  it('are false with fewer than two values on either side, or a NaN at the ends', () => {
    expect(crossover([3], [2, 2])).toBe(false);
    expect(crossunder([3, 1], [])).toBe(false);
    expect(crossover([NaN, 3], [2, 2])).toBe(false);
    expect(crossunder([3, NaN], [2, 2])).toBe(false);
  });
});
