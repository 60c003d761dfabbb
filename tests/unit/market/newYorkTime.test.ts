import { describe, expect, it } from 'vitest';
import { newYorkDate, newYorkOffsetMs, newYorkWallTimeToEpoch, RULE_YEARS } from '../../../data/market/newYorkTime.ts';
import { daylightSpan, newYorkMidnight } from '../../../sandbox/runtime/newYorkRules.ts';

// The time-zone database asked directly, as newYorkTime.ts did for every instant before it computed
// the US daylight-saving rules: the rules' answers must be these.
const reference = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit' });
const referenceDate = (epochMs: number): string => reference.format(epochMs);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Every 7 minutes (every minute-of-hour is hit) from a day before to a day after each DST switch. */
function aroundSwitches(): number[] {
  const instants: number[] = [];
  for (let year = 2000; year <= 2035; year++) {
    for (const month of [2, 3, 9, 10]) {
      // March/April and October/November cover the switches under both the 1987 and the 2007 rules.
      const start = Date.UTC(year, month, 1);
      for (let t = start; t < Date.UTC(year, month + 1, 8); t += 7 * MINUTE) instants.push(t);
    }
  }
  return instants;
}

// The offset as the database names it ("GMT-04:00", "GMT-04:56:02" before 1883's standard time).
const offsetName = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', timeZoneName: 'longOffset' });
/** New York's offset at an instant, from the database. */
function referenceOffsetMs(epochMs: number): number {
  const name = offsetName.formatToParts(epochMs).find((part) => part.type === 'timeZoneName')?.value ?? '';
  const match = /^GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(name);
  if (match === null) throw new Error(`unexpected offset name ${JSON.stringify(name)}`);
  const [, sign, hours, minutes, seconds] = match;
  return (sign === '-' ? -1 : 1) * ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds ?? 0)) * 1000;
}

describe('newYorkOffsetMs', () => {
  it("switches at the time-zone database's very second, every year the rules cover (1967-2099)", () => {
    const wrong: string[] = [];
    for (let year = RULE_YEARS.first; year < RULE_YEARS.end; year++) {
      for (const at of daylightSpan(year)) {
        for (const t of [at - 1000, at]) if (newYorkOffsetMs(t) !== referenceOffsetMs(t)) wrong.push(new Date(t).toISOString());
      }
    }
    expect(wrong).toEqual([]);
  });

  it("equals the database's offset on every day the rules cover, and the database's own answer outside them", () => {
    const wrong: string[] = [];
    for (let t = Date.UTC(RULE_YEARS.first, 0, 1, 12); t < Date.UTC(RULE_YEARS.end, 0, 1); t += 24 * HOUR) {
      if (newYorkOffsetMs(t) !== referenceOffsetMs(t)) wrong.push(new Date(t).toISOString());
    }
    expect(wrong).toEqual([]);
    for (const t of [Date.UTC(1966, 5, 1), Date.UTC(1883, 0, 1), Date.UTC(2100, 5, 1), Date.UTC(2300, 0, 1, 3)]) expect(newYorkOffsetMs(t)).toBe(referenceOffsetMs(t));
  });
});

describe('newYorkMidnight (the bounds of team.api.getDay inside the isolate)', () => {
  it("is the database's midnight of every day the rules cover", () => {
    const DAY = 24 * HOUR;
    const wrong: string[] = [];
    for (let days = Date.UTC(RULE_YEARS.first, 0, 1) / DAY; days < Date.UTC(RULE_YEARS.end, 0, 1) / DAY; days++) {
      const midnight = newYorkMidnight(days);
      const wallAtMidnight = midnight + referenceOffsetMs(midnight);
      const wallSecondBefore = midnight - 1000 + referenceOffsetMs(midnight - 1000);
      if (wallAtMidnight !== days * DAY || wallSecondBefore !== days * DAY - 1000) wrong.push(new Date(days * DAY).toISOString().slice(0, 10));
    }
    expect(wrong).toEqual([]);
  });
});

describe('newYorkDate', () => {
  it("equals the time-zone database's date at every instant around 36 years of DST switches", () => {
    const instants = aroundSwitches();
    const wrong = instants.filter((t) => newYorkDate(t) !== referenceDate(t));
    expect(wrong.map((t) => new Date(t).toISOString())).toEqual([]);
    expect(instants.length).toBeGreaterThan(100_000);
  });

  it('equals it at the last and first second of every hour around a switch, and outside the years of the rules', () => {
    const edges = [Date.UTC(2025, 2, 9, 6), Date.UTC(2025, 10, 2, 5), Date.UTC(2025, 10, 2, 6), Date.UTC(2007, 2, 11, 7)].flatMap((t) => [
      t - 1000,
      t - 1,
      t,
      t + 1000,
      t + HOUR - 1,
    ]);
    for (const t of [...edges, Date.UTC(1969, 11, 31, 23, 30), Date.UTC(2300, 5, 1, 12), Date.UTC(1900, 0, 1, 4, 59)]) expect(newYorkDate(t)).toBe(referenceDate(t));
  });
});

describe('newYorkWallTimeToEpoch', () => {
  it('gives the instant New York clocks show that time, for every 09:30 and 16:00 of 2006-2008 and 2024-2026', () => {
    const wall = new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
    for (const [from, to] of [
      [2006, 2008],
      [2024, 2026],
    ] as const) {
      for (let day = Date.UTC(from, 0, 1); day < Date.UTC(to + 1, 0, 1); day += 24 * HOUR) {
        const date = new Date(day).toISOString().slice(0, 10);
        for (const [hour, minute, shown] of [
          [9, 30, '09:30'],
          [16, 0, '16:00'],
        ] as const) {
          const instant = newYorkWallTimeToEpoch(date, hour, minute);
          expect(`${referenceDate(instant)} ${wall.format(instant)}`).toBe(`${date} ${shown}`);
        }
      }
    }
  });
});
