import { type Bar, isWholeMinute, MINUTE_MS, SYMBOL_PATTERN } from './bar.ts';
import { embeddedCalendar, type MarketCalendar, newYorkDate, type Session } from './calendar.ts';
import { generateSessionPath, pinnedShocks, type SessionPath } from './simulatorPaths.ts';
import {
  intradayShape,
  type MarketSimulatorOptions,
  resolveSimulatorOptions,
  type ResolvedSimulatorOptions,
  type ResolvedSymbolProfile,
  resolveSymbolProfile,
} from './simulatorProfile.ts';
import { SeededRandom } from './simulatorRandom.ts';
import { asyncSnapshots, type HistoricalMarketDataSource, type MinuteSnapshot } from './source.ts';

export type { MarketSimulatorOptions, SimulatedSymbolProfile } from './simulatorProfile.ts';
export { SimulatorConfigError } from './simulatorProfile.ts';

/*
 * The model. Each symbol's log price follows a random walk whose shocks are a one-factor-plus-sector
 * mix: shock = √ρm·market + √ρs·sector + √(1−ρm−ρs)·own, with unit-variance independent factors,
 * so two symbols' minute returns correlate by ρm (ρm + ρs within a sector). Every session:
 *  - the overnight gap (a share of the daily variance) moves the open away from the last close;
 *  - the session's total return is drawn first, per factor, from a daily stream that runs forward
 *    from the anchor session — cheap enough to walk years of sessions without minute paths;
 *  - the minute path is then drawn from the stream of that (factor or symbol, session) and pinned
 *    to the total (see `pinnedShocks`), with U-shaped intraday volatility and volume.
 * So a bar depends only on the seed, its symbol's profile, its session and its minute: the same
 * whatever else is requested, and in whatever order.
 */

const FULL_SESSION_MINUTES = 390;
const TRADING_DAYS_PER_YEAR = 252;

/** Unit normals of one factor for one session: the intraday total and the overnight gap before it. */
interface DailyDraw {
  sessionTotal: number;
  overnight: number;
}

/** A daily stream drawn forward from the anchor, so draw k is the same whenever it is asked for. */
class DailyStream {
  readonly #random: SeededRandom;
  readonly #draws: DailyDraw[] = [];

  constructor(random: SeededRandom) {
    this.#random = random;
  }

  at(index: number): DailyDraw {
    while (this.#draws.length <= index) this.#draws.push({ sessionTotal: this.#random.normal(), overnight: this.#random.normal() });
    return this.#draws[index] as DailyDraw;
  }
}

/** Sessions from the anchor on, indexed in order, extended as far as asked. */
class SessionBook {
  readonly #calendar: MarketCalendar;
  readonly #anchorDate: string;
  readonly #sessions: Session[] = [];
  readonly #indexByDate = new Map<string, number>();
  #nextDate: string;

  constructor(calendar: MarketCalendar, anchorDate: string) {
    this.#calendar = calendar;
    this.#anchorDate = anchorDate;
    this.#nextDate = anchorDate;
    if (calendar.sessionFor(anchorDate) === null) {
      throw new RangeError(`the simulator's anchorDate ${anchorDate} is not a trading session; choose a weekday that is not a market holiday`);
    }
  }

  get anchorDate(): string {
    return this.#anchorDate;
  }

