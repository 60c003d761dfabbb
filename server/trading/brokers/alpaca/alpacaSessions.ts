/**
 * Alpaca's market calendar (`/v2/calendar`), kept loaded for the scheduler and the order router when
 * Alpaca is the market data source: unscheduled closures and changed hours that the embedded NYSE table
 * cannot know are then followed. `MarketCalendar.sessionFor` is synchronous, so the sessions from a week
 * back to `aheadDays` ahead are loaded at start and the window is moved forward once a day. Dates outside
 * it, and every date when Alpaca cannot answer, come from the embedded table (AlpacaCalendar logs that).
 */
import type { AlpacaLimiter } from '../../../../data/market/alpaca/alpacaFetch.ts';
import { AlpacaCalendar, type AlpacaCalendarLog } from '../../../../data/market/alpaca/alpacaCalendar.ts';
import { newYorkDate } from '../../../../data/market/calendar.ts';
import type { AlpacaConfig } from '../../../config/config.ts';

const DAY_MS = 86_400_000;

/** The New York dates to load around `now`: a week back (a restart resumes recent minutes) to `aheadDays` ahead. */
export function calendarWindow(now: number, aheadDays = 90): { from: string; to: string } {
  return { from: newYorkDate(now - 7 * DAY_MS), to: newYorkDate(now + aheadDays * DAY_MS) };
}

export interface LiveAlpacaCalendar {
  calendar: AlpacaCalendar;
  stop(): void;
}

export async function startAlpacaCalendar(options: {
  alpaca: AlpacaConfig;
  limiter: AlpacaLimiter;
  logger: AlpacaCalendarLog;
  now?: () => number;
  aheadDays?: number;
}): Promise<LiveAlpacaCalendar> {
  const now = options.now ?? Date.now;
  const { alpaca } = options;
  const calendar = await AlpacaCalendar.load({
    keyId: alpaca.keyId,
    secretKey: alpaca.secretKey,
    paper: alpaca.paper,
    tradingUrl: alpaca.tradingUrl,
    limiter: options.limiter,
    logger: options.logger,
    ...calendarWindow(now(), options.aheadDays),
  });
  options.logger.info({ calendar: calendar.source, reason: calendar.fallbackReason }, "market sessions from Alpaca's calendar");
  const timer = setInterval(() => {
    const { from, to } = calendarWindow(now(), options.aheadDays);
    void calendar.refresh(from, to); // never rejects: a failure is logged and the loaded days stay
  }, DAY_MS);
  timer.unref();
  return { calendar, stop: () => clearInterval(timer) };
}
