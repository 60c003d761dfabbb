import { describe, expect, it } from 'vitest';
import { assertValidBar, type Bar, findBarProblem, formatMinute, InvalidBarError } from '../../../data/market/bar.ts';
import { embeddedCalendar, isRegularSessionMinute } from '../../../data/market/calendar.ts';
import { groupByMinute } from '../../../data/market/minutes.ts';
import { replayMinutes } from '../../../data/market/replay.ts';

function bar(symbol: string, iso: string, price = 10): Bar {
  return { symbol, timestamp: Date.parse(iso), open: price, high: price, low: price, close: price, volume: 1 };
}

function describeMinutes(minutes: ReturnType<typeof groupByMinute>): string[] {
  return minutes.map(({ minute, bars }) => `${formatMinute(minute)} ${[...bars.keys()].join(',')}`);
}

describe('bar helpers', () => {
  it('formats a minute as the CSV and qtc run output spell it', () => {
    expect(formatMinute(Date.UTC(2025, 6, 8, 13, 31))).toBe('2025-07-08T13:31:00Z');
  });

  it('accepts a sound bar and names the field of an unsound one', () => {
    expect(findBarProblem(bar('SPY', '2025-07-08T13:30:00Z'))).toBeNull();
    expect(findBarProblem({ ...bar('SPY', '2025-07-08T13:30:00Z'), timestamp: Date.UTC(2025, 6, 8, 13, 30, 1) })?.field).toBe('timestamp');
    expect(findBarProblem({ ...bar('SPY', '2025-07-08T13:30:00Z'), close: Number.NaN })?.field).toBe('close');
    expect(findBarProblem({ ...bar('SPY', '2025-07-08T13:30:00Z'), low: 11 })).toEqual({ field: 'low', message: 'low 11 is above open 10' });
  });

  it('assertValidBar throws an InvalidBarError carrying the problem', () => {
    const broken = { ...bar('SPY', '2025-07-08T13:30:00Z'), volume: -1 };
    expect(() => assertValidBar(broken)).toThrow(InvalidBarError);
    expect(() => assertValidBar(broken)).toThrow('volume -1 is not a non-negative whole number');
    expect(() => assertValidBar(bar('SPY', '2025-07-08T13:30:00Z'))).not.toThrow();
  });
});

describe('groupByMinute', () => {
  it('groups bars of any order into ascending minutes with symbols in order, skipping empty minutes', () => {
    const minutes = groupByMinute([
      bar('SPY', '2025-07-08T13:33:00Z'),
      bar('SPY', '2025-07-08T13:30:00Z'),
      bar('DBB', '2025-07-08T13:33:00Z'),
      bar('FXY', '2025-07-08T13:30:00Z'),
      bar('FXY', '2025-07-08T13:31:00Z'),
    ]);
    expect(describeMinutes(minutes)).toEqual(['2025-07-08T13:30:00Z FXY,SPY', '2025-07-08T13:31:00Z FXY', '2025-07-08T13:33:00Z DBB,SPY']);
    expect(minutes[2]?.bars.get('DBB')).toEqual(bar('DBB', '2025-07-08T13:33:00Z'));
  });

  it('returns nothing for no bars', () => {
    expect(groupByMinute([])).toEqual([]);
  });

  it("does not reorder the caller's array", () => {
    const input = [bar('SPY', '2025-07-08T13:31:00Z'), bar('SPY', '2025-07-08T13:30:00Z')];
    const before = [...input];
    groupByMinute(input);
    expect(input).toEqual(before);
  });

  it('rejects two bars of one symbol in one minute', () => {
    expect(() => groupByMinute([bar('SPY', '2025-07-08T13:30:00Z', 10), bar('SPY', '2025-07-08T13:30:00Z', 11)])).toThrow('two bars for SPY in the minute 2025-07-08T13:30:00Z');
  });
});

describe('replayMinutes', () => {
  const day = [
    bar('SPY', '2025-07-08T13:29:00Z'), // 09:29 New York: pre-market
    bar('SPY', '2025-07-08T13:30:00Z'), // opening bar
    bar('SPY', '2025-07-08T19:59:00Z'), // last bar of a full day
    bar('SPY', '2025-07-08T20:00:00Z'), // 16:00: post-market
  ];

  it('delivers only regular-session minutes by default', () => {
    expect(describeMinutes(replayMinutes(day))).toEqual(['2025-07-08T13:30:00Z SPY', '2025-07-08T19:59:00Z SPY']);
  });

  it('delivers every minute with sessions "all"', () => {
    expect(replayMinutes(day, { sessions: 'all' })).toHaveLength(4);
  });

  it('asks the given calendar for sessions', () => {
    const closedEveryDay = { sessionFor: () => null };
    expect(replayMinutes(day, { sessions: 'regular', calendar: closedEveryDay })).toEqual([]);
  });
});

describe('replayMinutes over many days', () => {
  it('keeps exactly the minutes isRegularSessionMinute keeps, across DST switches, half days and holidays, asking once per date', () => {
    // Every 7th minute from 2024-11-01 to 2025-03-15 (New York switches clocks on Nov 3 and Mar 9; Thanksgiving,
    // the half day after it, Christmas Eve and Day, New Year's Day, MLK Day and Presidents' Day in between).
    const bars: Bar[] = [];
    for (let minute = Date.UTC(2024, 10, 1); minute < Date.UTC(2025, 2, 15); minute += 7 * 60_000) {
      bars.push({ symbol: 'SPY', timestamp: minute, open: 10, high: 10, low: 10, close: 10, volume: 1 });
    }
    const asked: string[] = [];
    const counting = {
      sessionFor: (date: string) => {
        asked.push(date);
        return embeddedCalendar.sessionFor(date);
      },
    };
    const kept = replayMinutes(bars, { sessions: 'regular', calendar: counting }).map(({ minute }) => minute);
    expect(kept).toEqual(bars.map((bar) => bar.timestamp).filter((minute) => isRegularSessionMinute(minute)));
    expect(kept.length).toBeGreaterThan(1000);
    expect(new Set(asked).size).toBe(asked.length);
  });
});