  /** The index of the session on `date`, or null when the market is closed that day. */
  indexOf(date: string): number | null {
    if (date < this.#anchorDate) {
      throw new RangeError(`the simulated market starts on ${this.#anchorDate} (anchorDate); ${date} is before it`);
    }
    while (this.#nextDate <= date) this.#extend();
    return this.#indexByDate.get(date) ?? null;
  }

  at(index: number): Session {
    while (this.#sessions.length <= index) this.#extend();
    return this.#sessions[index] as Session;
  }

  #extend(): void {
    const session = this.#calendar.sessionFor(this.#nextDate);
    if (session !== null) {
      this.#indexByDate.set(session.date, this.#sessions.length);
      this.#sessions.push(session);
    }
    const [year, month, day] = this.#nextDate.split('-').map(Number) as [number, number, number];
    this.#nextDate = new Date(Date.UTC(year, month - 1, day + 1)).toISOString().slice(0, 10);
  }
}

/** Per symbol: its profile, its daily stream, and its log opening price per session index. */
interface SymbolState {
  profile: ResolvedSymbolProfile;
  daily: DailyStream;
  /** logOpens[k] = log of the opening price of session k (after its overnight gap). */
  logOpens: number[];
}

interface GeneratedSession {
  session: Session;
  index: number;
  minutes: number;
  marketShocks: Float64Array;
  sectorShocks: Map<string, Float64Array>;
  paths: Map<string, SessionPath>;
}

export interface SessionRange {
  /** Opening bell of the first session. */
  fromMs: number;
  /** Closing bell of the last session: `minutes(fromMs, toMs, …)` covers them all. */
  toMs: number;
  sessions: Session[];
}

/**
 * A seeded, deterministic market: correlated geometric random walks with realistic intraday
 * volatility and volume, overnight gaps, bars only inside NYSE sessions (half days end at 13:00).
 */
export class MarketSimulator implements HistoricalMarketDataSource {
  readonly name = 'simulator';
  readonly options: ResolvedSimulatorOptions;
  readonly #calendar: MarketCalendar;
  readonly #sessions: SessionBook;
  readonly #marketDaily: DailyStream;
  readonly #sectorDaily = new Map<string, DailyStream>();
  readonly #symbols = new Map<string, SymbolState>();
  /** Generated sessions, least recently used first. */
  readonly #generated = new Map<number, GeneratedSession>();

  constructor(options: MarketSimulatorOptions) {
    this.options = resolveSimulatorOptions(options);
    this.#calendar = options.calendar ?? embeddedCalendar;
    this.#sessions = new SessionBook(this.#calendar, this.options.anchorDate);
    this.#marketDaily = new DailyStream(new SeededRandom(this.options.seed, 'market-daily'));
  }

  /** The profile a symbol is simulated with (given, or drawn from the seed). */
  profile(symbol: string): ResolvedSymbolProfile {
    return this.#symbol(symbol).profile;
  }

