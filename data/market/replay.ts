import type { Bar } from './bar.ts';
import { embeddedCalendar, newYorkDate, type MarketCalendar, type Session } from './calendar.ts';
import { groupByMinute, type MinuteBars } from './minutes.ts';

export interface ReplayOptions {
  /** `regular`: only bars starting inside a regular session (what a live competition trades); `all`: pre- and post-market too. */
  sessions: 'regular' | 'all';
  calendar?: MarketCalendar;
}

/** The minutes a replay delivers to strategies, in order; minutes without any bar are skipped. */
export function replayMinutes(bars: readonly Bar[], options: ReplayOptions = { sessions: 'regular' }): MinuteBars[] {
  const minutes = groupByMinute(bars);
  if (options.sessions === 'all') return minutes;
  const calendar = options.calendar ?? embeddedCalendar;
  // Filtering whole minutes, not single bars, and asking the calendar once per New York date (a week of
  // minutes is five questions, not ~2,000): what isRegularSessionMinute decides, minute by minute.
  let date = '';
  let session: Session | null = null;
  return minutes.filter(({ minute }) => {
    const minuteDate = newYorkDate(minute);
    if (minuteDate !== date) {
      session = calendar.sessionFor(minuteDate);
      date = minuteDate;
    }
    return session !== null && minute >= session.open && minute < session.close;
  });
}
