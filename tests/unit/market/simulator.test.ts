import { describe, expect, it } from 'vitest';
import { type Bar, findBarProblem, formatMinute } from '../../../data/market/bar.ts';
import { newYorkDate } from '../../../data/market/calendar.ts';
import { MarketSimulator, SimulatorConfigError } from '../../../data/market/simulator.ts';
import { hasMinuteStream, type MarketDataSource, type MinuteSnapshot } from '../../../data/market/source.ts';

async function collect(stream: AsyncIterable<MinuteSnapshot>): Promise<MinuteSnapshot[]> {
  const snapshots: MinuteSnapshot[] = [];
  for await (const snapshot of stream) snapshots.push(snapshot);
  return snapshots;
}

function barsOf(snapshots: readonly MinuteSnapshot[], symbol: string): Bar[] {
  return snapshots.flatMap(({ bars }) => {
    const bar = bars.get(symbol);
    return bar === undefined ? [] : [bar];
  });
}

function correlation(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] ?? 0) - mx;
    const dy = (ys[i] ?? 0) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Close-to-close log returns inside each session (the overnight gap left out), minute by minute. */
function intradayReturns(bars: readonly Bar[]): number[] {
  const returns: number[] = [];
  for (let i = 1; i < bars.length; i++) {
    const previous = bars[i - 1] as Bar;
    const current = bars[i] as Bar;
    if (newYorkDate(previous.timestamp) === newYorkDate(current.timestamp)) returns.push(Math.log(current.close / previous.close));
  }
  return returns;
}

const SYMBOLS = ['AAA', 'BBB', 'CCC', 'DDD'];

describe('MarketSimulator as a market-data source', () => {
  it('is a historical source named simulator whose snapshots are never stale', async () => {
    const simulator: MarketDataSource = new MarketSimulator({ seed: 1 });
    expect(hasMinuteStream(simulator)).toBe(true);
    const snapshot = await simulator.barsForMinute(Date.parse('2025-07-08T13:30:00Z'), ['BBB', 'AAA']);
    expect(snapshot).toMatchObject({ source: 'simulator', stale: false, minute: Date.parse('2025-07-08T13:30:00Z') });
    expect([...snapshot.bars.keys()]).toEqual(['AAA', 'BBB']);
  });

  it('gives the same bars whatever the call order, symbol set and cache size', async () => {
    const range = new MarketSimulator({ seed: 'determinism' }).sessionRange(3, '2025-07-08');
    const reference = await collect(new MarketSimulator({ seed: 'determinism' }).minutes(range.fromMs, range.toMs, SYMBOLS));
    expect(reference).toHaveLength(3 * 390);

    // Another instance with a one-session cache, asked minute by minute backwards, for other symbol sets.
    const other = new MarketSimulator({ seed: 'determinism', cachedSessions: 1 });
    for (const index of [1169, 0, 780, 389, 390, 5, 1000]) {
      const expected = reference[index] as MinuteSnapshot;
      const alone = await other.barsForMinute(expected.minute, ['CCC']);
      expect(alone.bars.get('CCC')).toEqual(expected.bars.get('CCC'));
      const withStrangers = await other.barsForMinute(expected.minute, ['ZZZ', 'AAA', 'QQQ']);
      expect(withStrangers.bars.get('AAA')).toEqual(expected.bars.get('AAA'));
    }
    // A later session first, then the range again: identical.
    await other.barsForMinute(Date.parse('2025-12-01T15:00:00Z'), SYMBOLS);
    expect(await collect(other.minutes(range.fromMs, range.toMs, SYMBOLS))).toEqual(reference);
  });

  it('changes with the seed', async () => {
    const minute = Date.parse('2025-07-08T15:00:00Z');
    const a = (await new MarketSimulator({ seed: 1 }).barsForMinute(minute, ['AAA'])).bars.get('AAA');
    const b = (await new MarketSimulator({ seed: 2 }).barsForMinute(minute, ['AAA'])).bars.get('AAA');
    expect(a).not.toEqual(b);
  });
});