  /** `days` consecutive sessions starting on `firstDate` (or the next session after it; default: the anchor). */
  sessionRange(days: number, firstDate: string = this.options.anchorDate): SessionRange {
    if (!Number.isSafeInteger(days) || days < 1) throw new RangeError(`days must be a whole number of at least 1, got ${String(days)}`);
    const first = this.#firstSessionIndexFrom(firstDate);
    const sessions = Array.from({ length: days }, (_, k) => this.#sessions.at(first + k));
    return { fromMs: sessions[0]?.open ?? 0, toMs: sessions.at(-1)?.close ?? 0, sessions };
  }

  barsForMinute(minute: number, symbols: readonly string[]): Promise<MinuteSnapshot> {
    try {
      checkMinute('minute', minute);
      const wanted = checkedSymbols(symbols);
      const index = this.#sessions.indexOf(newYorkDate(minute));
      const session = index === null ? null : this.#sessions.at(index);
      if (index === null || session === null || minute < session.open || minute >= session.close) {
        return Promise.resolve(this.#snapshot(minute, new Map()));
      }
      return Promise.resolve(this.#snapshot(minute, this.#barsOf(this.#session(index), (minute - session.open) / MINUTE_MS, wanted)));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  minutes(fromMs: number, toMs: number, symbols: readonly string[]): AsyncIterable<MinuteSnapshot> {
    return asyncSnapshots(() => this.#walk(fromMs, toMs, symbols));
  }

  *#walk(fromMs: number, toMs: number, symbols: readonly string[]): Iterable<MinuteSnapshot> {
    checkMinute('fromMs', fromMs);
    checkMinute('toMs', toMs);
    const wanted = checkedSymbols(symbols);
    if (wanted.length === 0 || toMs <= fromMs) return;
    const fromDate = newYorkDate(fromMs);
    // A range may start before the simulated market does; it simply has no bars there.
    for (let index = this.#firstSessionIndexFrom(fromDate < this.#sessions.anchorDate ? this.#sessions.anchorDate : fromDate); ; index++) {
      const session = this.#sessions.at(index);
      if (session.open >= toMs) return;
      const generated = this.#session(index);
      const paths = wanted.map((symbol) => this.#path(generated, symbol));
      const start = Math.max(session.open, fromMs);
      const end = Math.min(session.close, toMs);
      for (let minute = start; minute < end; minute += MINUTE_MS) {
        yield this.#snapshot(minute, barsAt(minute, (minute - session.open) / MINUTE_MS, wanted, paths));
      }
    }
  }

  #firstSessionIndexFrom(date: string): number {
    for (let day = date; ; day = nextDate(day)) {
      const index = this.#sessions.indexOf(day);
      if (index !== null) return index;
    }
  }

  #snapshot(minute: number, bars: Map<string, Bar>): MinuteSnapshot {
    return { minute, bars, source: this.name, stale: false };
  }

  #barsOf(generated: GeneratedSession, offset: number, symbols: readonly string[]): Map<string, Bar> {
    const paths = symbols.map((symbol) => this.#path(generated, symbol));
    return barsAt(generated.session.open + offset * MINUTE_MS, offset, symbols, paths);
  }

  #symbol(symbol: string): SymbolState {
    let state = this.#symbols.get(symbol);
    if (state === undefined) {
      const profile = resolveSymbolProfile(this.options, symbol);
      state = { profile, daily: new DailyStream(new SeededRandom(this.options.seed, 'daily', symbol)), logOpens: [Math.log(profile.startPrice)] };
      this.#symbols.set(symbol, state);
    }
    return state;
  }

  #sectorStream(sector: string): DailyStream {
    let stream = this.#sectorDaily.get(sector);
    if (stream === undefined) {
      stream = new DailyStream(new SeededRandom(this.options.seed, 'sector-daily', sector));
      this.#sectorDaily.set(sector, stream);
    }
    return stream;
  }

  /** The symbol's unit shock totals for session k: the intraday total and the overnight gap. */
  #combinedDraw(state: SymbolState, index: number): DailyDraw {
    const { marketLoading, sectorLoading, idiosyncraticLoading, sector } = state.profile;
    const market = this.#marketDaily.at(index);
    const sectorDraw = sector === null ? { sessionTotal: 0, overnight: 0 } : this.#sectorStream(sector).at(index);
    const own = state.daily.at(index);
    return {
      sessionTotal: marketLoading * market.sessionTotal + sectorLoading * sectorDraw.sessionTotal + idiosyncraticLoading * own.sessionTotal,
      overnight: marketLoading * market.overnight + sectorLoading * sectorDraw.overnight + idiosyncraticLoading * own.overnight,
    };
  }

  /** Expected log return and its standard deviation, for a session of `minutes` or the night before it. */
  #moments(profile: ResolvedSymbolProfile, minutes: number | 'overnight'): { drift: number; volatility: number } {
    const share = this.options.overnightVarianceShare;
    const dailyVariance = profile.annualVolatility ** 2 / TRADING_DAYS_PER_YEAR;
    const dailyLogDrift = (profile.annualDrift - profile.annualVolatility ** 2 / 2) / TRADING_DAYS_PER_YEAR;
    const part = minutes === 'overnight' ? share : (1 - share) * (minutes / FULL_SESSION_MINUTES);
    return { drift: dailyLogDrift * part, volatility: Math.sqrt(dailyVariance * part) };
  }

  #logOpen(state: SymbolState, index: number): number {
    while (state.logOpens.length <= index) {
      const k = state.logOpens.length - 1;
      const session = this.#sessions.at(k);
      const intraday = this.#moments(state.profile, (session.close - session.open) / MINUTE_MS);
      const overnight = this.#moments(state.profile, 'overnight');
      const previous = this.#combinedDraw(state, k);
      const next = this.#combinedDraw(state, k + 1);
      const logClose = (state.logOpens[k] ?? 0) + intraday.drift + intraday.volatility * previous.sessionTotal;
      state.logOpens.push(logClose + overnight.drift + overnight.volatility * next.overnight);
    }
    return state.logOpens[index] ?? NaN;
  }

