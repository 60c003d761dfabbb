import vm from 'node:vm';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkStrategy, compileStrategy } from '../../../loaders/index.ts';

const EXAMPLES = path.resolve(import.meta.dirname, '../../../examples/strategies');
const MINUTE = 60_000;
const START = Date.UTC(2025, 6, 8, 13, 30);

// The parts of the 'qtc' contract the examples use, written plainly; the real library lives in sandbox/.
function smaSeries(values: ArrayLike<number>, period: number): number[] {
  return Array.from({ length: values.length }, (_, end) => {
    if (end + 1 < period) return NaN;
    let sum = 0;
    for (let i = end + 1 - period; i <= end; i++) sum += values[i] ?? NaN;
    return sum / period;
  });
}
const last = (values: ArrayLike<number>, back = 0) => values[values.length - 1 - back] ?? NaN;
class RollingSma {
  private readonly seen: number[] = [];
  readonly period: number;
  constructor(period: number) {
    this.period = period;
  }
  get value(): number {
    return last(smaSeries(this.seen, this.period));
  }
  update(value: number): number {
    this.seen.push(value);
    return this.value;
  }
}
const fakeSdk = {
  smaSeries,
  RollingSma,
  sma: (values: ArrayLike<number>, period: number) => (values.length < period ? null : last(smaSeries(values, period))),
  crossover: (fast: ArrayLike<number>, slow: ArrayLike<number>) => last(fast, 1) <= last(slow, 1) && last(fast) > last(slow),
  crossunder: (fast: ArrayLike<number>, slow: ArrayLike<number>) => last(fast, 1) >= last(slow, 1) && last(fast) < last(slow),
  zscore: (values: ArrayLike<number>, period: number) => {
    if (values.length < period) return null;
    const window = Array.from(values).slice(-period);
    const mean = window.reduce((a, b) => a + b, 0) / period;
    const sd = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / (period - 1));
    return sd === 0 ? null : (last(values) - mean) / sd;
  },
};

interface Strategy {
  generateSignal(team: unknown, bars: unknown, prices: Record<string, number>): unknown;
}

async function loadExample(name: string, params: Record<string, unknown>): Promise<Strategy> {
  const compiled = await compileStrategy(path.join(EXAMPLES, name));
  const context = vm.createContext({ require: (specifier: string) => (specifier === 'qtc' ? fakeSdk : undefined) });
  vm.runInContext(compiled.code, context, { filename: compiled.filename });
  const StrategyClass = vm.runInContext('__qtcStrategy.default', context) as new (p: Record<string, unknown>) => Strategy;
  return new StrategyClass(params);
}

function seriesOf(closes: number[]) {
  const close = Float64Array.from(closes);
  return {
    timestamp: closes.map((_, i) => START + i * MINUTE),
    open: close,
    high: close,
    low: close,
    close,
    volume: close.map(() => 1000),
  };
}

function teamWith(bars: Record<string, ReturnType<typeof seriesOf>>, positions: Record<string, { quantity: number; avgCost: number }> = {}) {
  return {
    id: 'team-a',
    cash: 100_000,
    equity: 100_000,
    positions,
    params: {},
    memory: {} as Record<string, unknown>,
    api: {
      getLastN: (symbol: string, n: number) => {
        const series = bars[symbol];
        if (series === undefined) throw new Error(`unknown symbol ${symbol}`);
        return { ...series, timestamp: series.timestamp.slice(-n), close: series.close.slice(-n) };
      },
      getRange: (symbol: string, fromMs: number, toMs: number) => {
        const series = bars[symbol];
        if (series === undefined) throw new Error(`unknown symbol ${symbol}`);
        const inRange = series.timestamp.map((t, i) => [t, i] as const).filter(([t]) => t >= fromMs && t <= toMs);
        return { timestamp: inRange.map(([t]) => t), close: Float64Array.from(inRange, ([, i]) => series.close[i] ?? NaN) };
      },
    },
  };
}

