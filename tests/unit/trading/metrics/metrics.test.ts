import { describe, expect, it } from 'vitest';
import { DEFAULT_MIN_OBSERVATIONS, MetricsAccumulator, PERIODS_PER_YEAR, type PerformanceMetrics } from '../../../../server/trading/metrics/metrics.ts';

/**
 * Batch reference: empyrical's formulas (quantopian/empyrical stats.py) written the direct way —
 * two-pass mean and variance, a full scan for drawdowns — to check the online accumulator against.
 */
function computeMetrics(equityCurve: readonly number[], closedTrades: readonly number[], minObservations = DEFAULT_MIN_OBSERVATIONS): PerformanceMetrics {
  const returns: number[] = [];
  for (let i = 1; i < equityCurve.length; i++) {
    const previous = equityCurve[i - 1] ?? NaN;
    if (previous > 0) returns.push((equityCurve[i] ?? NaN) / previous - 1);
  }
  const n = returns.length;
  const mean = n === 0 ? NaN : returns.reduce((sum, r) => sum + r, 0) / n;
  const sd = n < 2 ? NaN : Math.sqrt(returns.reduce((sum, r) => sum + (r - mean) ** 2, 0) / (n - 1));
  const downside = n === 0 ? NaN : Math.sqrt(returns.reduce((sum, r) => sum + Math.min(r, 0) ** 2, 0) / n);
  const first = equityCurve[0];
  const last = equityCurve.at(-1);
  const totalReturn = first === undefined || last === undefined ? null : last / first - 1;
  const annual = totalReturn === null || n === 0 ? null : (1 + totalReturn) ** (PERIODS_PER_YEAR / n) - 1;
  const annualizedReturn = annual !== null && Number.isFinite(annual) ? annual : null;

  let maxDrawdown = 0;
  let duration = 0;
  for (let peakIndex = 0; peakIndex < equityCurve.length; peakIndex++) {
    const peak = equityCurve[peakIndex] ?? NaN;
    if (equityCurve.slice(0, peakIndex).some((e) => e >= peak)) continue; // not a new running high
    let end = peakIndex;
    let deepest = 0;
    for (let i = peakIndex + 1; i < equityCurve.length; i++) {
      end = i;
      const e = equityCurve[i] ?? NaN;
      if (e >= peak) break;
      deepest = Math.max(deepest, 1 - e / peak);
    }
    if (deepest > maxDrawdown) {
      maxDrawdown = deepest;
      duration = end - peakIndex;
    }
  }

  const wins = closedTrades.filter((pnl) => pnl > 0);
  const grossLoss = -closedTrades.filter((pnl) => pnl < 0).reduce((sum, pnl) => sum + pnl, 0);
  const grossProfit = wins.reduce((sum, pnl) => sum + pnl, 0);
  return {
    totalReturn,
    annualizedReturn,
    volatility: Number.isNaN(sd) ? null : sd * Math.sqrt(PERIODS_PER_YEAR),
    sharpe: Number.isNaN(sd) || sd <= 1e-12 ? null : (mean / sd) * Math.sqrt(PERIODS_PER_YEAR),
    sortino: n < 2 || downside === 0 ? null : (mean * PERIODS_PER_YEAR) / (downside * Math.sqrt(PERIODS_PER_YEAR)),
    calmar: maxDrawdown === 0 || annualizedReturn === null ? null : annualizedReturn / maxDrawdown,
    maxDrawdown: maxDrawdown === 0 ? null : maxDrawdown,
    maxDrawdownDurationMinutes: maxDrawdown === 0 ? null : duration,
    winRate: closedTrades.length === 0 ? null : wins.length / closedTrades.length,
    profitFactor: grossLoss === 0 ? null : grossProfit / grossLoss,
    tradeCount: closedTrades.length,
    observations: n,
    ranked: n >= minObservations,
  };
}

const START = Date.UTC(2025, 6, 8, 13, 30);

function accumulate(equityCurve: readonly number[], closedTrades: readonly number[] = [], minObservations?: number): MetricsAccumulator {
  const accumulator = new MetricsAccumulator(minObservations === undefined ? {} : { minObservations });
  equityCurve.forEach((equity, i) => accumulator.observeEquity(START + i * 60_000, equity));
  for (const pnl of closedTrades) accumulator.recordClosedTrade(pnl);
  return accumulator;
}

function expectClose(actual: PerformanceMetrics, expected: PerformanceMetrics, relative = 1e-9): void {
  for (const key of Object.keys(expected) as (keyof PerformanceMetrics)[]) {
    const a = actual[key];
    const e = expected[key];
    if (typeof a === 'number' && typeof e === 'number') {
      expect(Math.abs(a - e), `${key}: ${String(a)} vs ${String(e)}`).toBeLessThanOrEqual(relative * Math.max(1, Math.abs(e)));
    } else {
      expect(a, key).toEqual(e);
    }
  }
}

