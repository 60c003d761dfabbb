import { describe, expect, it } from 'vitest';
import { formatMinute } from '../../../data/market/bar.ts';
import { embeddedCalendar, isRegularSessionMinute, type MarketCalendar, newYorkDate, nextSessionOpen, sessionFor } from '../../../data/market/calendar.ts';
import { NYSE_EARLY_CLOSES, NYSE_FULL_HOLIDAYS } from '../../../data/market/nyseSchedule.ts';

const utc = (iso: string): number => Date.parse(iso);

function hours(date: string): string | null {
  const session = sessionFor(date);
  return session === null ? null : `${formatMinute(session.open)} - ${formatMinute(session.close)}`;
}

function datesOfYear(year: number): string[] {
  const dates: string[] = [];
  for (let day = new Date(Date.UTC(year, 0, 1)); day.getUTCFullYear() === year; day.setUTCDate(day.getUTCDate() + 1)) {
    dates.push(day.toISOString().slice(0, 10));
  }
  return dates;
}

describe('sessionFor', () => {
  it('gives 09:30-16:00 New York on a summer day (EDT, UTC-4)', () => {
    expect(sessionFor('2025-07-08')).toEqual({ date: '2025-07-08', open: utc('2025-07-08T13:30:00Z'), close: utc('2025-07-08T20:00:00Z') });
  });

  it('gives 09:30-16:00 New York on a winter day (EST, UTC-5)', () => {
    expect(hours('2025-01-10')).toBe('2025-01-10T14:30:00Z - 2025-01-10T21:00:00Z');
  });

  it('follows the March switch to daylight time (2025-03-09, 2024-03-10)', () => {
    expect(hours('2025-03-07')).toBe('2025-03-07T14:30:00Z - 2025-03-07T21:00:00Z');
    expect(hours('2025-03-10')).toBe('2025-03-10T13:30:00Z - 2025-03-10T20:00:00Z');
    expect(hours('2024-03-08')).toBe('2024-03-08T14:30:00Z - 2024-03-08T21:00:00Z');
    expect(hours('2024-03-11')).toBe('2024-03-11T13:30:00Z - 2024-03-11T20:00:00Z');
  });

  it('follows the November switch back to standard time (2025-11-02, 2026-11-01)', () => {
    expect(hours('2025-10-31')).toBe('2025-10-31T13:30:00Z - 2025-10-31T20:00:00Z');
    expect(hours('2025-11-03')).toBe('2025-11-03T14:30:00Z - 2025-11-03T21:00:00Z');
    expect(hours('2026-10-30')).toBe('2026-10-30T13:30:00Z - 2026-10-30T20:00:00Z');
    expect(hours('2026-11-02')).toBe('2026-11-02T14:30:00Z - 2026-11-02T21:00:00Z');
  });

  it('closes at 13:00 New York (17:00 UTC) on the 2025-07-03 half day', () => {
    expect(hours('2025-07-03')).toBe('2025-07-03T13:30:00Z - 2025-07-03T17:00:00Z');
  });

  it('closes at 13:00 New York in winter too (2025-11-28 is 18:00 UTC)', () => {
    expect(hours('2025-11-28')).toBe('2025-11-28T14:30:00Z - 2025-11-28T18:00:00Z');
    expect(hours('2025-12-24')).toBe('2025-12-24T14:30:00Z - 2025-12-24T18:00:00Z');
  });

  it.each([
    ['2025-07-04', 'Independence Day'],
    ['2025-01-09', 'the national day of mourning for President Carter'],
    ['2025-04-18', 'Good Friday'],
    ['2026-07-03', 'Independence Day observed on a Friday'],
    ['2027-06-18', 'Juneteenth observed on a Friday'],
    ['2027-12-24', 'Christmas observed on a Friday'],
    ['2025-07-05', 'a Saturday'],
    ['2025-07-06', 'a Sunday'],
    ['2025-03-09', 'the Sunday of the DST switch'],
  ])('is closed on %s (%s)', (date) => {
    expect(sessionFor(date)).toBeNull();
  });

  it('opens for a full day on 2027-12-31 (no New Year holiday is observed for Saturday 2028-01-01)', () => {
    expect(hours('2027-12-31')).toBe('2027-12-31T14:30:00Z - 2027-12-31T21:00:00Z');
  });

  it('refuses dates outside the embedded years, naming the supported range', () => {
    expect(() => sessionFor('2023-12-29')).toThrow('the embedded market calendar covers 2024-01-01 to 2027-12-31; 2023-12-29 is outside it');
    expect(() => sessionFor('2028-01-03')).toThrow(RangeError);
  });

  it.each(['2025-7-8', '2025-02-30', '2025-07-08T00:00:00Z', ''])('refuses the malformed date %j', (date) => {
    expect(() => sessionFor(date)).toThrow('is not a calendar date in the form YYYY-MM-DD');
  });
});

