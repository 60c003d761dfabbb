/**
 * Which market minutes to tick, when: pure functions of the time and the market calendar (holidays and
 * half days included), so every clock can be tested without waiting.
 */
import { MINUTE_MS } from '../../data/market/bar.ts';
import { embeddedCalendar, isRegularSessionMinute, nextSessionOpen, type MarketCalendar } from '../../data/market/calendar.ts';

/** The first regular-session minute at or after `epochMs` (rounded up to a whole minute). */
export function sessionMinuteAtOrAfter(epochMs: number, calendar: MarketCalendar = embeddedCalendar): number {
  const minute = Math.ceil(epochMs / MINUTE_MS) * MINUTE_MS;
  return isRegularSessionMinute(minute, calendar) ? minute : nextSessionOpen(minute, calendar);
}

/** The regular-session minute after `minute`: the next one of its session, or the next session's first. */
export function nextSessionMinute(minute: number, calendar: MarketCalendar = embeddedCalendar): number {
  return sessionMinuteAtOrAfter(minute + MINUTE_MS, calendar);
}

/**
 * Live clock: the latest regular-session minute whose bars can be fetched at `now` — the minute has
 * closed and `delayMs` more have passed for the feed to settle — or null when the latest such minute
 * is outside a session.
 */
export function dueLiveMinute(now: number, delayMs: number, calendar: MarketCalendar = embeddedCalendar): number | null {
  const minute = Math.floor((now - MINUTE_MS - delayMs) / MINUTE_MS) * MINUTE_MS;
  return isRegularSessionMinute(minute, calendar) ? minute : null;
}

/** Live clock: when the first session minute after `after` becomes due. */
export function nextLiveDueAt(after: number, delayMs: number, calendar: MarketCalendar = embeddedCalendar): number {
  return nextSessionMinute(after, calendar) + MINUTE_MS + delayMs;
}

/** Paced clocks: the real time at which the `index`-th minute (0-based) of a run is due. */
export function pacedAt(startedAt: number, index: number, realMsPerMinute: number): number {
  return startedAt + index * realMsPerMinute;
}
