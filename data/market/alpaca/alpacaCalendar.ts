/**
 * The market calendar from Alpaca's `/v2/calendar` (and the clock from `/v2/clock`), so unscheduled
 * closures and changed hours that the embedded table cannot know are honoured when live.
 *
 * `MarketCalendar.sessionFor` is synchronous, so a range of dates is loaded up front (`load`, and
 * `refresh` to extend it). When Alpaca cannot answer, or a date lies outside the loaded range, the
 * embedded NYSE table answers and that is logged: the server keeps running on the schedule it knows.
 */
import type { Logger } from 'pino';
import { embeddedCalendar, type MarketCalendar, type Session } from '../calendar.ts';
import { newYorkWallTimeToEpoch } from '../newYorkTime.ts';
import { createAlpacaClient } from './alpacaClient.ts';
import type { AlpacaLimiter } from './alpacaFetch.ts';

export type AlpacaCalendarLog = Pick<Logger, 'info' | 'warn'>;

export interface AlpacaCalendarOptions {
  keyId: string;
  secretKey: string;
  paper: boolean;
  /** The calendar and clock are trading-API endpoints: `ALPACA_TRADING_URL`. */
  tradingUrl: string;
  limiter: AlpacaLimiter;
  logger: AlpacaCalendarLog;
  requestTimeoutMs?: number;
  getRetries?: number;
}

export interface AlpacaClock {
  timestamp: number;
  isOpen: boolean;
  nextOpen: number;
  nextClose: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const HOUR_MINUTE = /^(\d{2}):(\d{2})$/;

function dateOf(value: Date | string): string {
  return typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10);
}

/** One `/v2/calendar` day ("09:30"/"16:00" New York) as a Session; throws on a malformed day. */
export function sessionFromAlpacaDay(day: { date: Date | string; open: string; close: string }): Session {
  const date = dateOf(day.date);
  const open = HOUR_MINUTE.exec(day.open);
  const close = HOUR_MINUTE.exec(day.close);
  if (!DATE.test(date) || open === null || close === null) {
    throw new RangeError(`Alpaca calendar day ${JSON.stringify(day)} is not {date: YYYY-MM-DD, open: HH:MM, close: HH:MM}`);
  }
  return {
    date,
    open: newYorkWallTimeToEpoch(date, Number(open[1]), Number(open[2])),
    close: newYorkWallTimeToEpoch(date, Number(close[1]), Number(close[2])),
  };
}

export class AlpacaCalendar implements MarketCalendar {
  readonly #client: ReturnType<typeof createAlpacaClient>['trading'];
  readonly #log: AlpacaCalendarLog;
  /** Sessions by date for the loaded range; dates in range and absent here are closed. */
  readonly #sessions = new Map<string, Session>();
  readonly #loadedRanges: Array<{ from: string; to: string }> = [];
  readonly #warnedDates = new Set<string>();
  /** Where the most recent load came from. */
  source: 'alpaca' | 'embedded' = 'embedded';
  /** Why the last load fell back to the embedded table, null when Alpaca answered. */
  fallbackReason: string | null = null;

  private constructor(options: AlpacaCalendarOptions) {
    this.#log = options.logger;
    this.#client = createAlpacaClient({
      keyId: options.keyId,
      secretKey: options.secretKey,
      paper: options.paper,
      baseUrl: options.tradingUrl,
      limiter: options.limiter,
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.getRetries === undefined ? {} : { getRetries: options.getRetries }),
    }).trading;
  }

  /** Loads `[from, to]` (New York dates, `YYYY-MM-DD`); never rejects for Alpaca's sake (falls back, logged). */
  static async load(options: AlpacaCalendarOptions & { from: string; to: string }): Promise<AlpacaCalendar> {
    const calendar = new AlpacaCalendar(options);
    await calendar.refresh(options.from, options.to);
    return calendar;
  }

  async refresh(from: string, to: string): Promise<void> {
    if (!DATE.test(from) || !DATE.test(to) || from > to) throw new RangeError(`calendar range must be two dates YYYY-MM-DD in order, got ${from}..${to}`);
    try {
      const days = await this.#client.calendar.legacyCalendar({ start: new Date(`${from}T00:00:00Z`), end: new Date(`${to}T00:00:00Z`) });
      const sessions = days.map(sessionFromAlpacaDay).filter((session) => session.date >= from && session.date <= to);
      for (const [date] of this.#sessions) if (date >= from && date <= to) this.#sessions.delete(date);
      for (const session of sessions) this.#sessions.set(session.date, session);
      this.#loadedRanges.push({ from, to });
      this.source = 'alpaca';
      this.fallbackReason = null;
      this.#logDifferences(from, to);
    } catch (error) {
      this.source = 'embedded';
      this.fallbackReason = error instanceof Error ? error.message : String(error);
      this.#log.warn({ calendar: 'alpaca', from, to, reason: this.fallbackReason }, 'Alpaca calendar unavailable; using the embedded NYSE calendar for these dates');
    }
  }

  sessionFor(date: string): Session | null {
    if (this.#loadedRanges.some((range) => date >= range.from && date <= range.to)) return this.#sessions.get(date) ?? null;
    if (!this.#warnedDates.has(date) && this.source === 'alpaca') {
      this.#warnedDates.add(date);
      this.#log.warn({ calendar: 'alpaca', date }, 'date outside the loaded Alpaca calendar; answering from the embedded NYSE calendar');
    }
    return embeddedCalendar.sessionFor(date);
  }

  /** Alpaca's market clock (`/v2/clock`). */
  async clock(): Promise<AlpacaClock> {
    const clock = await this.#client.clock.legacyClock();
    return { timestamp: clock.timestamp.getTime(), isOpen: clock.isOpen, nextOpen: clock.nextOpen.getTime(), nextClose: clock.nextClose.getTime() };
  }

  /** Unscheduled closures and changed hours are worth an operator's eye. */
  #logDifferences(from: string, to: string): void {
    const differences: string[] = [];
    for (let date = from; date <= to; date = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)) {
      let embedded: Session | null;
      try {
        embedded = embeddedCalendar.sessionFor(date);
      } catch {
        continue; // outside the embedded table's years: nothing to compare
      }
      const alpaca = this.#sessions.get(date) ?? null;
      if (embedded?.open !== alpaca?.open || embedded?.close !== alpaca?.close) differences.push(date);
    }
    if (differences.length > 0) {
      this.#log.info({ calendar: 'alpaca', dates: differences }, 'Alpaca calendar differs from the embedded NYSE table on these dates; following Alpaca');
    }
  }
}
