// The minute engine encodes each minute once (server/engine/minuteBars.ts) and the sandbox pool stores
// that encoding as it is (MinuteInput.encoded): a strategy must see exactly what the pool's own encoding
// of the same bars gives, and the pool must refuse an encoding its own would never produce.
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../data/market/bar.ts';
import { SandboxPool, type CompiledStrategy, type TeamMinuteState } from '../../../sandbox/index.ts';
import { MinuteBars } from '../../../server/engine/minuteBars.ts';

const bar = (symbol: string, minute: number, close: number): Bar => ({ symbol, timestamp: minute, open: close - 1, high: close + 1, low: close - 2, close, volume: 100 });
const MINUTE = Date.UTC(2025, 6, 8, 13, 30);

describe('MinuteBars', () => {
  it('encodes in sorted symbol order whatever the order of the map, and carries prices forward', () => {
    const intake = new MinuteBars();
    const first = intake.take(
      new Map([
        ['MSFT', bar('MSFT', MINUTE, 20)],
        ['AAPL', bar('AAPL', MINUTE, 10)],
      ]),
    );
    expect(first.symbols).toEqual(['AAPL', 'MSFT']);
    expect([...first.values]).toEqual([MINUTE, 9, 11, 8, 10, 100, MINUTE, 19, 21, 18, 20, 100]);

    // Same symbols, same order: the same list; a fresh values array (the pool keeps the last one).
    const second = intake.take(
      new Map([
        ['MSFT', bar('MSFT', MINUTE + 60_000, 21)],
        ['AAPL', bar('AAPL', MINUTE + 60_000, 11)],
      ]),
    );
    expect(second.symbols).toBe(first.symbols);
    expect(second.values).not.toBe(first.values);
    expect(first.values[4]).toBe(10);
    expect(second.values[4]).toBe(11);

    // A symbol without a bar this minute keeps its last price; a new one joins in order.
    const third = intake.take(
      new Map([
        ['NVDA', bar('NVDA', MINUTE + 120_000, 30)],
        ['AAPL', bar('AAPL', MINUTE + 120_000, 12)],
      ]),
    );
    expect(third.symbols).toEqual(['AAPL', 'NVDA']);
    expect([...third.values]).toEqual([MINUTE + 120_000, 11, 13, 10, 12, 100, MINUTE + 120_000, 29, 31, 28, 30, 100]);
    expect(intake.pricesRecord()).toEqual({ MSFT: 21, AAPL: 12, NVDA: 30 });
    expect(Object.keys(intake.pricesRecord())).toEqual(['MSFT', 'AAPL', 'NVDA']);
    expect([intake.priceOf('MSFT'), intake.priceOf('NVDA'), intake.priceOf('TSLA'), intake.priceOf('constructor')]).toEqual([21, 30, undefined, undefined]);
  });

  it('keeps the prices as lists in the record’s own key order, minute after minute', () => {
    const intake = new MinuteBars();
    const minutes: Array<Array<[string, number]>> = [
      [
        ['MSFT', 20],
        ['AAPL', 10],
      ],
      [
        ['AAPL', 11],
        ['MSFT', 21],
      ],
      [['NVDA', 30]],
      // An integer-like key comes first in a record's key order, wherever it was added.
      [
        ['AAPL', 12],
        ['7', 1],
      ],
      [
        ['7', 2],
        ['MSFT', 22],
      ],
    ];
    let keys = intake.prices.keys;
    // What a record of the last prices, updated minute by minute, would hold: the lists must be its keys and values.
    const record: Record<string, number> = {};
    for (const [index, bars] of minutes.entries()) {
      intake.take(new Map(bars.map(([symbol, close]) => [symbol, bar(symbol, MINUTE + index * 60_000, close)])));
      for (const [symbol, close] of bars) record[symbol] = close;
      expect(intake.prices.keys).toEqual(Object.keys(record));
      expect([...intake.prices.values]).toEqual(Object.values(record));
      expect(intake.pricesRecord()).toEqual(record);
      for (const symbol of Object.keys(record)) expect(intake.priceOf(symbol)).toBe(record[symbol]);
      // A new list only when a symbol first comes.
      if (index === 1 || index === 4) expect(intake.prices.keys).toBe(keys);
      else expect(intake.prices.keys).not.toBe(keys);
      keys = intake.prices.keys;
    }
    expect(intake.prices.keys).toEqual(['7', 'MSFT', 'AAPL', 'NVDA']);
    expect([...intake.prices.values]).toEqual([2, 22, 12, 30]);
  });
});

// Reports, each minute, every bar of its window as text: what the strategy was shown.
const WATCHER: CompiledStrategy = {
  filename: 'strategy.bundle.js',
  sourceMap: '',
  code: `var __qtcStrategy = (() => { class Watch { generateSignal(team, bars, prices) {
    const seen = Object.keys(bars).map((s) => s + ':' + Array.from(bars[s].close).join(',') + '/' + Array.from(bars[s].volume).join(',') + '@' + prices[s]);
    console.log(seen.join(' '));
    return null;
  } } return { default: Watch }; })();`,
};

const team: TeamMinuteState = { teamId: 'w', cash: 1000, equity: 1000, positions: {} };

