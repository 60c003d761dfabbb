// US equity sessions are defined in New York wall-clock time; these helpers convert between that and
// epoch ms.
//
// From 1967 to 2099 New York's offset comes from the US daylight-saving rules
// (sandbox/runtime/newYorkRules.ts, which team.api.getDay uses inside the isolate too).
// tests/unit/market/newYorkTime.test.ts proves them equal to the platform's time-zone database at
// every switch and every day of those years, so a change of law that reaches Node's database fails
// that test instead of passing unnoticed. The database (Intl) answers outside those years only: its
// first formatter starts ICU's time-zone support, ~10 ms of a one-week `qtc backtest` that takes
// ~0.2 s in all (bench/peerGrademark.ts), for an answer the rules give in a few operations.
import { daylightSpan } from '../../sandbox/runtime/newYorkRules.ts';

const NEW_YORK = 'America/New_York';
const HOUR_MS = 3_600_000;
const STANDARD_OFFSET_MS = -5 * HOUR_MS;
const DAYLIGHT_OFFSET_MS = -4 * HOUR_MS;
/** The years the rules are proven for, [first, end). */
export const RULE_YEARS = { first: 1967, end: 2100 } as const;

/** The last UTC year asked about (nearly every call asks about the same one): its bounds and daylight span. */
let cachedYear = { from: 0, to: 0, start: 0, end: 0 };

/** The offset by the rules, or null outside RULE_YEARS. Every switch is inside its UTC year (March-November). */
function ruleOffsetMs(epochMs: number): number | null {
  let year = cachedYear;
  if (epochMs < year.from || epochMs >= year.to) {
    const utcYear = new Date(epochMs).getUTCFullYear();
    if (!(utcYear >= RULE_YEARS.first && utcYear < RULE_YEARS.end)) return null;
    const [start, end] = daylightSpan(utcYear);
    year = cachedYear = { from: Date.UTC(utcYear, 0, 1), to: Date.UTC(utcYear + 1, 0, 1), start, end };
  }
  return epochMs >= year.start && epochMs < year.end ? DAYLIGHT_OFFSET_MS : STANDARD_OFFSET_MS;
}

let wallClock: Intl.DateTimeFormat | null = null;

/** The offset from the time-zone database itself, for instants outside RULE_YEARS. */
function databaseOffsetMs(epochMs: number): number {
  wallClock ??= new Intl.DateTimeFormat('en-US', {
    timeZone: NEW_YORK,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const wholeSecond = Math.floor(epochMs / 1000) * 1000;
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of wallClock.formatToParts(wholeSecond)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const { year, month, day, hour, minute, second } = parts;
  if (year === undefined || month === undefined || day === undefined || hour === undefined || minute === undefined || second === undefined) {
    throw new Error(`the platform's Intl.DateTimeFormat did not give a full ${NEW_YORK} date and time`);
  }
  // Date.UTC reads years 0-99 as 1900-1999: setUTCFullYear takes the year as written.
  const asIfUtc = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  asIfUtc.setUTCFullYear(year);
  return asIfUtc.getTime() - wholeSecond;
}

/** How far New York wall-clock time is ahead of UTC at that instant (negative: -4 h in summer, -5 h in winter). */
export function newYorkOffsetMs(epochMs: number): number {
  return ruleOffsetMs(epochMs) ?? databaseOffsetMs(epochMs);
}

/** The New York calendar date (`YYYY-MM-DD`) at an instant. */
export function newYorkDate(epochMs: number): string {
  // The wall clock is UTC shifted by the offset: its date is the shifted instant's UTC date.
  const wall = new Date(epochMs + newYorkOffsetMs(epochMs));
  return `${String(wall.getUTCFullYear()).padStart(4, '0')}-${String(wall.getUTCMonth() + 1).padStart(2, '0')}-${String(wall.getUTCDate()).padStart(2, '0')}`;
}

/**
 * The instant at which New York clocks show `hour:minute` on `date` (`YYYY-MM-DD`). Exact for every
 * time that exists once on that day, which includes all trading hours (DST switches at 02:00).
 */
export function newYorkWallTimeToEpoch(date: string, hour: number, minute: number): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const asIfUtc = Date.UTC(year, month - 1, day, hour, minute);
  const firstGuess = asIfUtc - newYorkOffsetMs(asIfUtc);
  // The offset at the guess can differ from the one at the true instant near a DST switch.
  return asIfUtc - newYorkOffsetMs(firstGuess);
}
