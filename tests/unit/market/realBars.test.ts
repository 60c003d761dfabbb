import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Bar, formatMinute } from '../../../data/market/bar.ts';
import { newYorkDate } from '../../../data/market/calendar.ts';
import { readBarsCsv } from '../../../data/market/csvBars.ts';
import type { MinuteBars } from '../../../data/market/minutes.ts';
import { replayMinutes } from '../../../data/market/replay.ts';

// Real bars live beside the project (../shared), not in it: these tests skip where it is absent.
const BARS_FOLDER = fileURLToPath(new URL('../../../../shared/data/bars/', import.meta.url));
const SPY_FILE = `${BARS_FOLDER}SPY_1min_2025-07-08_to_2025-07-14.csv`;
const FXY_DBB_FILE = `${BARS_FOLDER}FXY_DBB_1min_2025-06-30_to_2025-07-07.csv`;

interface DaySummary {
  minutes: number;
  first: string;
  last: string;
  barsPerSymbol: Record<string, number>;
}

function summariseByNewYorkDay(minutes: readonly MinuteBars[]): Record<string, DaySummary> {
  const days: Record<string, DaySummary> = {};
  for (const { minute, bars } of minutes) {
    const date = newYorkDate(minute);
    const day = (days[date] ??= { minutes: 0, first: formatMinute(minute), last: '', barsPerSymbol: {} });
    day.minutes += 1;
    day.last = formatMinute(minute);
    for (const symbol of bars.keys()) day.barsPerSymbol[symbol] = (day.barsPerSymbol[symbol] ?? 0) + 1;
  }
  return days;
}

function missingMinutes(minutes: readonly MinuteBars[], date: string, fromIso: string, toIso: string): string[] {
  const present = new Set(minutes.map(({ minute }) => minute));
  const missing: string[] = [];
  for (let minute = Date.parse(`${date}T${fromIso}Z`); minute < Date.parse(`${date}T${toIso}Z`); minute += 60_000) {
    if (!present.has(minute)) missing.push(formatMinute(minute).slice(11, 16));
  }
  return missing;
}

describe.skipIf(!existsSync(SPY_FILE))('replay of the real SPY bars, 2025-07-08 to 2025-07-14', () => {
  let bars: Bar[];
  let regular: MinuteBars[];
  beforeAll(async () => {
    bars = await readBarsCsv(SPY_FILE);
    regular = replayMinutes(bars);
  });

  it('reads every row, extended hours included', () => {
    expect(bars).toHaveLength(4696);
    expect(formatMinute(bars[0]?.timestamp ?? 0)).toBe('2025-07-08T08:00:00Z');
    expect(formatMinute(bars.at(-1)?.timestamp ?? 0)).toBe('2025-07-14T23:59:00Z');
    expect(replayMinutes(bars, { sessions: 'all' })).toHaveLength(4696);
  });

  it('delivers 09:30-15:59 New York each day, with the minutes the data really has', () => {
    const days = summariseByNewYorkDay(regular);
    expect(Object.keys(days)).toEqual(['2025-07-08', '2025-07-09', '2025-07-10', '2025-07-11', '2025-07-14']);
    expect(Object.values(days).map(({ minutes }) => minutes)).toEqual([388, 390, 383, 389, 390]);
    for (const [date, day] of Object.entries(days)) {
      expect(day.first).toBe(`${date}T13:30:00Z`);
      expect(day.last).toBe(`${date}T19:59:00Z`);
    }
    expect(regular).toHaveLength(1940);
  });

  it('has the gaps of the real feed, not invented bars', () => {
    expect(missingMinutes(regular, '2025-07-08', '13:30', '20:00')).toEqual(['15:03', '15:21']);
    expect(missingMinutes(regular, '2025-07-09', '13:30', '20:00')).toEqual([]);
    expect(missingMinutes(regular, '2025-07-10', '13:30', '20:00')).toEqual(['13:32', '13:33', '13:34', '13:35', '13:36', '14:52', '18:41']);
    expect(missingMinutes(regular, '2025-07-11', '13:30', '20:00')).toEqual(['17:31']);
  });

  it('keeps the zero-volume rows out of the regular session: all 2,751 are pre- or post-market', () => {
    expect(bars.filter((bar) => bar.volume === 0)).toHaveLength(2751);
    expect(regular.flatMap(({ bars: minuteBars }) => [...minuteBars.values()]).filter((bar) => bar.volume === 0)).toEqual([]);
  });
});

describe.skipIf(!existsSync(FXY_DBB_FILE))('replay of the real sparse FXY and DBB bars, 2025-06-30 to 2025-07-07', () => {
  let bars: Bar[];
  let regular: MinuteBars[];
  beforeAll(async () => {
    bars = await readBarsCsv(FXY_DBB_FILE);
    regular = replayMinutes(bars);
  });

  it('reads every row', () => {
    expect(bars).toHaveLength(1487);
    expect(replayMinutes(bars, { sessions: 'all' })).toHaveLength(1267);
  });

  it('delivers only minutes with a bar, and only the symbols that traded in each', () => {
    const days = summariseByNewYorkDay(regular);
    expect(days).toEqual({
      '2025-06-30': { minutes: 234, first: '2025-06-30T13:30:00Z', last: '2025-06-30T19:59:00Z', barsPerSymbol: { DBB: 44, FXY: 219 } },
      '2025-07-01': { minutes: 213, first: '2025-07-01T13:30:00Z', last: '2025-07-01T19:59:00Z', barsPerSymbol: { DBB: 41, FXY: 192 } },
      '2025-07-02': { minutes: 349, first: '2025-07-02T13:30:00Z', last: '2025-07-02T19:59:00Z', barsPerSymbol: { DBB: 319, FXY: 138 } },
      '2025-07-03': { minutes: 148, first: '2025-07-03T13:30:00Z', last: '2025-07-03T16:59:00Z', barsPerSymbol: { DBB: 23, FXY: 139 } },
      '2025-07-07': { minutes: 277, first: '2025-07-07T13:30:00Z', last: '2025-07-07T19:59:00Z', barsPerSymbol: { DBB: 82, FXY: 242 } },
    });
    const sparseMinutes = regular.filter(({ bars: minuteBars }) => minuteBars.size === 1);
    expect(sparseMinutes.length).toBeGreaterThan(0);
  });

  it('delivers nothing on the 2025-07-04 holiday', () => {
    expect(regular.filter(({ minute }) => newYorkDate(minute) === '2025-07-04')).toEqual([]);
  });

  it('delivers nothing from 13:00 New York on the 2025-07-03 half day, though the file has bars then', () => {
    const halfDayClose = Date.parse('2025-07-03T17:00:00Z');
    const afterCloseInFile = bars.filter((bar) => newYorkDate(bar.timestamp) === '2025-07-03' && bar.timestamp >= halfDayClose);
    expect(afterCloseInFile.map((bar) => `${formatMinute(bar.timestamp)} ${bar.symbol}`)).toEqual([
      '2025-07-03T17:00:00Z DBB',
      '2025-07-03T17:00:00Z FXY',
      '2025-07-03T20:00:00Z FXY',
    ]);
    expect(regular.filter(({ minute }) => newYorkDate(minute) === '2025-07-03' && minute >= halfDayClose)).toEqual([]);
  });
});