describe('example strategies', () => {
  it.each(['sma-crossover', 'momentum', 'mean-reversion'])('%s passes the static check and compiles', async (name) => {
    const report = await checkStrategy(path.join(EXAMPLES, name));
    expect(report.errors).toEqual([]);
    expect(report.entry).toBe('strategy.ts');
    await expect(compileStrategy(path.join(EXAMPLES, name))).resolves.toMatchObject({ filename: 'strategy.bundle.js' });
  });

  it('momentum is made of several files', async () => {
    expect((await checkStrategy(path.join(EXAMPLES, 'momentum'))).files).toEqual(['strategy.ts', 'lib/momentum.ts', 'lib/sizing.ts']);
  });

  it('sma-crossover buys on a cross above, sized by allocation of equity', async () => {
    const strategy = await loadExample('sma-crossover', { fast: 2, slow: 4 });
    const bars = { SPY: seriesOf([10, 10, 10, 10, 10, 9, 12]) };
    expect(strategy.generateSignal(teamWith(bars), bars, { SPY: 12 })).toEqual([
      expect.objectContaining({ symbol: 'SPY', action: 'buy', quantity: Math.floor(20_000 / 12), price: 12 }),
    ]);
  });

  it('sma-crossover sells the whole position on a cross below', async () => {
    const strategy = await loadExample('sma-crossover', { fast: 2, slow: 4 });
    const bars = { SPY: seriesOf([10, 10, 10, 10, 10, 11, 8]) };
    const team = teamWith(bars, { SPY: { quantity: 40, avgCost: 10 } });
    expect(strategy.generateSignal(team, bars, { SPY: 8 })).toEqual([expect.objectContaining({ symbol: 'SPY', action: 'sell', quantity: 40 })]);
  });

  it('momentum rotates into the strongest symbol and then waits for the next rebalance', async () => {
    const strategy = await loadExample('momentum', { lookback: 3, top: 1, rebalanceMinutes: 15 });
    const bars = { UP: seriesOf([10, 10, 11, 12, 13]), DOWN: seriesOf([20, 20, 19, 18, 17]) };
    const team = teamWith(bars, { DOWN: { quantity: 5, avgCost: 20 } });
    const signals = strategy.generateSignal(team, bars, { UP: 13, DOWN: 17 });
    expect(signals).toEqual([
      expect.objectContaining({ symbol: 'DOWN', action: 'sell', quantity: 5 }),
      expect.objectContaining({ symbol: 'UP', action: 'buy', quantity: Math.floor(100_000 / 13) }),
    ]);
    expect(team.memory.lastRebalance).toBe(START + 4 * MINUTE);
    expect(strategy.generateSignal(team, bars, { UP: 13, DOWN: 17 })).toBeNull();
  });

  it('mean-reversion buys a deep dip, remembers the entry, and sells back at the mean', async () => {
    const strategy = await loadExample('mean-reversion', { period: 5, entryZ: 1.5 });
    const dip = { X: seriesOf([10, 10, 10, 10, 10, 10, 7]) };
    const team = teamWith(dip);
    expect(strategy.generateSignal(team, dip, { X: 7 })).toEqual([expect.objectContaining({ symbol: 'X', action: 'buy', quantity: Math.floor(10_000 / 7) })]);
    expect(team.memory.entries).toEqual({ X: { price: 7, since: START + 6 * MINUTE } });

    const recovered = { X: seriesOf([10, 10, 10, 10, 10, 10, 7, 9, 10, 11]) };
    const holding = { ...teamWith(recovered, { X: { quantity: 1428, avgCost: 7 } }), memory: team.memory };
    expect(strategy.generateSignal(holding, recovered, { X: 11 })).toEqual([
      expect.objectContaining({ symbol: 'X', action: 'sell', quantity: 1428, reason: expect.stringContaining('mean') as string }),
    ]);
    expect(holding.memory.entries).toEqual({});
  });
});
