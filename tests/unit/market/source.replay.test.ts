import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Bar, formatMinute } from '../../../data/market/bar.ts';
import { ReplaySource } from '../../../data/market/replaySource.ts';
import { hasMinuteStream, type MarketDataSource, type MinuteSnapshot } from '../../../data/market/source.ts';

function bar(symbol: string, iso: string, price = 10): Bar {
  return { symbol, timestamp: Date.parse(iso), open: price, high: price, low: price, close: price, volume: 1 };
}

async function collect(stream: AsyncIterable<MinuteSnapshot>): Promise<MinuteSnapshot[]> {
  const snapshots: MinuteSnapshot[] = [];
  for await (const snapshot of stream) snapshots.push(snapshot);
  return snapshots;
}

function describeSnapshot({ minute, bars }: MinuteSnapshot): string {
  return `${formatMinute(minute)} ${[...bars.keys()].join(',')}`;
}

// 2025-07-08 is a Tuesday: the session is 13:30-20:00 UTC. 12:00Z is pre-market.
const bars: Bar[] = [
  bar('SPY', '2025-07-08T12:00:00Z'),
  bar('SPY', '2025-07-08T13:30:00Z'),
  bar('QQQ', '2025-07-08T13:30:00Z'),
  bar('QQQ', '2025-07-08T13:31:00Z'),
  bar('SPY', '2025-07-08T13:33:00Z', 11),
  bar('DIA', '2025-07-08T13:34:00Z'),
];

describe('ReplaySource', () => {
  const source = new ReplaySource(bars);

  it('is a historical market-data source named replay, never stale', async () => {
    const generic: MarketDataSource = source;
    expect(hasMinuteStream(generic)).toBe(true);
    const liveOnly: MarketDataSource = { name: 'live', barsForMinute: (minute) => Promise.resolve({ minute, bars: new Map(), source: 'live', stale: false }) };
    expect(hasMinuteStream(liveOnly)).toBe(false);
    const snapshot = await source.barsForMinute(Date.parse('2025-07-08T13:30:00Z'), ['SPY', 'QQQ']);
    expect(snapshot).toMatchObject({ source: 'replay', stale: false, minute: Date.parse('2025-07-08T13:30:00Z') });
    expect(snapshot.staleReason).toBeUndefined();
  });

  it('gives the requested symbols that traded, in symbol order, whatever the request order', async () => {
    const snapshot = await source.barsForMinute(Date.parse('2025-07-08T13:30:00Z'), ['SPY', 'DIA', 'QQQ', 'SPY']);
    expect([...snapshot.bars.keys()]).toEqual(['QQQ', 'SPY']);
    expect(snapshot.bars.get('SPY')).toEqual(bar('SPY', '2025-07-08T13:30:00Z'));
  });

  it('gives an empty snapshot for a minute without bars and for pre-market minutes in regular mode', async () => {
    expect((await source.barsForMinute(Date.parse('2025-07-08T13:32:00Z'), ['SPY'])).bars.size).toBe(0);
    expect((await source.barsForMinute(Date.parse('2025-07-08T12:00:00Z'), ['SPY'])).bars.size).toBe(0);
    const allSessions = new ReplaySource(bars, { sessions: 'all' });
    expect((await allSessions.barsForMinute(Date.parse('2025-07-08T12:00:00Z'), ['SPY'])).bars.size).toBe(1);
  });

  it('rejects a minute that is not whole', async () => {
    await expect(source.barsForMinute(Date.parse('2025-07-08T13:30:30Z'), ['SPY'])).rejects.toThrow('not the start of a whole minute');
  });

  it('streams [from, to) ascending, skipping minutes without any requested bar, equal to barsForMinute', async () => {
    const from = Date.parse('2025-07-08T13:31:00Z');
    const to = Date.parse('2025-07-08T13:34:00Z');
    const streamed = await collect(source.minutes(from, to, ['SPY', 'QQQ']));
    expect(streamed.map(describeSnapshot)).toEqual(['2025-07-08T13:31:00Z QQQ', '2025-07-08T13:33:00Z SPY']);
    for (const snapshot of streamed) expect(await source.barsForMinute(snapshot.minute, ['QQQ', 'SPY'])).toEqual(snapshot);
    expect((await collect(source.minutes(from, to, ['DIA']))).length).toBe(0);
  });

  it('exposes its symbols and range for a whole-file backtest', async () => {
    expect(source.symbols).toEqual(['DIA', 'QQQ', 'SPY']);
    expect(source.range).toEqual({ first: Date.parse('2025-07-08T13:30:00Z'), end: Date.parse('2025-07-08T13:35:00Z') });
    const range = source.range ?? { first: 0, end: 0 };
    expect((await collect(source.minutes(range.first, range.end, source.symbols))).length).toBe(4);
    expect(new ReplaySource([]).range).toBeNull();
  });

  it('merges CSV files and names the files when they overlap', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'qtc-replay-'));
    try {
      const header = 'timestamp,symbol,open,high,low,close,volume\n';
      const first = join(folder, 'a.csv');
      const second = join(folder, 'b.csv');
      await writeFile(first, `${header}2025-07-08T13:30:00Z,SPY,1,1,1,1,5\n`);
      await writeFile(second, `${header}2025-07-08T13:30:00Z,QQQ,2,2,2,2,5\n2025-07-08T13:31:00Z,QQQ,2,2,2,2,5\n`);
      const merged = await ReplaySource.fromCsvFiles([first, second]);
      expect(merged.symbols).toEqual(['QQQ', 'SPY']);
      expect((await merged.barsForMinute(Date.parse('2025-07-08T13:30:00Z'), merged.symbols)).bars.size).toBe(2);
      await expect(ReplaySource.fromCsvFiles([first, first])).rejects.toThrow(`cannot replay ${first}, ${first} together: two bars for SPY in the minute 2025-07-08T13:30:00Z`);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

const SPY_FILE = fileURLToPath(new URL('../../../../shared/data/bars/SPY_1min_2025-07-08_to_2025-07-14.csv', import.meta.url));

describe.skipIf(!existsSync(SPY_FILE))('ReplaySource over the real SPY bars', () => {
  it('streams the regular-session minutes the file has', async () => {
    const source = await ReplaySource.fromCsvFiles([SPY_FILE]);
    expect(source.symbols).toEqual(['SPY']);
    const range = source.range ?? { first: 0, end: 0 };
    const snapshots = await collect(source.minutes(range.first, range.end, ['SPY']));
    expect(formatMinute(range.first)).toBe('2025-07-08T13:30:00Z');
    expect(snapshots.every(({ bars: minuteBars, minute }) => minuteBars.get('SPY')?.timestamp === minute)).toBe(true);
    expect(snapshots.length).toBeGreaterThan(1900);
  });
});

describe('asyncSnapshots', () => {
  it('turns an error of the walk into a rejection of next(), not a synchronous throw', async () => {
    const source = new ReplaySource(bars);
    const stream = source.minutes(1.5, 60_000, ['SPY']);
    await expect(collect(stream)).rejects.toThrow('fromMs 1.5 is not the start of a whole minute');
  });
});