describe('MarketSimulator bars', () => {
  it('are sound: OHLC consistent, prices on the cent grid, whole positive volumes, stamped with their minute', async () => {
    const simulator = new MarketSimulator({ seed: 7, profiles: [{ symbol: 'PENNY', startPrice: 0.5, annualVolatility: 1.5 }] });
    const range = simulator.sessionRange(5, '2025-03-03');
    const symbols = [...SYMBOLS, 'PENNY'];
    let checked = 0;
    for await (const { minute, bars } of simulator.minutes(range.fromMs, range.toMs, symbols)) {
      expect(bars.size).toBe(symbols.length);
      for (const bar of bars.values()) {
        expect(findBarProblem(bar), `${bar.symbol} ${formatMinute(minute)}`).toBeNull();
        expect(bar.timestamp).toBe(minute);
        for (const price of [bar.open, bar.high, bar.low, bar.close]) expect(Math.abs(price * 100 - Math.round(price * 100))).toBeLessThan(1e-6);
        expect(bar.high).toBeGreaterThanOrEqual(Math.max(bar.open, bar.close));
        expect(bar.low).toBeLessThanOrEqual(Math.min(bar.open, bar.close));
        expect(Number.isSafeInteger(bar.volume) && bar.volume >= 1).toBe(true);
        checked += 1;
      }
    }
    expect(checked).toBe(5 * 390 * symbols.length);
  });

  it('open where the previous minute closed, with an overnight gap between sessions', async () => {
    const simulator = new MarketSimulator({ seed: 3 });
    const symbols = Array.from({ length: 40 }, (_, i) => `G${String(i)}`);
    const range = simulator.sessionRange(2, '2025-07-08');
    const snapshots = await collect(simulator.minutes(range.fromMs, range.toMs, symbols));
    let gaps = 0;
    for (const symbol of symbols) {
      const bars = barsOf(snapshots, symbol);
      for (let i = 1; i < bars.length; i++) {
        const previous = bars[i - 1] as Bar;
        const current = bars[i] as Bar;
        if (i === 390) {
          if (current.open !== previous.close) gaps += 1;
          expect(Math.abs(Math.log(current.open / previous.close))).toBeLessThan(0.1);
        } else {
          expect(current.open).toBe(previous.close);
        }
      }
    }
    expect(gaps).toBeGreaterThan(symbols.length * 0.8);
  });

  it('starts at the profile price on the anchor session and honours given profiles', async () => {
    const simulator = new MarketSimulator({ seed: 5, anchorDate: '2025-01-02', profiles: [{ symbol: 'SPY', startPrice: 590.123, sector: 'INDEX' }] });
    const open = (await simulator.barsForMinute(Date.parse('2025-01-02T14:30:00Z'), ['SPY'])).bars.get('SPY');
    expect(open?.open).toBe(590.12);
    expect(simulator.profile('SPY')).toMatchObject({ symbol: 'SPY', sector: 'INDEX', startPrice: 590.123 });
    expect(simulator.profile('XYZ').startPrice).toBeGreaterThanOrEqual(20);
  });
});

describe('MarketSimulator statistics (fixed seeds, so deterministic)', () => {
  it('correlates minute returns as configured: market factor for all, plus the sector factor within a sector', async () => {
    const simulator = new MarketSimulator({
      seed: 'correlation',
      marketCorrelation: 0.4,
      sectorCorrelation: 0.35,
      profiles: [
        { symbol: 'BANKA', sector: 'BANKS', startPrice: 2000, annualVolatility: 0.3 },
        { symbol: 'BANKB', sector: 'BANKS', startPrice: 3000, annualVolatility: 0.5 },
        { symbol: 'SOLO', startPrice: 2500, annualVolatility: 0.4 },
      ],
    });
    const range = simulator.sessionRange(25, '2025-02-03');
    const snapshots = await collect(simulator.minutes(range.fromMs, range.toMs, ['BANKA', 'BANKB', 'SOLO']));
    const [a, b, solo] = ['BANKA', 'BANKB', 'SOLO'].map((symbol) => intradayReturns(barsOf(snapshots, symbol))) as [number[], number[], number[]];
    expect(a.length).toBeGreaterThan(9_000);
    // Standard error of a correlation near these values over ~9,700 minutes is below 0.01.
    expect(correlation(a, b)).toBeGreaterThan(0.75 - 0.04);
    expect(correlation(a, b)).toBeLessThan(0.75 + 0.04);
    expect(correlation(a, solo)).toBeGreaterThan(0.4 - 0.04);
    expect(correlation(a, solo)).toBeLessThan(0.4 + 0.04);
    expect(correlation(b, solo)).toBeGreaterThan(0.4 - 0.04);
    expect(correlation(b, solo)).toBeLessThan(0.4 + 0.04);
  });

  it('has annualised volatility near the profile figure', async () => {
    const simulator = new MarketSimulator({ seed: 'vol', overnightVarianceShare: 0, profiles: [{ symbol: 'VOL', startPrice: 5000, annualVolatility: 0.4 }] });
    const range = simulator.sessionRange(40, '2025-02-03');
    const returns = intradayReturns(barsOf(await collect(simulator.minutes(range.fromMs, range.toMs, ['VOL'])), 'VOL'));
    const variancePerMinute = returns.reduce((sum, r) => sum + r * r, 0) / returns.length;
    expect(Math.sqrt(variancePerMinute * 252 * 390)).toBeGreaterThan(0.36);
    expect(Math.sqrt(variancePerMinute * 252 * 390)).toBeLessThan(0.44);
  });

  it('shapes volume and volatility like a U: busy and volatile at the open and close, quiet at midday', async () => {
    const simulator = new MarketSimulator({ seed: 'u-shape' });
    const symbols = Array.from({ length: 10 }, (_, i) => `U${String(i)}`);
    const range = simulator.sessionRange(20, '2025-09-02');
    const snapshots = await collect(simulator.minutes(range.fromMs, range.toMs, symbols));
    const volume = new Float64Array(390);
    const absoluteReturn = new Float64Array(390);
    for (const { minute, bars } of snapshots) {
      const session = range.sessions.find(({ open, close }) => minute >= open && minute < close);
      const offset = (minute - (session?.open ?? 0)) / 60_000;
      for (const bar of bars.values()) {
        volume[offset] = (volume[offset] ?? 0) + bar.volume;
        absoluteReturn[offset] = (absoluteReturn[offset] ?? 0) + Math.abs(Math.log(bar.close / bar.open));
      }
    }
    const mean = (values: Float64Array, from: number, to: number): number => values.slice(from, to).reduce((a, b) => a + b, 0) / (to - from);
    const [open, midday, close] = [mean(volume, 0, 15), mean(volume, 180, 210), mean(volume, 375, 390)];
    expect(open).toBeGreaterThan(2.5 * midday);
    expect(close).toBeGreaterThan(2 * midday);
    expect(mean(absoluteReturn, 0, 15)).toBeGreaterThan(1.5 * mean(absoluteReturn, 180, 210));
    expect(mean(absoluteReturn, 375, 390)).toBeGreaterThan(1.2 * mean(absoluteReturn, 180, 210));
  });
});

