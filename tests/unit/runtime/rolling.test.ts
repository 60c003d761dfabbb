// The 'qtc' Rolling* indicators in plain Node (no isolate): values update by update on small
// inputs checked by hand, the edges, and save()/restore() including the numbers JSON cannot hold.
// tests/unit/sandbox/indicators.test.ts checks them bit for bit against the functions, in an isolate.
import { describe, expect, it } from 'vitest';
import { RollingEma, RollingRsi, RollingSma, RollingStdev, type RollingState } from '../../../sandbox/runtime/qtc.ts';

interface Updatable {
  update(value: number): number;
}
const feed = (indicator: Updatable, values: number[]): number[] => values.map((value) => indicator.update(value));

describe('RollingSma', () => {
  it('is NaN until `period` values, then the running mean; count, ready and value follow', () => {
    const sma = new RollingSma(2);
    expect(sma.update(1)).toBeNaN();
    expect([sma.count, sma.ready, sma.period]).toEqual([1, false, 2]);
    expect(feed(sma, [2, 3, 4])).toEqual([1.5, 2.5, 3.5]);
    expect([sma.count, sma.ready, sma.value]).toEqual([4, true, 3.5]);
  });

  it('gives each value back for period 1 and keeps a NaN in its running sum', () => {
    expect(feed(new RollingSma(1), [5, 7])).toEqual([5, 7]);
    expect(feed(new RollingSma(2), [1, NaN, 3, 4])).toEqual([NaN, NaN, NaN, NaN]);
  });

  it('continues after save() → JSON → restore() exactly where it was', () => {
    const warm = new RollingSma(2);
    feed(warm, [1, 2, 3]);
    const saved = warm.save();
    expect(saved).toEqual([3, 5]); // count, running sum 1 + 2 + 3 - 1
    const cold = new RollingSma(2).restore(JSON.parse(JSON.stringify(saved)) as RollingState, [2, 3]);
    expect([cold.count, cold.ready, cold.value]).toEqual([3, true, 2.5]);
    expect(cold.update(4)).toBe(warm.update(4));
  });

  it('restore refuses `recent` shorter than the window it needs', () => {
    expect(() => new RollingSma(3).restore([5, 10], [1, 2])).toThrow(new RangeError('RollingSma.restore: `recent` must hold the last 3 values given to update(), oldest first'));
  });
});

describe('RollingEma', () => {
  it('seeds with the mean of the first `period` values, then alpha = 2 / (period + 1)', () => {
    expect(feed(new RollingEma(3), [1, 2, 3, 4, 5])).toEqual([NaN, NaN, 2, 3, 4]);
    expect(feed(new RollingEma(1), [5, 7])).toEqual([5, 7]);
  });

  it('round-trips NaN and ±Infinity through save() as strings', () => {
    const ema = new RollingEma(1);
    ema.update(Infinity);
    expect(ema.save()).toEqual([1, 'Infinity']);
    const restored = new RollingEma(1).restore(JSON.parse(JSON.stringify(ema.save())) as RollingState);
    expect(restored.value).toBe(Infinity);
    expect(new RollingEma(2).restore([3, 'NaN']).value).toBeNaN();
    expect(new RollingEma(2).restore([3, '-Infinity']).value).toBe(-Infinity);
    expect(new RollingEma(2).restore([1, 4]).value).toBeNaN(); // not ready yet
  });

  it('restore refuses what save() cannot have returned', () => {
    expect(() => new RollingEma(2).restore([1])).toThrow(new TypeError('RollingEma.restore: expected the array save() returned (2 entries)'));
    expect(() => new RollingEma(2).restore([-1, 0])).toThrow(new RangeError('RollingEma.restore: the saved count must be a non-negative integer, got -1'));
    expect(() => new RollingEma(2).restore([1, 'x'])).toThrow(new TypeError('RollingEma.restore: the saved state holds x, not a number'));
  });
});

describe('RollingRsi', () => {
  it('is ready after period + 1 values and follows Wilder', () => {
    // changes +1, +1 → no losses: 100; then -1: gain 0.5, loss 0.5 → 50.
    const rsi = new RollingRsi(2);
    expect(feed(rsi, [1, 2, 3, 2])).toEqual([NaN, NaN, 100, 50]);
    expect(rsi.ready).toBe(true);
    expect(new RollingRsi().period).toBe(14);
  });

  it('saves -0 and NaN as strings and restores them', () => {
    const rsi = new RollingRsi(2);
    rsi.update(NaN);
    expect(rsi.save()).toEqual([1, 'NaN', 0, 0]);
    const negativeZero = new RollingRsi(2);
    negativeZero.update(-0);
    expect(negativeZero.save()).toEqual([1, '-0', 0, 0]);
    const restored = new RollingRsi(2).restore([1, '-0', 0, 0]);
    expect(restored.update(1)).toBeNaN(); // two values: not ready
    expect(restored.update(2)).toBe(100);
  });
});

describe('RollingStdev', () => {
  it('is the sample stdev of the last `period` values', () => {
    expect(feed(new RollingStdev(3), [2, 4, 6, 8])).toEqual([NaN, NaN, 2, 2]);
    expect(feed(new RollingStdev(2), [5, 5, 5])).toEqual([NaN, 0, 0]);
  });

  it('is never ready for period 1 (a sample stdev needs two values)', () => {
    const stdev = new RollingStdev(1);
    expect(feed(stdev, [1, 2, 3])).toEqual([NaN, NaN, NaN]);
    expect(stdev.ready).toBe(false);
  });

  it('restores from the count and the recent values', () => {
    const warm = new RollingStdev(3);
    feed(warm, [2, 4, 6, 8]);
    expect(warm.save()).toEqual([4]);
    const cold = new RollingStdev(3).restore(warm.save(), [1, 4, 6, 8]);
    expect(cold.value).toBe(2);
    expect(cold.update(12)).toBe(warm.update(12));
  });
});

describe('constructors', () => {
  it('refuse a period that is not a positive integer', () => {
    expect(() => new RollingSma(0)).toThrow(new RangeError('RollingSma: period must be a positive integer, got 0'));
    expect(() => new RollingEma(1.5)).toThrow(RangeError);
    expect(() => new RollingRsi(-2)).toThrow(RangeError);
    expect(() => new RollingStdev(NaN)).toThrow(RangeError);
  });
});
