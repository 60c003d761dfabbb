/**
 * Alpaca market data as a MarketDataSource: multi-symbol `1Min` bars (one request for all symbols,
 * following Alpaca's page tokens), the IEX feed by default, latest bars, a cache of closed minutes,
 * and a stale-data fallback: when Alpaca cannot answer, the minute is served from the last bars
 * known, marked `stale` with the reason, logged, and counted in `stats()`.
 */
import type { Logger } from 'pino';
import { findBarProblem, isWholeMinute, MINUTE_MS, type Bar } from '../bar.ts';
import { groupByMinute } from '../minutes.ts';
import type { HistoricalMarketDataSource, MinuteSnapshot } from '../source.ts';
import { createAlpacaClient } from './alpacaClient.ts';
import type { AlpacaLimiter } from './alpacaFetch.ts';

export type AlpacaMarketDataLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface AlpacaMarketDataOptions {
  keyId: string;
  secretKey: string;
  /** `ALPACA_DATA_URL`. */
  dataUrl: string;
  /** `ALPACA_FEED`: `iex` (free) or `sip` (paid subscription). */
  feed: 'iex' | 'sip';
  /** Alpaca's limit is per account: share the broker's bucket. */
  limiter: AlpacaLimiter;
  logger: AlpacaMarketDataLog;
  requestTimeoutMs?: number;
  /** Bars per page (Alpaca: at most 10,000, default 1,000). */
  pageLimit?: number;
  /** A minute is cached only once it closed this long ago (Alpaca may still amend a just-closed bar). Default 60 s. */
  settleMs?: number;
  /** Closed minutes kept in memory. Default 2 sessions' worth. */
  cacheMinutes?: number;
  getRetries?: number;
  now?: () => number;
}

export interface StaleEvent {
  at: number;
  minute: number;
  reason: string;
}

export interface AlpacaMarketDataStats {
  requests: number;
  cacheHits: number;
  /** Snapshots served from the fallback since start; surface it (health page, metrics). */
  staleSnapshots: number;
  lastStale: StaleEvent | null;
  /** Bars Alpaca sent that failed validation and were dropped. */
  rejectedBars: number;
}

interface CachedMinute {
  /** Symbols asked for this minute (a symbol asked for and absent did not trade). */
  asked: Set<string>;
  bars: Map<string, Bar>;
}

interface RawBar {
  t: unknown;
  o: unknown;
  h: unknown;
  l: unknown;
  c: unknown;
  v: unknown;
}

function sortedUnique(symbols: readonly string[]): string[] {
  return [...new Set(symbols)].sort();
}

export class AlpacaMarketData implements HistoricalMarketDataSource {
  readonly name = 'alpaca';
  readonly feed: 'iex' | 'sip';
  readonly #stocks: ReturnType<typeof createAlpacaClient>['marketData']['stocks'];
  readonly #log: AlpacaMarketDataLog;
  readonly #now: () => number;
  readonly #pageLimit: number;
  readonly #settleMs: number;
  readonly #cacheMinutes: number;
  readonly #cache = new Map<number, CachedMinute>();
  readonly #lastBar = new Map<string, Bar>();
  readonly #stats: AlpacaMarketDataStats = { requests: 0, cacheHits: 0, staleSnapshots: 0, lastStale: null, rejectedBars: 0 };