/** A seeded walk (mulberry32 + Box–Muller) so the comparison is deterministic. */
function randomEquityCurve(seed: number, length: number, sigma: number): number[] {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const curve = [100_000];
  for (let i = 1; i < length; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
    curve.push((curve[i - 1] ?? 0) * (1 + 0.00001 + sigma * z));
  }
  return curve;
}

describe('MetricsAccumulator on fixed vectors (hand-checked)', () => {
  it('returns +10 %, −10 %, +10 %: closed forms of Sharpe, Sortino, volatility; Calmar undefined (annualised return overflows)', () => {
    // r ≈ (0.1, −0.1, 0.1): mean 1/30, sample variance ((1/15)² + (2/15)² + (1/15)²) / 2 = 1/75,
    // Sharpe = (1/30)·√75·√P = √(P/12) = √8190; downside deviation √(0.01/3), Sortino = √(P/3) = √32760;
    // volatility = √(P/75); drawdown 1 − 99/110 = 0.1 from the peak at minute 1, not recovered at minute 3.
    const metrics = accumulate([100, 110, 99, 108.9]).snapshot();
    expect(metrics.sharpe).toBeCloseTo(Math.sqrt(8190), 9);
    expect(metrics.sortino).toBeCloseTo(Math.sqrt(32760), 9);
    expect(metrics.volatility).toBeCloseTo(Math.sqrt(PERIODS_PER_YEAR / 75), 9);
    expect(metrics.totalReturn).toBeCloseTo(0.089, 12);
    expect(metrics.maxDrawdown).toBeCloseTo(0.1, 12);
    expect(metrics.maxDrawdownDurationMinutes).toBe(2);
    expect(metrics.annualizedReturn).toBeNull();
    expect(metrics.calmar).toBeNull();
    expect(metrics.observations).toBe(3);
  });

  it('small returns with a recovered drawdown: CAGR, Calmar, and the duration of the deepest episode', () => {
    // Deepest fall: peak 100,020 (minute 3) to 99,990, back above at minute 6 → 30/100,020 over 3 minutes.
    // The earlier dip (100,010 → 100,005) is shallower. CAGR = 1.0003^(98,280/6) − 1 = e^(16,380·ln 1.0003) − 1.
    const metrics = accumulate([100_000, 100_010, 100_005, 100_020, 99_990, 100_000, 100_030]).snapshot();
    expect(metrics.maxDrawdown).toBeCloseTo(30 / 100_020, 15);
    expect(metrics.maxDrawdownDurationMinutes).toBe(3);
    expect(metrics.totalReturn).toBeCloseTo(0.0003, 12);
    expect(metrics.annualizedReturn).toBeCloseTo(Math.exp(16_380 * Math.log(1.0003)) - 1, 6);
    expect(metrics.annualizedReturn).toBeCloseTo(135.082735140053, 6); // numpy, same formula
    expect(metrics.calmar).toBeCloseTo(135.082735140053 / (30 / 100_020), 1);
    expect(metrics.sharpe).toBeCloseTo(76.51042163260561, 6); // numpy: r.mean() / r.std(ddof=1) * sqrt(P)
    expect(metrics.sortino).toBeCloseTo(126.29632185900684, 6); // numpy: mean * P / (sqrt(mean(min(r,0)²)) * sqrt(P))
    expect(metrics.volatility).toBeCloseTo(0.06424099309519754, 12);
  });

  it('trades: win rate counts break-even as a trade, profit factor is gross profit over gross loss', () => {
    const metrics = accumulate([100], [50, -20, 0, 30, -10]).snapshot();
    expect(metrics.tradeCount).toBe(5);
    expect(metrics.winRate).toBe(0.4);
    expect(metrics.profitFactor).toBeCloseTo(80 / 30, 15);
    expect(accumulate([100], [-5]).snapshot().profitFactor).toBe(0);
  });
});

