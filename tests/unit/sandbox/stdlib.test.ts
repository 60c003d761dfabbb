// The 'qtc' standard library, evaluated inside a real isolate with the runtime prelude.
import ivm from 'isolated-vm';
import { afterAll, describe, expect, it } from 'vitest';
import { runtimeSource } from '../../../sandbox/child/runtimeSource.ts';

const prelude = runtimeSource();
const isolate = new ivm.Isolate({ memoryLimit: 32 });
const context = isolate.createContextSync();
isolate.compileScriptSync(prelude).runSync(context, { reference: true }).release();

function q(expression: string): unknown {
  const json: unknown = context.evalSync(`JSON.stringify((() => { const q = require('qtc'); return ${expression}; })())`, { timeout: 1000 });
  return JSON.parse(json as string) as unknown;
}

afterAll(() => isolate.dispose());

describe("the 'qtc' standard library", () => {
  it('sma and mean look at the end of the series', () => {
    expect(q('q.sma([1, 2, 3, 4], 2)')).toBe(3.5);
    expect(q('q.sma(new Float64Array([1, 2, 3]), 3)')).toBe(2);
    expect(q('q.sma([1, 2], 3)')).toBeNull();
    expect(q('q.mean([1, 2, 3, 6])')).toBe(3);
    expect(q('q.mean([1, 2, 3, 6], 2)')).toBe(4.5);
    expect(q('q.mean([])')).toBeNull();
  });

  it('ema is seeded with the SMA of the first period values', () => {
    // alpha = 0.5; seed (1+2+3)/3 = 2; then 0.5*4 + 0.5*2 = 3; then 0.5*5 + 0.5*3 = 4
    expect(q('q.ema([1, 2, 3, 4, 5], 3)')).toBe(4);
    expect(q('q.emaSeries([1, 2, 3, 4, 5], 3)')).toEqual([null, null, 2, 3, 4]); // NaN serialises to null
    expect(q('q.ema([1, 2], 3)')).toBeNull();
  });

  it("rsi follows Wilder's smoothing", () => {
    expect(q('q.rsi([1, 2, 3, 4], 3)')).toBe(100);
    expect(q('q.rsi([1, 2, 3], 3)')).toBeNull();
    // changes +1, -1, +1, -1 with period 2: first avg gain 0.5, loss 0.5; then gain 0.75 loss 0.25; then gain 0.375 loss 0.625
    expect(q('q.rsi([1, 2, 1, 2, 1], 2)')).toBeCloseTo(100 - 100 / (1 + 0.375 / 0.625), 10);
    expect(q('q.rsi(Array.from({ length: 20 }, (_, i) => 20 - i))')).toBe(0);
  });

  it('stdev, highest, lowest, returns, zscore', () => {
    expect(q('q.stdev([2, 4, 4, 4, 5, 5, 7, 9])')).toBeCloseTo(2.13808993, 6);
    expect(q('q.stdev([1, 5, 7], 2)')).toBeCloseTo(Math.SQRT2, 10);
    expect(q('q.stdev([1])')).toBeNull();
    expect(q('q.highest([1, 9, 3, 4], 2)')).toBe(4);
    expect(q('q.lowest([1, 9, 3, 4], 3)')).toBe(3);
    expect(q('q.highest([1], 2)')).toBeNull();
    expect(q('q.returns([100, 110, 99])')).toEqual([0.10000000000000009, -0.09999999999999998]);
    expect(q('q.zscore([1, 2, 3], 3)')).toBe(1);
    expect(q('q.zscore([2, 2, 2], 3)')).toBeNull();
  });

  it('crossover and crossunder compare the last two aligned values', () => {
    expect(q('q.crossover([1, 3], [2, 2])')).toBe(true);
    expect(q('q.crossover([2, 3], [2, 2])')).toBe(true);
    expect(q('q.crossover([3, 4], [2, 2])')).toBe(false);
    expect(q('q.crossunder([3, 1], [2, 2])')).toBe(true);
    expect(q('q.crossover([1], [0])')).toBe(false);
    expect(q('q.crossover(q.smaSeries([5, 4, 3, 2, 9], 2), q.smaSeries([5, 4, 3, 2, 9], 3))')).toBe(true);
    expect(q('q.smaSeries([1, 2, 3], 2)')).toEqual([null, 1.5, 2.5]);
  });

  it('rejects a bad period with a clear message', () => {
    expect(() => q('q.sma([1, 2], 0)')).toThrow(/sma: period must be a positive integer, got 0/);
    expect(() => q('q.ema([1, 2], 1.5)')).toThrow(/ema: period must be a positive integer/);
  });

  it('the module is frozen and other specifiers are refused', () => {
    expect(q('Object.isFrozen(q)')).toBe(true);
    expect(() => q("require('node:fs')")).toThrow(/Cannot import "node:fs"/);
  });
});