  constructor(options: AlpacaMarketDataOptions) {
    this.feed = options.feed;
    this.#log = options.logger;
    this.#now = options.now ?? Date.now;
    this.#pageLimit = options.pageLimit ?? 10_000;
    this.#settleMs = options.settleMs ?? 60_000;
    this.#cacheMinutes = options.cacheMinutes ?? 2 * 390;
    this.#stocks = createAlpacaClient({
      keyId: options.keyId,
      secretKey: options.secretKey,
      paper: true,
      baseUrl: options.dataUrl,
      limiter: options.limiter,
      onRequest: () => {
        this.#stats.requests += 1;
      },
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.getRetries === undefined ? {} : { getRetries: options.getRetries }),
    }).marketData.stocks;
  }

  stats(): AlpacaMarketDataStats {
    return { ...this.#stats };
  }

  async barsForMinute(minute: number, symbols: readonly string[]): Promise<MinuteSnapshot> {
    if (!isWholeMinute(minute)) throw new RangeError(`minute ${String(minute)} is not the start of a whole minute (epoch ms)`);
    const wanted = sortedUnique(symbols);
    const cached = this.#cache.get(minute);
    const missing = wanted.filter((symbol) => cached?.asked.has(symbol) !== true);
    if (missing.length === 0 && cached !== undefined) {
      this.#stats.cacheHits += 1;
      return this.#snapshot(minute, wanted, cached.bars);
    }
    let fresh: Bar[];
    try {
      fresh = await this.fetchBars(missing, minute, minute + MINUTE_MS);
    } catch (error) {
      return this.#staleSnapshot(minute, wanted, error);
    }
    const bars = new Map(cached?.bars ?? []);
    for (const bar of fresh) if (bar.timestamp === minute) bars.set(bar.symbol, bar);
    if (this.#now() >= minute + MINUTE_MS + this.#settleMs) {
      this.#remember(minute, { asked: new Set([...(cached?.asked ?? []), ...missing]), bars });
    }
    return this.#snapshot(minute, wanted, bars);
  }

  /** Historical minutes for backtests: fetched in one paginated request per range, grouped by minute. */
  async *minutes(fromMs: number, toMs: number, symbols: readonly string[]): AsyncIterable<MinuteSnapshot> {
    if (!isWholeMinute(fromMs) || !isWholeMinute(toMs)) throw new RangeError('fromMs and toMs must be whole minutes (epoch ms)');
    const wanted = sortedUnique(symbols);
    const bars = await this.fetchBars(wanted, fromMs, toMs);
    for (const { minute, bars: minuteBars } of groupByMinute(bars)) {
      yield this.#snapshot(minute, wanted, minuteBars);
    }
  }

  /**
   * All `1Min` bars of `symbols` starting in `[fromMs, toMs)`, following `next_page_token` until
   * Alpaca has no more. Invalid bars are dropped and counted, never passed on.
   */
  async fetchBars(symbols: readonly string[], fromMs: number, toMs: number): Promise<Bar[]> {
    const wanted = sortedUnique(symbols);
    if (wanted.length === 0 || toMs <= fromMs) return [];
    const bars: Bar[] = [];
    const seenTokens = new Set<string>();
    let pageToken: string | undefined;
    for (;;) {
      let response;
      try {
        response = await this.#stocks.stockBars({
          symbols: wanted.join(','),
          timeframe: '1Min',
          start: new Date(fromMs),
          // Alpaca's `end` is inclusive; the last minute we want starts one minute before `toMs`.
          end: new Date(toMs - MINUTE_MS),
          limit: this.#pageLimit,
          feed: this.feed,
          sort: 'asc',
          ...(pageToken === undefined ? {} : { pageToken }),
        });
      } catch (error) {
        throw new Error(`Alpaca bars for ${wanted.join(',')}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      for (const [symbol, list] of Object.entries(response.bars ?? {})) {
        for (const raw of list as unknown as RawBar[]) {
          const bar = this.#toBar(symbol, raw);
          if (bar !== null) bars.push(bar);
        }
      }
      const next = response.nextPageToken;
      if (next === null || next === undefined || next === '' || seenTokens.has(next)) break;
      seenTokens.add(next);
      pageToken = next;
    }
    for (const bar of bars) {
      const last = this.#lastBar.get(bar.symbol);
      if (last === undefined || last.timestamp < bar.timestamp) this.#lastBar.set(bar.symbol, bar);
    }
    return bars;
  }

  /** Each symbol's most recent completed bar on the feed (symbols without one are absent). */
  async latestBars(symbols: readonly string[]): Promise<Map<string, Bar>> {
    const wanted = sortedUnique(symbols);
    const result = new Map<string, Bar>();
    if (wanted.length === 0) return result;
    let response;
    try {
      response = await this.#stocks.stockLatestBars({ symbols: wanted.join(','), feed: this.feed });
    } catch (error) {
      throw new Error(`Alpaca latest bars for ${wanted.join(',')}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    for (const symbol of wanted) {
      const raw = (response.bars as Record<string, RawBar | undefined> | undefined)?.[symbol];
      const bar = raw === undefined ? null : this.#toBar(symbol, raw);
      if (bar !== null) result.set(symbol, bar);
    }
    return result;
  }

  #toBar(symbol: string, raw: RawBar): Bar | null {
    const timestamp = raw.t instanceof Date ? raw.t.getTime() : typeof raw.t === 'string' ? Date.parse(raw.t) : Number.NaN;
    const bar: Bar = { symbol, timestamp, open: Number(raw.o), high: Number(raw.h), low: Number(raw.l), close: Number(raw.c), volume: Number(raw.v) };
    const problem = findBarProblem(bar);
    if (problem === null) return bar;
    this.#stats.rejectedBars += 1;
    this.#log.warn({ source: 'alpaca', symbol, field: problem.field, problem: problem.message }, 'dropped an invalid bar from Alpaca');
    return null;
  }

  #snapshot(minute: number, wanted: readonly string[], bars: ReadonlyMap<string, Bar>): MinuteSnapshot {
    const selected = new Map<string, Bar>();
    for (const symbol of wanted) {
      const bar = bars.get(symbol);
      if (bar !== undefined) selected.set(symbol, bar);
    }
    return { minute, bars: selected, source: this.name, stale: false };
  }

  /**
   * Alpaca failed: the last bars we know of each symbol, flagged stale. The bars keep their own
   * (older) timestamps: relabelling them as this minute's would make old prices look current.
   */
  #staleSnapshot(minute: number, wanted: readonly string[], error: unknown): MinuteSnapshot {
    const why = error instanceof Error ? error.message : String(error);
    const bars = new Map<string, Bar>();
    for (const symbol of wanted) {
      const bar = this.#lastBar.get(symbol);
      if (bar !== undefined) bars.set(symbol, bar);
    }
    if (bars.size === 0) {
      throw new Error(`no bars for the minute ${new Date(minute).toISOString()}: ${why}; and no earlier bars of ${wanted.join(',')} to fall back on`, { cause: error });
    }
    const newest = Math.max(...[...bars.values()].map((bar) => bar.timestamp));
    const reason = `Alpaca did not answer (${why}); serving the last known bars, the newest from ${new Date(newest).toISOString()}`;
    const event: StaleEvent = { at: this.#now(), minute, reason };
    this.#stats.staleSnapshots += 1;
    this.#stats.lastStale = event;
    this.#log.warn({ source: 'alpaca', minute: new Date(minute).toISOString(), staleSnapshots: this.#stats.staleSnapshots, reason }, 'serving stale market data');
    return { minute, bars, source: this.name, stale: true, staleReason: reason };
  }

  #remember(minute: number, entry: CachedMinute): void {
    this.#cache.delete(minute);
    this.#cache.set(minute, entry);
    while (this.#cache.size > this.#cacheMinutes) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
  }
}
