// The rolling indicators of 'qtc' must give, bit for bit, what the series and point functions give
// over the same values (backtests compare runs byte for byte), at every index, through NaN, ±Infinity
// and flat stretches, and again after save() → JSON → restore() into a fresh object.
// Everything runs inside a real isolate with the real prelude; comparisons use Object.is there
// (NaN equals NaN, -0 differs from 0) and only the mismatches come back.
import ivm from 'isolated-vm';
import { afterAll, describe, expect, it } from 'vitest';
import { runtimeSource } from '../../../sandbox/child/runtimeSource.ts';

const prelude = runtimeSource();
const isolate = new ivm.Isolate({ memoryLimit: 64 });
const context = isolate.createContextSync();
isolate.compileScriptSync(prelude).runSync(context, { reference: true }).release();
afterAll(() => isolate.dispose());

// The harness, evaluated once in the isolate. `reference(values, i)` is what the indicator must
// equal after its (i+1)-th update; null from rsi/stdev is NaN for the rolling objects.
context.evalSync(`
const q = require('qtc');
const decode = (v) => (typeof v === 'string' ? Number(v) : v);
const encode = (v) => (Object.is(v, -0) ? '-0' : Number.isFinite(v) ? v : String(v));
const prefix = (values, i) => values.slice(0, i + 1);
const orNaN = (v) => (v === null ? NaN : v);
const KINDS = {
  sma: { make: (p) => new q.RollingSma(p), needs: (p) => p, series: (values, p) => q.smaSeries(values, p) },
  ema: { make: (p) => new q.RollingEma(p), needs: (p) => p, series: (values, p) => q.emaSeries(values, p), point: (values, i, p) => orNaN(q.ema(prefix(values, i), p)) },
  rsi: { make: (p) => new q.RollingRsi(p), needs: (p) => p + 1, point: (values, i, p) => orNaN(q.rsi(prefix(values, i), p)) },
  stdev: { make: (p) => new q.RollingStdev(p), needs: (p) => (p < 2 ? Infinity : p), point: (values, i, p) => orNaN(q.stdev(prefix(values, i), p)) },
};
globalThis.check = function (kind, period, valuesJson, cutsJson) {
  const values = JSON.parse(valuesJson).map(decode);
  const cuts = JSON.parse(cutsJson);
  const k = KINDS[kind];
  const series = k.series ? k.series(values, period) : null;
  const expected = values.map((_, i) => (series ? series[i] : k.point(values, i, period)));
  if (series && k.point) values.forEach((_, i) => { if (!Object.is(series[i], k.point(values, i, period))) throw new Error(kind + ': series and point functions disagree at ' + i); });
  const mismatches = [];
  const note = (what, i, got) => { if (mismatches.length < 5) mismatches.push([what, i, encode(expected[i]), encode(got)]); };
  const warm = k.make(period);
  const saved = new Map();
  for (let i = 0; i < values.length; i++) {
    if (cuts.includes(i)) saved.set(i, JSON.stringify(warm.save()));
    const got = warm.update(values[i]);
    if (!Object.is(got, expected[i]) || !Object.is(warm.value, got)) note('update', i, got);
    if (warm.ready !== i + 1 >= k.needs(period)) note('ready', i, warm.ready);
    if (warm.count !== i + 1) note('count', i, warm.count);
  }
  // A fresh object restored from the state saved before update i, given the values before i, continues identically.
  for (const [cut, json] of saved) {
    const resumed = k.make(period).restore(JSON.parse(json), values.slice(0, cut));
    if (cut > 0 && !Object.is(resumed.value, expected[cut - 1])) note('restored value', cut - 1, resumed.value);
    for (let i = cut; i < values.length; i++) {
      const got = resumed.update(values[i]);
      if (!Object.is(got, expected[i])) { note('after restore at ' + cut, i, got); break; }
    }
  }
  return JSON.stringify(mismatches);
};
`);

function check(kind: string, period: number, values: number[], cuts: number[] = []): unknown[] {
  const encoded = values.map((v) => (Object.is(v, -0) ? '-0' : Number.isFinite(v) ? v : String(v)));
  const json = context.evalSync(`check(${JSON.stringify(kind)}, ${period}, ${JSON.stringify(JSON.stringify(encoded))}, ${JSON.stringify(JSON.stringify(cuts))})`, {
    timeout: 60_000,
  }) as string;
  return JSON.parse(json) as unknown[];
}

/** Seeded LCG. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** Minute closes as markets print them: cents, a random walk with flat stretches (ties between averages). */
function closes(length: number, seed: number): number[] {
  const next = generator(seed);
  let cents = 45_000 + Math.floor(next() * 10_000);
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const r = next();
    if (r > 0.3) cents += Math.round((next() - 0.5) * 40);
    out.push(cents / 100);
  }
  return out;
}

/** The same with holes: NaN runs (a feed gap), an Infinity, a -0, and a huge value next to small ones. */
function damaged(length: number, seed: number): number[] {
  const out = closes(length, seed);
  const next = generator(seed + 1);
  for (let i = 0; i < length; i++) {
    const r = next();
    if (r < 0.01) out[i] = NaN;
    else if (r < 0.012) out[i] = Infinity;
    else if (r < 0.014) out[i] = -0;
    else if (r < 0.016) out[i] = 1e300;
  }
  return out;
}