describe('the embedded NYSE schedule', () => {
  it('lists only weekdays, and no day as both holiday and early close', () => {
    for (const date of [...NYSE_FULL_HOLIDAYS.keys(), ...NYSE_EARLY_CLOSES.keys()]) {
      const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
      expect(weekday, date).not.toBe(0);
      expect(weekday, date).not.toBe(6);
    }
    for (const date of NYSE_EARLY_CLOSES.keys()) expect(NYSE_FULL_HOLIDAYS.has(date), date).toBe(false);
  });

  it('has the published number of holidays and early closes per year', () => {
    const perYear = (dates: Iterable<string>): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const date of dates) counts[date.slice(0, 4)] = (counts[date.slice(0, 4)] ?? 0) + 1;
      return counts;
    };
    expect(perYear(NYSE_FULL_HOLIDAYS.keys())).toEqual({ 2024: 10, 2025: 11, 2026: 10, 2027: 10 });
    expect(perYear(NYSE_EARLY_CLOSES.keys())).toEqual({ 2024: 3, 2025: 3, 2026: 2, 2027: 1 });
  });

  it('gives 252 trading days in 2024 and 250 in 2025, as NYSE traded', () => {
    expect(datesOfYear(2024).filter((date) => sessionFor(date) !== null)).toHaveLength(252);
    expect(datesOfYear(2025).filter((date) => sessionFor(date) !== null)).toHaveLength(250);
  });
});

describe('isRegularSessionMinute', () => {
  it.each([
    ['2025-07-08T13:29:00Z', false, '09:29, pre-market'],
    ['2025-07-08T13:30:00Z', true, 'the opening bar'],
    ['2025-07-08T19:59:00Z', true, 'the last bar of a full day (15:59)'],
    ['2025-07-08T20:00:00Z', false, '16:00, post-market'],
    ['2025-07-03T16:59:00Z', true, 'the last bar of the half day (12:59)'],
    ['2025-07-03T17:00:00Z', false, '13:00 on the half day'],
    ['2025-07-04T15:00:00Z', false, 'the Independence Day holiday'],
    ['2025-07-05T15:00:00Z', false, 'a Saturday'],
    ['2025-01-09T16:00:00Z', false, 'the national day of mourning'],
    ['2025-01-10T14:29:00Z', false, '09:29 in winter'],
    ['2025-01-10T14:30:00Z', true, '09:30 in winter'],
    ['2025-01-10T20:59:00Z', true, '15:59 in winter'],
    ['2025-03-10T13:30:00Z', true, '09:30 on the first day of daylight time'],
    ['2025-11-03T13:30:00Z', false, '08:30 on the first day of standard time'],
  ])('%s is %s (%s)', (iso, expected) => {
    expect(isRegularSessionMinute(utc(iso))).toBe(expected);
  });

  it('uses the calendar it is given, as a live calendar would be', () => {
    const alwaysOpen: MarketCalendar = { sessionFor: (date) => ({ date, open: utc(`${date}T00:00:00Z`), close: utc(`${date}T23:00:00Z`) }) };
    expect(isRegularSessionMinute(utc('2025-07-04T15:00:00Z'), alwaysOpen)).toBe(true);
    expect(isRegularSessionMinute(utc('2025-07-04T15:00:00Z'), embeddedCalendar)).toBe(false);
  });
});

describe('newYorkDate', () => {
  it.each([
    ['2025-07-09T03:59:00Z', '2025-07-08', '23:59 EDT the evening before'],
    ['2025-07-09T04:00:00Z', '2025-07-09', 'midnight EDT'],
    ['2025-01-01T04:59:00Z', '2024-12-31', "23:59 EST on New Year's Eve"],
    ['2025-01-01T05:00:00Z', '2025-01-01', 'midnight EST'],
    ['2025-03-09T06:59:00Z', '2025-03-09', '01:59 EST just before the spring switch'],
    ['2025-03-09T07:00:00Z', '2025-03-09', '03:00 EDT just after it'],
    ['2025-11-02T05:30:00Z', '2025-11-02', 'the first 01:30 of the autumn switch'],
    ['2025-11-02T06:30:00Z', '2025-11-02', 'the second 01:30'],
  ])('%s is %s in New York (%s)', (iso, date) => {
    expect(newYorkDate(utc(iso))).toBe(date);
  });
});

describe('nextSessionOpen', () => {
  it.each([
    ['2025-07-08T13:30:00Z', '2025-07-08T13:30:00Z', 'exactly at the open: this open'],
    ['2025-07-08T08:00:00Z', '2025-07-08T13:30:00Z', 'pre-market: today'],
    ['2025-07-08T13:30:00.001Z', '2025-07-09T13:30:00Z', 'just after the open: tomorrow'],
    ['2025-07-03T17:00:00Z', '2025-07-07T13:30:00Z', 'after the half day: past the holiday and the weekend'],
    ['2025-07-11T21:00:00Z', '2025-07-14T13:30:00Z', 'Friday evening: Monday'],
    ['2025-01-08T22:00:00Z', '2025-01-10T14:30:00Z', 'past the day of mourning'],
    ['2024-12-31T22:00:00Z', '2025-01-02T14:30:00Z', "across the year end and New Year's Day"],
    ['2025-03-07T22:00:00Z', '2025-03-10T13:30:00Z', 'across the spring DST switch'],
  ])('from %s is %s (%s)', (fromIso, expectedIso) => {
    expect(formatMinute(nextSessionOpen(utc(fromIso)))).toBe(formatMinute(utc(expectedIso)));
  });

  it('refuses to look past the embedded years', () => {
    expect(() => nextSessionOpen(utc('2027-12-31T22:00:00Z'))).toThrow('covers 2024-01-01 to 2027-12-31; 2028-01-01 is outside it');
  });

  it('gives up with a clear error when a calendar has no session for weeks', () => {
    const closed: MarketCalendar = { sessionFor: () => null };
    expect(() => nextSessionOpen(utc('2025-07-08T13:30:00Z'), closed)).toThrow('the market calendar has no session in the 14 days from 2025-07-08');
  });
});
