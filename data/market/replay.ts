import type { Bar } from './bar.ts';
import { embeddedCalendar, isRegularSessionMinute, type MarketCalendar } from './calendar.ts';
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
  // Filtering whole minutes, not single bars: one calendar lookup per minute instead of per symbol.
  return minutes.filter(({ minute }) => isRegularSessionMinute(minute, calendar));
}