describe('MarketSimulator sessions', () => {
  it('trades only in NYSE regular sessions: no weekend, no holiday, 13:00 close on a half day', async () => {
    const simulator = new MarketSimulator({ seed: 9 });
    // Week of 2025-06-30: 07-03 closes at 13:00 New York (17:00Z), 07-04 is a holiday, then the weekend.
    const snapshots = await collect(simulator.minutes(Date.parse('2025-06-30T00:00:00Z'), Date.parse('2025-07-08T00:00:00Z'), ['AAA']));
    const perDay = new Map<string, string[]>();
    for (const { minute } of snapshots) {
      const day = perDay.get(newYorkDate(minute)) ?? [];
      day.push(formatMinute(minute).slice(11, 16));
      perDay.set(newYorkDate(minute), day);
    }
    expect([...perDay.keys()]).toEqual(['2025-06-30', '2025-07-01', '2025-07-02', '2025-07-03', '2025-07-07']);
    expect(perDay.get('2025-07-03')).toHaveLength(210);
    expect(perDay.get('2025-07-03')?.at(-1)).toBe('16:59');
    expect(perDay.get('2025-07-07')).toHaveLength(390);
    expect([perDay.get('2025-07-07')?.[0], perDay.get('2025-07-07')?.at(-1)]).toEqual(['13:30', '19:59']);

    for (const iso of ['2025-07-04T15:00:00Z', '2025-07-05T15:00:00Z', '2025-07-07T13:29:00Z', '2025-07-07T20:00:00Z', '2025-07-03T17:00:00Z']) {
      expect((await simulator.barsForMinute(Date.parse(iso), ['AAA'])).bars.size, iso).toBe(0);
    }
  });

  it('sessionRange counts sessions from a date, skipping closed days', () => {
    const range = new MarketSimulator({ seed: 1 }).sessionRange(3, '2025-07-04');
    expect(range.sessions.map(({ date }) => date)).toEqual(['2025-07-07', '2025-07-08', '2025-07-09']);
    expect([formatMinute(range.fromMs), formatMinute(range.toMs)]).toEqual(['2025-07-07T13:30:00Z', '2025-07-09T20:00:00Z']);
  });
});

describe('MarketSimulator errors', () => {
  it('rejects inconsistent options with the field and the rule', () => {
    expect(() => new MarketSimulator({ seed: 1, marketCorrelation: 0.8, sectorCorrelation: 0.3 })).toThrow(SimulatorConfigError);
    expect(() => new MarketSimulator({ seed: 1, marketCorrelation: 0.8, sectorCorrelation: 0.3 })).toThrow('marketCorrelation + sectorCorrelation must not exceed 1');
    expect(() => new MarketSimulator({ seed: 1, profiles: [{ symbol: 'spy' }] })).toThrow('profiles.0.symbol: symbol must be an upper-case ticker');
    expect(() => new MarketSimulator({ seed: 1, anchorDate: '2025-07-04' })).toThrow('anchorDate 2025-07-04 is not a trading session');
  });

  it('rejects a bad minute, a bad symbol, and a date before the anchor', async () => {
    const simulator = new MarketSimulator({ seed: 1, anchorDate: '2025-01-02' });
    await expect(simulator.barsForMinute(1.5, ['AAA'])).rejects.toThrow('minute 1.5 is not the start of a whole minute');
    await expect(simulator.barsForMinute(Date.parse('2025-07-08T15:00:00Z'), ['aaa'])).rejects.toThrow('cannot simulate "aaa"');
    await expect(simulator.barsForMinute(Date.parse('2024-12-31T15:00:00Z'), ['AAA'])).rejects.toThrow('the simulated market starts on 2025-01-02');
    // A range may begin before the anchor: it yields the bars from the anchor on.
    const first = await collect(simulator.minutes(Date.parse('2024-12-31T00:00:00Z'), Date.parse('2025-01-02T14:32:00Z'), ['AAA']));
    expect(first.map(({ minute }) => formatMinute(minute))).toEqual(['2025-01-02T14:30:00Z', '2025-01-02T14:31:00Z']);
  });
});
