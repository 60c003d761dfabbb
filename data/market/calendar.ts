import { newYorkDate, newYorkWallTimeToEpoch } from './newYorkTime.ts';
import { NYSE_EARLY_CLOSES, NYSE_FULL_HOLIDAYS, NYSE_SCHEDULE_FIRST_YEAR, NYSE_SCHEDULE_LAST_YEAR } from './nyseSchedule.ts';

export { newYorkDate } from './newYorkTime.ts';

/** One regular trading session: bars starting in [open, close) belong to it. */
export interface Session {
  /** The New York date, `YYYY-MM-DD`. */
  date: string;
  /** Epoch ms of the opening bell. */
  open: number;
  /** Epoch ms of the closing bell; the last bar of the session starts one minute before. */
  close: number;
}

/**
 * Where sessions come from. The embedded table serves offline use and tests; a live source (such as
 * Alpaca's calendar endpoint) can implement the same interface and be passed to the functions below.
 */
export interface MarketCalendar {
  /** The session on a New York date, or null when the market is closed all day. Throws for dates it cannot answer. */
  sessionFor(date: string): Session | null;
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

function checkedDateParts(date: string): { year: number; month: number; day: number } {
  const match = DATE_PATTERN.exec(date);
  if (match !== null) {
    const [year, month, day] = match.slice(1, 4).map(Number) as [number, number, number];
    const probe = new Date(Date.UTC(year, month - 1, day));
    if (probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day) {
      return { year, month, day };
    }
  }
  throw new RangeError(`${JSON.stringify(date)} is not a calendar date in the form YYYY-MM-DD`);
}

/** NYSE regular sessions (09:30–16:00 New York, 13:00 on early-close days) from the embedded schedule. */
export const embeddedCalendar: MarketCalendar = {
  sessionFor(date: string): Session | null {
    const { year, month, day } = checkedDateParts(date);
    if (year < NYSE_SCHEDULE_FIRST_YEAR || year > NYSE_SCHEDULE_LAST_YEAR) {
      throw new RangeError(
        `the embedded market calendar covers ${String(NYSE_SCHEDULE_FIRST_YEAR)}-01-01 to ${String(NYSE_SCHEDULE_LAST_YEAR)}-12-31; ` +
          `${date} is outside it (add the year's NYSE holidays to data/market/nyseSchedule.ts, or use a live calendar)`,
      );
    }
    const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
    if (weekday === 0 || weekday === 6 || NYSE_FULL_HOLIDAYS.has(date)) return null;
    const closeHour = NYSE_EARLY_CLOSES.has(date) ? 13 : 16;
    return { date, open: newYorkWallTimeToEpoch(date, 9, 30), close: newYorkWallTimeToEpoch(date, closeHour, 0) };
  },
};

export function sessionFor(date: string, calendar: MarketCalendar = embeddedCalendar): Session | null {
  return calendar.sessionFor(date);
}

/** Whether a bar starting at `epochMs` is part of a regular session (the 15:59 bar is a full day's last). */
export function isRegularSessionMinute(epochMs: number, calendar: MarketCalendar = embeddedCalendar): boolean {
  const session = calendar.sessionFor(newYorkDate(epochMs));
  return session !== null && epochMs >= session.open && epochMs < session.close;
}

function followingDate(date: string): string {
  const { year, month, day } = checkedDateParts(date);
  return new Date(Date.UTC(year, month - 1, day + 1)).toISOString().slice(0, 10);
}

// Longer than any run of closed days in the schedule (a holiday next to a weekend closes 4 days at most).
const MAX_DAYS_WITHOUT_SESSION = 14;

/** The opening bell of the first session that opens at or after `epochMs`. */
export function nextSessionOpen(epochMs: number, calendar: MarketCalendar = embeddedCalendar): number {
  let date = newYorkDate(epochMs);
  for (let day = 0; day <= MAX_DAYS_WITHOUT_SESSION; day++) {
    const session = calendar.sessionFor(date);
    if (session !== null && session.open >= epochMs) return session.open;
    date = followingDate(date);
  }
  throw new Error(`the market calendar has no session in the ${String(MAX_DAYS_WITHOUT_SESSION)} days from ${newYorkDate(epochMs)}`);
}
