// US equity sessions are defined in New York wall-clock time; these helpers convert between that and
// epoch ms with the platform's time-zone database, so DST switches are handled without a dependency.

const NEW_YORK = 'America/New_York';

const wallClock = new Intl.DateTimeFormat('en-US', {
  timeZone: NEW_YORK,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

interface WallClockParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function newYorkParts(epochMs: number): WallClockParts {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of wallClock.formatToParts(epochMs)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const { year, month, day, hour, minute, second } = parts;
  if (year === undefined || month === undefined || day === undefined || hour === undefined || minute === undefined || second === undefined) {
    throw new Error(`the platform's Intl.DateTimeFormat did not give a full ${NEW_YORK} date and time`);
  }
  return { year, month, day, hour, minute, second };
}

/** The offset from the time-zone database itself: one formatToParts call (~10-30 µs). */
function exactOffsetMs(epochMs: number): number {
  const wholeSecond = Math.floor(epochMs / 1000) * 1000;
  const p = newYorkParts(wholeSecond);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - wholeSecond;
}

const HOUR_MS = 3_600_000;
// Hours from 1970 to 2200: where Date.UTC reads years as written (it maps 0-99 to 1900-1999).
const CACHED_HOURS = { first: 0, end: 230 * 8_766 };
const MAX_CACHED_HOURS = 100_000;
/** UTC hour → New York's offset through that whole hour, or null when it changes inside it. */
const offsetByHour = new Map<number, number | null>();

/**
 * New York's offset is constant between its DST switches, which fall on whole UTC hours; a replay asks
 * for the same hour's offset 60 times (and each session check several times more). So each UTC hour is
 * asked of the time-zone database once, at its first and its last second: the same offset at both ends
 * serves the whole hour; a different one (an hour holding a switch, which no New York switch since 1883
 * is) is never cached, and every instant in it is asked of the database.
 */
function hourOffsetMs(epochMs: number): number | null {
  const hour = Math.floor(epochMs / HOUR_MS);
  if (hour < CACHED_HOURS.first || hour >= CACHED_HOURS.end) return null;
  let offset = offsetByHour.get(hour);
  if (offset === undefined) {
    const start = exactOffsetMs(hour * HOUR_MS);
    offset = start === exactOffsetMs(hour * HOUR_MS + HOUR_MS - 1000) ? start : null;
    if (offsetByHour.size >= MAX_CACHED_HOURS) offsetByHour.clear();
    offsetByHour.set(hour, offset);
  }
  return offset;
}

/** How far New York wall-clock time is ahead of UTC at that instant (negative: -4 h in summer, -5 h in winter). */
function newYorkOffsetMs(epochMs: number): number {
  return hourOffsetMs(epochMs) ?? exactOffsetMs(epochMs);
}

/** The New York calendar date (`YYYY-MM-DD`) at an instant. */
export function newYorkDate(epochMs: number): string {
  const offset = hourOffsetMs(epochMs);
  if (offset === null) {
    const p = newYorkParts(epochMs);
    return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  }
  // The wall clock is UTC shifted by the offset: its date is the shifted instant's UTC date.
  const wall = new Date(epochMs + offset);
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