async function shown(feed: (pool: SandboxPool, minute: number, bars: ReadonlyMap<string, Bar>, intake: MinuteBars) => Promise<string[]>): Promise<string[]> {
  const pool = new SandboxPool({ mode: 'in-process', cpuMs: 5000 });
  await pool.start();
  try {
    expect((await pool.load({ teamId: 'w', strategy: WATCHER })).ok).toBe(true);
    const intake = new MinuteBars();
    const lines: string[] = [];
    const minutes = [
      new Map([
        ['BBB', bar('BBB', MINUTE, 5)],
        ['AAA', bar('AAA', MINUTE, 10)],
      ]),
      new Map([['AAA', bar('AAA', MINUTE + 60_000, 11)]]),
      new Map([
        ['CCC', bar('CCC', MINUTE + 120_000, 7)],
        ['AAA', bar('AAA', MINUTE + 120_000, 12)],
        ['BBB', bar('BBB', MINUTE + 120_000, 6)],
      ]),
    ];
    for (const [index, bars] of minutes.entries()) lines.push(...(await feed(pool, MINUTE + index * 60_000, bars, intake)));
    return lines;
  } finally {
    await pool.close();
  }
}

const logs = (results: Map<string, { logs: Array<{ message: string }>; error: unknown }>): string[] => {
  const result = results.get('w');
  expect(result?.error).toBeNull();
  return (result?.logs ?? []).map((line) => line.message);
};

describe('the pool given the engine’s encoding', () => {
  it('shows the strategy exactly what it shows from a record of the same bars', async () => {
    const fromRecords = await shown(async (pool, minute, bars, intake) => {
      intake.take(bars);
      return logs(await pool.runMinute({ minute, bars: Object.fromEntries(bars), prices: intake.pricesRecord(), teams: [team] }));
    });
    const fromEncoding = await shown(async (pool, minute, bars, intake) => {
      const encoded = intake.take(bars);
      return logs(await pool.runMinute({ minute, encoded, prices: intake.pricesRecord(), teams: [team] }));
    });
    const withEncodedPrices = await shown(async (pool, minute, bars, intake) => {
      const encoded = intake.take(bars);
      return logs(await pool.runMinute({ minute, encoded, prices: intake.pricesRecord(), encodedPrices: intake.prices, teams: [team] }));
    });
    // The engine's own form: the encoded bars and the price lists, no record at all.
    const encodedOnly = await shown(async (pool, minute, bars, intake) => {
      const encoded = intake.take(bars);
      return logs(await pool.runMinute({ minute, encoded, encodedPrices: intake.prices, teams: [team] }));
    });
    expect(fromRecords).toHaveLength(3);
    expect(fromRecords[2]).toBe('AAA:10,11,12/100,100,100@12 BBB:5,6/100,100@6 CCC:7/100@7');
    expect(fromEncoding).toEqual(fromRecords);
    expect(withEncodedPrices).toEqual(fromRecords);
    expect(encodedOnly).toEqual(fromRecords);
  });

  it('refuses symbols out of order, a length that does not match, and values that are not finite', async () => {
    const pool = new SandboxPool({ mode: 'in-process' });
    await pool.start();
    try {
      const values = (n: number) => new Float64Array(n * 6).fill(1);
      await expect(pool.runMinute({ minute: MINUTE, encoded: { symbols: ['BBB', 'AAA'], values: values(2) }, prices: {}, teams: [] })).rejects.toThrow(
        /symbols must be sorted and distinct \(BBB, AAA\)/,
      );
      await expect(pool.runMinute({ minute: MINUTE, encoded: { symbols: ['AAA', 'AAA'], values: values(2) }, prices: {}, teams: [] })).rejects.toThrow(/sorted and distinct/);
      await expect(pool.runMinute({ minute: MINUTE, encoded: { symbols: ['AAA'], values: values(2) }, prices: {}, teams: [] })).rejects.toThrow(/hold 12 values for 1 symbols/);
      const bad = values(2);
      bad[6 + 4] = Number.NaN;
      await expect(pool.runMinute({ minute: MINUTE, encoded: { symbols: ['AAA', 'BBB'], values: bad }, prices: {}, teams: [] })).rejects.toThrow(
        'runMinute: bars.BBB.close must be a finite number, got NaN',
      );
      const encoded = { symbols: ['AAA', 'BBB'], values: values(2) };
      await expect(pool.runMinute({ minute: MINUTE, encoded, prices: {}, encodedPrices: { keys: ['AAA', 'BBB'], values: [1] }, teams: [] })).rejects.toThrow(
        /encodedPrices hold 1 values for 2 symbols/,
      );
      await expect(pool.runMinute({ minute: MINUTE, encoded, prices: {}, encodedPrices: { keys: ['AAA', 'BBB'], values: [1, Infinity] }, teams: [] })).rejects.toThrow(
        'runMinute: prices.BBB must be a finite number, got Infinity',
      );
      await expect(pool.runMinute({ minute: MINUTE, encoded, prices: { AAA: 1, BBB: Number.NaN }, teams: [] })).rejects.toThrow(
        'runMinute: prices.BBB must be a finite number, got NaN',
      );
      // A caller in plain JavaScript may leave out both forms of the prices.
      await expect(pool.runMinute({ minute: MINUTE, encoded, teams: [] } as unknown as Parameters<SandboxPool['runMinute']>[0])).rejects.toThrow(
        'runMinute: the minute has no prices: give prices (a record) or encodedPrices',
      );
      // Nothing refused was stored: the same minute is still free.
      await expect(pool.runMinute({ minute: MINUTE, encoded: { symbols: ['AAA', 'BBB'], values: values(2) }, prices: {}, teams: [] })).resolves.toBeInstanceOf(Map);
    } finally {
      await pool.close();
    }
  });
});