describe('MetricsAccumulator edge cases', () => {
  it('nothing observed: every ratio null, not ranked', () => {
    expect(new MetricsAccumulator().snapshot()).toEqual({
      totalReturn: null,
      annualizedReturn: null,
      volatility: null,
      sharpe: null,
      sortino: null,
      calmar: null,
      maxDrawdown: null,
      maxDrawdownDurationMinutes: null,
      winRate: null,
      profitFactor: null,
      tradeCount: 0,
      observations: 0,
      ranked: false,
    });
  });

  it('flat equity: zero return and volatility, null Sharpe, Sortino, drawdown and Calmar', () => {
    const metrics = accumulate(new Array<number>(50).fill(100_000)).snapshot();
    expect(metrics).toMatchObject({ totalReturn: 0, annualizedReturn: 0, volatility: 0, sharpe: null, sortino: null });
    expect(metrics).toMatchObject({ maxDrawdown: null, maxDrawdownDurationMinutes: null, calmar: null, observations: 49, ranked: true });
  });

  it('monotone rise: no drawdown, so null max drawdown, duration and Calmar; no negative return, so null Sortino', () => {
    const metrics = accumulate(Array.from({ length: 40 }, (_, i) => 100_000 + i * 7 + (i % 3))).snapshot();
    expect(metrics.maxDrawdown).toBeNull();
    expect(metrics.maxDrawdownDurationMinutes).toBeNull();
    expect(metrics.calmar).toBeNull();
    expect(metrics.sortino).toBeNull();
    expect(metrics.sharpe).not.toBeNull();
  });

  it('constant geometric growth: numerically constant returns give a null Sharpe, not a huge one', () => {
    const curve = Array.from({ length: 100 }, (_, i) => 100_000 * 1.0001 ** i);
    expect(accumulate(curve).snapshot().sharpe).toBeNull();
  });

  it('no losing trade: null profit factor; no trade: null win rate', () => {
    expect(accumulate([100], [10, 0, 5]).snapshot()).toMatchObject({ profitFactor: null, winRate: 2 / 3, tradeCount: 3 });
    expect(accumulate([100, 101]).snapshot()).toMatchObject({ winRate: null, profitFactor: null, tradeCount: 0 });
  });

  it('one return: volatility, Sharpe and Sortino need two', () => {
    expect(accumulate([100, 75]).snapshot()).toMatchObject({ volatility: null, sharpe: null, sortino: null, maxDrawdown: 0.25, observations: 1 });
  });

  it('is ranked from minObservations returns on (configurable)', () => {
    expect(accumulate(randomEquityCurve(1, DEFAULT_MIN_OBSERVATIONS, 0.001)).snapshot().ranked).toBe(false);
    expect(accumulate(randomEquityCurve(1, DEFAULT_MIN_OBSERVATIONS + 1, 0.001)).snapshot().ranked).toBe(true);
    expect(accumulate(randomEquityCurve(1, 5, 0.001), [], 4).snapshot().ranked).toBe(true);
    expect(() => new MetricsAccumulator({ minObservations: 1 })).toThrow('minObservations must be a whole number of at least 2');
  });

  it('equity falling to zero: a 100 % drawdown, and no return counted from a zero base', () => {
    const metrics = accumulate([100, 50, 0, 0]).snapshot();
    expect(metrics).toMatchObject({ maxDrawdown: 1, totalReturn: -1, annualizedReturn: -1, observations: 2 });
  });

  it('rejects a repeated or earlier minute, a negative or non-finite equity, a non-finite P&L', () => {
    const accumulator = accumulate([100, 101]);
    expect(() => accumulator.observeEquity(START + 60_000, 102)).toThrow('minutes must strictly increase');
    expect(() => accumulator.observeEquity(START + 120_000, -1)).toThrow('equity must be a finite, non-negative amount');
    expect(() => accumulator.observeEquity(START + 120_000, Number.NaN)).toThrow('equity must be a finite');
    expect(() => accumulator.recordClosedTrade(Number.POSITIVE_INFINITY)).toThrow("a trade's realised P&L must be a finite amount");
    expect(accumulator.snapshot().observations).toBe(1);
  });
});

describe('MetricsAccumulator against the batch reference', () => {
  it('matches within 1e-9 on seeded random walks, at every prefix length checked', () => {
    for (const [seed, sigma] of [
      [7, 0.0005],
      [42, 0.002],
      [2025, 0.01],
    ] as const) {
      const curve = randomEquityCurve(seed, 5_000, sigma);
      const trades = curve.slice(0, 200).map((equity, i) => (equity - 100_000) * (i % 2 === 0 ? 1 : -0.5));
      const accumulator = new MetricsAccumulator();
      trades.forEach((pnl) => accumulator.recordClosedTrade(pnl));
      curve.forEach((equity, i) => {
        accumulator.observeEquity(START + i * 60_000, equity);
        if ([0, 1, 2, 29, 30, 31, 499, 4_999].includes(i)) expectClose(accumulator.snapshot(), computeMetrics(curve.slice(0, i + 1), trades));
      });
    }
  });

  it('a random walk with repeated new highs and a deep fall: drawdown and duration match the full scan', () => {
    const curve = [...randomEquityCurve(3, 800, 0.003), ...randomEquityCurve(4, 800, 0.003).map((e) => e * 0.7)];
    expectClose(accumulate(curve).snapshot(), computeMetrics(curve, []));
  });

  it('resumes from its persisted state exactly', () => {
    const curve = randomEquityCurve(11, 600, 0.002);
    const whole = accumulate(curve, [3, -1, 2]);
    const firstHalf = accumulate(curve.slice(0, 300), [3, -1]);
    const resumed = new MetricsAccumulator({}, JSON.parse(JSON.stringify(firstHalf.state())) as ReturnType<MetricsAccumulator['state']>);
    curve.slice(300).forEach((equity, i) => resumed.observeEquity(START + (300 + i) * 60_000, equity));
    resumed.recordClosedTrade(2);
    expect(resumed.snapshot()).toEqual(whole.snapshot());
  });
});