const KINDS = ['sma', 'ema', 'rsi', 'stdev'] as const;
const PERIODS = [1, 2, 3, 10, 14, 30, 200];

describe('rolling indicators equal the series and point functions bit for bit', () => {
  it.each(KINDS)('%s over real-like closes, every index, every period, and after restore', (kind) => {
    for (const period of PERIODS) {
      const values = closes(1200, period * 7 + kind.length);
      const cuts = [0, 1, period - 1, period, period + 1, 599, 1199].filter((c) => c >= 0 && c < values.length);
      expect(check(kind, period, values, cuts), `period ${period}`).toEqual([]);
    }
  });

  it.each(KINDS)('%s through NaN, Infinity, -0 and huge values', (kind) => {
    for (const period of PERIODS) {
      const values = damaged(800, period * 13 + kind.length);
      expect(check(kind, period, values, [5, 100, 400]), `period ${period}`).toEqual([]);
    }
  });

  it.each(KINDS)('%s with a NaN inside the first window (the warm-up sums) and one after it', (kind) => {
    for (const period of [2, 3, 5]) {
      const values = closes(40, period);
      values[2] = NaN;
      values[20] = NaN;
      expect(check(kind, period, values, [1, 3, 21]), `period ${period}`).toEqual([]);
    }
  });

  it.each(KINDS)('%s on short inputs: fewer values than the period, exactly the period, one more', (kind) => {
    for (const period of [1, 2, 5]) {
      for (const length of [0, 1, period - 1, period, period + 1, period + 2]) {
        if (length < 0) continue;
        expect(
          check(
            kind,
            period,
            closes(length, length + period),
            [0, length - 1].filter((c) => c >= 0),
          ),
          `period ${period}, length ${length}`,
        ).toEqual([]);
      }
    }
  });

  it('constant values: a flat price gives the flat price (or 100 for RSI, 0 for stdev) exactly as the functions do', () => {
    const flat = new Array<number>(50).fill(450.13);
    for (const kind of KINDS) expect(check(kind, 10, flat, [20]), kind).toEqual([]);
  });
});

describe('rolling indicators: contract', () => {
  const run = (code: string): unknown => JSON.parse(context.evalSync(`JSON.stringify((() => { ${code} })())`) as string) as unknown;
  const error = (code: string): string => context.evalSync(`(() => { try { ${code}; return 'no error'; } catch (e) { return e.name + ': ' + e.message; } })()`) as string;

  it('rejects periods that are not positive integers, like the functions', () => {
    for (const name of ['RollingSma', 'RollingEma', 'RollingRsi', 'RollingStdev']) {
      for (const bad of ['0', '-1', '1.5', 'NaN', '"3"', 'Infinity']) {
        expect(error(`new q.${name}(${bad})`)).toBe(`RangeError: ${name}: period must be a positive integer, got ${bad.replaceAll('"', '')}`);
      }
    }
    expect(error('new q.RollingSma()')).toMatch(/^RangeError: RollingSma: period must be a positive integer/);
  });

  it('RollingRsi defaults to 14 like rsi()', () => {
    expect(run('return new q.RollingRsi().period;')).toBe(14);
  });

  it('reports period, count, ready and value', () => {
    expect(
      run(
        'const s = new q.RollingSma(2); const a = [s.ready, s.count, s.value]; s.update(1); a.push(s.ready, s.value); s.update(2); a.push(s.ready, s.value, s.count, s.period); return a.map(String);',
      ),
    ).toEqual(['false', '0', 'NaN', 'false', 'NaN', 'true', '1.5', '2', '2']);
  });

  it('saves NaN, Infinity and -0 as strings so the state survives JSON', () => {
    expect(run('const s = new q.RollingSma(2); s.update(NaN); return s.save();')).toEqual([1, 'NaN']);
    expect(run('const s = new q.RollingEma(1); s.update(-Infinity); return s.save();')).toEqual([1, '-Infinity']);
  });

  it('refuses a state that is not what save() returned, and a `recent` too short', () => {
    expect(error('new q.RollingSma(3).restore({})')).toMatch(/^TypeError: RollingSma.restore: expected the array save\(\) returned \(2 entries\)/);
    expect(error('new q.RollingEma(3).restore([1.5, 2])')).toMatch(/^RangeError: RollingEma.restore: the saved count must be a non-negative integer/);
    expect(error('new q.RollingRsi(3).restore([4, 1, "x", 2])')).toMatch(/^TypeError: RollingRsi.restore: the saved state holds x, not a number/);
    expect(error('new q.RollingSma(3).restore([5, 10], [1, 2])')).toMatch(/^RangeError: RollingSma.restore: `recent` must hold the last 3 values/);
    expect(error('new q.RollingStdev(3).restore([5])')).toMatch(/^RangeError: RollingStdev.restore: `recent` must hold the last 3 values/);
  });

  it('the classes and their prototypes are frozen, like the module', () => {
    expect(run('return [Object.isFrozen(q.RollingSma), Object.isFrozen(q.RollingSma.prototype), Object.isFrozen(q)];')).toEqual([true, true, true]);
  });
});
