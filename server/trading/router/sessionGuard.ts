/**
 * One rule for orders near the close, applied by the order router for every venue.
 *
 * A strategy decides on the bars of minute M; its order can fill at the earliest on minute M + 1. On the
 * session's last minute there is no M + 1 in the session, and the venues would part ways: the simulated
 * broker expires the day order at the close, while Alpaca queues an order that arrives after the close
 * for the next day's open, to fill on prices the strategy never saw. So such an order is not sent at all,
 * anywhere, with a reason that says why. Likewise an order whose sending was delayed (retries) until its
 * session had closed.
 */
import { MINUTE_MS } from '../../../data/market/bar.ts';
import { newYorkDate, type MarketCalendar, type Session } from '../../../data/market/calendar.ts';

export const CLOSES_BEFORE_FILL = 'the market closes before this order could fill';
export const CLOSED_BEFORE_SENT = 'the market closed before this order could be sent';

export type SessionVerdict =
  | { kind: 'send' }
  /** Decided on the session's last minute, or on a day without a session: never sent, never at any broker. */
  | { kind: 'refuse'; reason: string }
  /** Its session closed before it went out: an earlier attempt may have reached the broker, so look before ending it. */
  | { kind: 'too_late'; reason: string };

function sessionOf(minute: number, calendar: MarketCalendar): Session | null | undefined {
  try {
    return calendar.sessionFor(newYorkDate(minute));
  } catch {
    return undefined; // a date the calendar cannot answer for: the broker decides
  }
}

/** Whether an order decided on `minute` may still be sent at `now`. */
export function sessionVerdict(minute: number, now: number, calendar: MarketCalendar): SessionVerdict {
  const session = sessionOf(minute, calendar);
  if (session === undefined) return { kind: 'send' };
  if (session === null || minute + MINUTE_MS >= session.close) return { kind: 'refuse', reason: CLOSES_BEFORE_FILL };
  if (now >= session.close) return { kind: 'too_late', reason: CLOSED_BEFORE_SENT };
  return { kind: 'send' };
}
