// smaSeries/emaSeries are written for speed; they must still give, bit for bit, what the naive
// loops give (backtests compare runs byte for byte). References below are the naive loops.
import ivm from 'isolated-vm';
import { afterAll, describe, expect, it } from 'vitest';
import { runtimeSource } from '../../../sandbox/child/runtimeSource.ts';

const prelude = runtimeSource();
const isolate = new ivm.Isolate({ memoryLimit: 32 });
const context = isolate.createContextSync();
isolate.compileScriptSync(prelude).runSync(context, { reference: true }).release();
afterAll(() => isolate.dispose());

/** Runs `fn(values, period)` of 'qtc' inside the isolate; NaN comes back as the string "NaN", bits exactly as numbers. */
function inIsolate(fn: string, values: number[], period: number): (number | string)[] {
  const json = context.evalSync(`JSON.stringify(Array.from(require('qtc').${fn}(new Float64Array(${JSON.stringify(values)}), ${period}), (v) => (Number.isNaN(v) ? 'NaN' : v)))`, {
    timeout: 1000,
  }) as string;
  return JSON.parse(json) as (number | string)[];
}

function naiveSma(values: number[], period: number): (number | string)[] {
  const out: number[] = new Array<number>(values.length).fill(NaN);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i] ?? 0;
    if (i >= period) sum -= values[i - period] ?? 0;
    if (i >= period - 1) out[i] = sum / period;
  }
  return out.map((v) => (Number.isNaN(v) ? 'NaN' : v));
}

function naiveEma(values: number[], period: number): (number | string)[] {
  const n = values.length;
  const out: number[] = new Array<number>(n).fill(NaN);
  if (n >= period) {
    const alpha = 2 / (period + 1);
    let value = 0;
    for (let i = 0; i < period; i++) value += values[i] ?? 0;
    value /= period;
    out[period - 1] = value;
    for (let i = period; i < n; i++) {
      value = alpha * (values[i] ?? 0) + (1 - alpha) * value;
      out[i] = value;
    }
  }
  return out.map((v) => (Number.isNaN(v) ? 'NaN' : v));
}

function randomWalk(length: number, seed: number): number[] {
  let state = seed;
  let price = 100;
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    price += (state / 2147483648 - 0.5) * 0.37;
    out.push(price);
  }
  return out;
}

describe('series functions are exact', () => {
  const lengths = [0, 1, 2, 9, 10, 11, 29, 30, 31, 250, 1200];
  const periods = [1, 2, 3, 10, 30];
  it('smaSeries equals the naive running sum, bit for bit', () => {
    for (const length of lengths) {
      for (const period of periods) {
        const values = randomWalk(length, length * 31 + period);
        expect(inIsolate('smaSeries', values, period), `length ${length}, period ${period}`).toEqual(naiveSma(values, period));
      }
    }
  });
  it('emaSeries equals the naive recursion, bit for bit', () => {
    for (const length of lengths) {
      for (const period of periods) {
        const values = randomWalk(length, length * 17 + period);
        expect(inIsolate('emaSeries', values, period), `length ${length}, period ${period}`).toEqual(naiveEma(values, period));
      }
    }
  });
  it('returns lists without holes', () => {
    const json = context.evalSync(
      `JSON.stringify([0, 1, 5].map((n) => { const s = require('qtc').smaSeries(new Float64Array(n), 3); return [s.length, Object.keys(s).length, Array.isArray(s)]; }))`,
    ) as string;
    expect(JSON.parse(json)).toEqual([
      [0, 0, true],
      [1, 1, true],
      [5, 5, true],
    ]);
  });
});
