// The 'qtc' indicators in plain Node (no isolate): exact values on small inputs checked by hand,
// and the edges (empty, period 1, period longer than the input, NaN, bad periods).
import { describe, expect, it } from 'vitest';
import { ema, highest, lowest, mean, rsi, sma, stdev, zscore } from '../../../sandbox/runtime/qtc.ts';

describe('sma and mean', () => {
  it('average the last `period` values', () => {
    expect(sma([1, 2, 3, 4], 2)).toBe(3.5);
    expect(sma(new Float64Array([1, 2, 3]), 3)).toBe(2);
    expect(sma([5], 1)).toBe(5);
    expect(mean([1, 2, 3, 4], 2)).toBe(3.5);
  });

  it('mean without a period averages everything', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
  });

  it('are null with too few values (and mean of nothing is null)', () => {
    expect(sma([1, 2], 3)).toBeNull();
    expect(sma([], 1)).toBeNull();
    expect(mean([])).toBeNull();
    expect(mean([1], 2)).toBeNull();
  });

  it('pass a NaN through', () => {
    expect(sma([1, NaN], 2)).toBeNaN();
    expect(sma([NaN, 1, 2], 2)).toBe(1.5); // outside the window
  });

  it('refuse a period that is not a positive integer', () => {
    expect(() => sma([1], 0)).toThrow(new RangeError('sma: period must be a positive integer, got 0'));
    expect(() => mean([1], 0.5)).toThrow(new RangeError('mean: period must be a positive integer, got 0.5'));
  });
});

describe('ema', () => {
  it('is the last value of emaSeries', () => {
    expect(ema([1, 2, 3, 4, 5], 3)).toBe(4);
    expect(ema([7], 1)).toBe(7);
    expect(ema([1, 2, 3], 3)).toBe(2); // only the seed mean
  });

  it('is null with fewer than `period` values', () => {
    expect(ema([1, 2], 3)).toBeNull();
    expect(ema([], 1)).toBeNull();
  });
});

describe('rsi (Wilder)', () => {
  it('averages the first `period` changes, then smooths', () => {
    // changes +1, +1, -1 with period 2: gain 1, loss 0; then gain (1 + 0) / 2 = 0.5, loss (0 + 1) / 2 = 0.5: RS 1.
    expect(rsi([1, 2, 3, 2], 2)).toBe(50);
  });

  it('is 100 without losses (flat included), 0 without gains', () => {
    expect(rsi([1, 2, 3], 2)).toBe(100);
    expect(rsi([1, 1, 1], 2)).toBe(100);
    expect(rsi([3, 2, 1], 2)).toBe(0);
  });

  it('needs period + 1 values; the period defaults to 14', () => {
    expect(rsi([1, 2], 2)).toBeNull();
    const rising = Array.from({ length: 15 }, (_, i) => i);
    expect(rsi(rising)).toBe(100);
    expect(rsi(rising.slice(1))).toBeNull();
  });

  it('refuses a period that is not a positive integer', () => {
    expect(() => rsi([1, 2, 3], 0)).toThrow(new RangeError('rsi: period must be a positive integer, got 0'));
  });
});

describe('stdev (sample)', () => {
  it('of the last `period` values, or of all of them', () => {
    // mean 4, squares 4 + 0 + 4 = 8, 8 / (3 - 1) = 4.
    expect(stdev([2, 4, 6])).toBe(2);
    expect(stdev([100, 2, 4, 6], 3)).toBe(2);
    expect(stdev([1, 3])).toBe(Math.SQRT2);
    expect(stdev([3, 3, 3])).toBe(0);
  });

  it('is null with fewer than two values in the window (period 1 included) or too few values', () => {
    expect(stdev([5])).toBeNull();
    expect(stdev([])).toBeNull();
    expect(stdev([1, 2, 3], 1)).toBeNull();
    expect(stdev([1, 2], 3)).toBeNull();
  });

  it('passes a NaN through', () => {
    expect(stdev([1, NaN, 3])).toBeNaN();
  });
});

describe('highest and lowest', () => {
  it('of the last `period` values', () => {
    expect(highest([1, 5, 3], 2)).toBe(5);
    expect(highest([1, 5, 3], 1)).toBe(3);
    expect(lowest([1, 5, 3], 2)).toBe(3);
    expect(lowest([9, 1, 5], 3)).toBe(1);
    expect(highest([-Infinity], 1)).toBe(-Infinity);
  });

  it('skip a NaN (no comparison with it holds) and are null with too few values', () => {
    expect(highest([NaN, 1], 2)).toBe(1);
    expect(lowest([2, NaN], 2)).toBe(2);
    expect(highest([1], 2)).toBeNull();
    expect(lowest([], 1)).toBeNull();
  });
});

describe('zscore', () => {
  it('is (last - mean) / stdev over the last `period` values', () => {
    expect(zscore([2, 4, 6], 3)).toBe(1);
    expect(zscore([100, 6, 4, 2], 3)).toBe(-1);
  });

  it('with period 1 divides by the stdev of all the values (the last value minus itself: 0)', () => {
    expect(zscore([2, 4, 6], 1)).toBe(0);
  });

  it('is null for a flat window or too few values', () => {
    expect(zscore([3, 3, 3], 3)).toBeNull();
    expect(zscore([1, 2], 3)).toBeNull();
    expect(() => zscore([1, 2], 0)).toThrow(new RangeError('zscore: period must be a positive integer, got 0'));
  });
});