  #session(index: number): GeneratedSession {
    const cached = this.#generated.get(index);
    if (cached !== undefined) {
      this.#generated.delete(index);
      this.#generated.set(index, cached);
      return cached;
    }
    const session = this.#sessions.at(index);
    const minutes = (session.close - session.open) / MINUTE_MS;
    const shape = intradayShape(minutes);
    const generated: GeneratedSession = {
      session,
      index,
      minutes,
      marketShocks: pinnedShocks(new SeededRandom(this.options.seed, 'market', session.date), shape.varianceWeights, this.#marketDaily.at(index).sessionTotal),
      sectorShocks: new Map(),
      paths: new Map(),
    };
    this.#generated.set(index, generated);
    while (this.#generated.size > this.options.cachedSessions) {
      const oldest = this.#generated.keys().next();
      if (oldest.done === true) break;
      this.#generated.delete(oldest.value);
    }
    return generated;
  }

  #path(generated: GeneratedSession, symbol: string): SessionPath {
    const existing = generated.paths.get(symbol);
    if (existing !== undefined) return existing;
    const state = this.#symbol(symbol);
    const { profile } = state;
    const shape = intradayShape(generated.minutes);
    const date = generated.session.date;
    let sectorShocks: Float64Array | null = null;
    if (profile.sector !== null) {
      sectorShocks = generated.sectorShocks.get(profile.sector) ?? null;
      if (sectorShocks === null) {
        const total = this.#sectorStream(profile.sector).at(generated.index).sessionTotal;
        sectorShocks = pinnedShocks(new SeededRandom(this.options.seed, 'sector', profile.sector, date), shape.varianceWeights, total);
        generated.sectorShocks.set(profile.sector, sectorShocks);
      }
    }
    const random = new SeededRandom(this.options.seed, 'intraday', symbol, date);
    const idiosyncraticShocks = pinnedShocks(random, shape.varianceWeights, state.daily.at(generated.index).sessionTotal);
    const { drift, volatility } = this.#moments(profile, generated.minutes);
    const path = generateSessionPath({
      logOpen: this.#logOpen(state, generated.index),
      drift,
      sessionVolatility: volatility,
      shape,
      marketShocks: generated.marketShocks,
      sectorShocks,
      idiosyncraticShocks,
      marketLoading: profile.marketLoading,
      sectorLoading: profile.sectorLoading,
      idiosyncraticLoading: profile.idiosyncraticLoading,
      baseMinuteVolume: profile.averageDailyVolume / FULL_SESSION_MINUTES,
      random,
    });
    generated.paths.set(symbol, path);
    return path;
  }
}

/** The bars of minute `offset` of a session; `paths[i]` belongs to `symbols[i]`, which are sorted. */
function barsAt(timestamp: number, offset: number, symbols: readonly string[], paths: readonly SessionPath[]): Map<string, Bar> {
  const bars = new Map<string, Bar>();
  for (let i = 0; i < symbols.length; i++) {
    const symbol = symbols[i] as string;
    const path = paths[i] as SessionPath;
    bars.set(symbol, {
      symbol,
      timestamp,
      open: path.open[offset] ?? NaN,
      high: path.high[offset] ?? NaN,
      low: path.low[offset] ?? NaN,
      close: path.close[offset] ?? NaN,
      volume: path.volume[offset] ?? NaN,
    });
  }
  return bars;
}

function checkMinute(name: string, epochMs: number): void {
  if (!isWholeMinute(epochMs)) throw new RangeError(`${name} ${String(epochMs)} is not the start of a whole minute (epoch ms)`);
}

function checkedSymbols(symbols: readonly string[]): string[] {
  for (const symbol of symbols) {
    if (!SYMBOL_PATTERN.test(symbol)) throw new RangeError(`cannot simulate ${JSON.stringify(symbol)}: not an upper-case ticker (A-Z, 0-9, '.')`);
  }
  return [...new Set(symbols)].sort();
}

function nextDate(date: string): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + 1)).toISOString().slice(0, 10);
}
