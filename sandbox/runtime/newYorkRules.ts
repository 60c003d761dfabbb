// New York's daylight-saving time by the US rules (the Uniform Time Act of 1966 and its amendments:
// 1974-75, 1987, 2007), in plain arithmetic. One module for both sides: the runtime's team.api.getDay
// (inside the isolate, where nothing may be looked up on a prototype or a global the strategy can
// replace, hence no Date and no Math) and the host's data/market/newYorkTime.ts, which proves these
// rules equal to the platform's time-zone database for 1967-2099 (tests/unit/market/newYorkTime.test.ts).
// Before 1967 they extend the 1967 rule; the host asks the database there instead.

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar; month 1-12 (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = ((y >= 0 ? y : y - 399) / 400) | 0;
  const yearOfEra = y - era * 400;
  const dayOfYear = (((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) | 0) + day - 1;
  const dayOfEra = yearOfEra * 365 + ((yearOfEra / 4) | 0) - ((yearOfEra / 100) | 0) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The year of the date `days` after 1970-01-01 (H. Hinnant's civil_from_days, the year alone). */
function yearOfDays(days: number): number {
  const z = days + 719_468;
  const era = ((z >= 0 ? z : z - 146_096) / 146_097) | 0;
  const dayOfEra = z - era * 146_097;
  const yearOfEra = ((dayOfEra - ((dayOfEra / 1460) | 0) + ((dayOfEra / 36_524) | 0) - ((dayOfEra / 146_096) | 0)) / 365) | 0;
  const dayOfYear = dayOfEra - (365 * yearOfEra + ((yearOfEra / 4) | 0) - ((yearOfEra / 100) | 0));
  const shiftedMonth = ((5 * dayOfYear + 2) / 153) | 0;
  return yearOfEra + era * 400 + (shiftedMonth >= 10 ? 1 : 0);
}

/** The day of the month of the `nth` Sunday (1 = first; 0 = last) of `month` (1-12). */
function sundayOf(year: number, month: number, nth: number): number {
  if (nth > 0) {
    // 1970-01-01 was a Thursday: (days + 4) mod 7 is the weekday, 0 for Sunday.
    const first = daysFromCivil(year, month, 1);
    return 1 + ((7 - ((((first + 4) % 7) + 7) % 7)) % 7) + 7 * (nth - 1);
  }
  const next = month === 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, month + 1, 1);
  const last = next - 1;
  return last - daysFromCivil(year, month, 1) + 1 - ((((last + 4) % 7) + 7) % 7);
}

/**
 * Daylight time in `year` as epoch-ms instants [start, end): clocks go forward at 02:00 standard time
 * (07:00 UTC) and back at 02:00 daylight time (06:00 UTC).
 */
export function daylightSpan(year: number): [number, number] {
  let startMonth: number;
  let startDay: number;
  let endMonth = 10;
  let endDay = sundayOf(year, 10, 0);
  if (year >= 2007) {
    startMonth = 3;
    startDay = sundayOf(year, 3, 2);
    endMonth = 11;
    endDay = sundayOf(year, 11, 1);
  } else if (year >= 1987) {
    startMonth = 4;
    startDay = sundayOf(year, 4, 1);
  } else if (year === 1974) {
    // The energy crisis: daylight time from January 6, 1974, and from February 23, 1975.
    startMonth = 1;
    startDay = 6;
  } else if (year === 1975) {
    startMonth = 2;
    startDay = 23;
  } else {
    startMonth = 4;
    startDay = sundayOf(year, 4, 0);
  }
  return [daysFromCivil(year, startMonth, startDay) * DAY_MS + 7 * HOUR_MS, daysFromCivil(year, endMonth, endDay) * DAY_MS + 6 * HOUR_MS];
}

/** The instant New York's day `days` after 1970-01-01 (as a calendar date) begins. */
export function newYorkMidnight(days: number): number {
  // Midnight is 05:00 UTC in standard time, an hour earlier in daylight time. Switches fall at 06:00 and
  // 07:00 UTC, so the offset in force at 05:00 UTC that day is midnight's.
  const standard = days * DAY_MS + 5 * HOUR_MS;
  const span = daylightSpan(yearOfDays(days));
  return standard >= span[0] && standard < span[1] ? standard - HOUR_MS : standard;
}

/** Days from 1970-01-01 to `year`-`month`-`day`, months and days out of range carried over as Date.UTC does. */
export function daysOfDate(year: number, month: number, day: number): number {
  const monthIndex = month - 1;
  const carry = monthIndex >= 0 ? (monthIndex / 12) | 0 : -(((11 - monthIndex) / 12) | 0);
  return daysFromCivil(year + carry, monthIndex - carry * 12 + 1, 1) + day - 1;
}
