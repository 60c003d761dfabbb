import type { Bar } from './bar.ts';

/**
 * The bars of one market minute, as every market-data source (CSV replay, simulator, Alpaca)
 * delivers them to the minute tick. All teams receive the identical snapshot.
 */
export interface MinuteSnapshot {
  /**
   * Epoch ms (UTC) of the START of the minute. Its bars closed at `minute + 60_000`, so a snapshot
   * for `minute` can be complete only from `minute + 60_000` on.
   */
  minute: number;
  /**
   * One bar per requested symbol that traded in the minute, keyed by symbol, inserted in symbol
   * order (so iteration is reproducible). A symbol without a bar is absent, never filled with a
   * made-up bar. Every bar's `timestamp` equals `minute`. Treat the map and the bars as read-only:
   * a source may hand the same objects to several callers.
   */
  bars: Map<string, Bar>;
  /** Name of the source that produced the bars (`replay`, `simulator`, `alpaca`, …). */
  source: string;
  /**
   * True when the source could not get fresh data and answered from a fallback (a cache, the last
   * known bars); `staleReason` then says why, in words an operator can act on. Consumers must log
   * and show it, and may decide not to trade on stale data.
   */
  stale: boolean;
  staleReason?: string;
}

/** Where the minute tick gets its bars. */
export interface MarketDataSource {
  /** Short, stable name, copied into every snapshot's `source`. */
  readonly name: string;
  /**
   * The bars of the minute starting at `minute` (a whole minute, epoch ms) for `symbols`.
   * Symbols that did not trade (or that the source does not know) are absent from `bars`; a minute
   * outside any session gives an empty map. Rejects only when the source can give nothing at all
   * (not even a stale fallback).
   */
  barsForMinute(minute: number, symbols: readonly string[]): Promise<MinuteSnapshot>;
}

/**
 * A source that can also replay a range of minutes, for backtests. Kept separate from
 * `MarketDataSource` because a live feed need not support it; `hasMinuteStream` tells them apart.
 */
export interface MinuteStream {
  /**
   * Snapshots of the minutes starting in `[fromMs, toMs)`, ascending, for `symbols`. Minutes in
   * which none of the symbols has a bar are skipped (so outside sessions nothing is yielded).
   * Each snapshot equals what `barsForMinute` gives for the same minute and symbols.
   */
  minutes(fromMs: number, toMs: number, symbols: readonly string[]): AsyncIterable<MinuteSnapshot>;
}

export type HistoricalMarketDataSource = MarketDataSource & MinuteStream;

export function hasMinuteStream(source: MarketDataSource): source is HistoricalMarketDataSource {
  return typeof (source as Partial<MinuteStream>).minutes === 'function';
}

/**
 * A synchronous sequence of snapshots as a `MinuteStream` result, for sources that hold or compute
 * their bars in memory. The walk starts on the first `next()`, and anything it throws becomes a
 * rejection of that `next()`, as an async generator would behave.
 */
export function asyncSnapshots(walk: () => Iterable<MinuteSnapshot>): AsyncIterable<MinuteSnapshot> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<MinuteSnapshot> {
      let iterator: Iterator<MinuteSnapshot> | undefined;
      return {
        next(): Promise<IteratorResult<MinuteSnapshot>> {
          try {
            iterator ??= walk()[Symbol.iterator]();
            return Promise.resolve(iterator.next());
          } catch (error) {
            return Promise.reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
        return(): Promise<IteratorResult<MinuteSnapshot>> {
          iterator?.return?.();
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
}
