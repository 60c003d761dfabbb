import { type Bar, isWholeMinute } from './bar.ts';
import { readBarsCsv } from './csvBars.ts';
import type { MinuteBars } from './minutes.ts';
import { replayMinutes, type ReplayOptions } from './replay.ts';
import { asyncSnapshots, type HistoricalMarketDataSource, type MinuteSnapshot } from './source.ts';

/** The first minute and the minute after the last one of a replay, `[first, end)`; null when it has no bars. */
export interface ReplayRange {
  first: number;
  end: number;
}

function checkMinute(name: string, epochMs: number): void {
  if (!isWholeMinute(epochMs)) throw new RangeError(`${name} ${String(epochMs)} is not the start of a whole minute (epoch ms)`);
}

function sortedUnique(symbols: readonly string[]): string[] {
  return [...new Set(symbols)].sort();
}

/**
 * Bars recorded in CSV files (or any list of bars) served through the market-data interface.
 * The bars are held in memory, grouped by minute once; a lookup is a map access, a range a binary
 * search. Replayed data is never stale: what the file holds is, by definition, the data.
 */
export class ReplaySource implements HistoricalMarketDataSource {
  readonly name = 'replay';
  /** Every symbol that has at least one bar in the replayed sessions, sorted. */
  readonly symbols: readonly string[];
  /** Where the replay's bars lie, for a backtest that wants all of it; null when there are none. */
  readonly range: ReplayRange | null;
  readonly #minutes: readonly MinuteBars[];
  readonly #byMinute: ReadonlyMap<number, MinuteBars>;

  /** `options.sessions` as in `replayMinutes`: `regular` (the default) drops pre- and post-market bars. */
  constructor(bars: readonly Bar[], options: ReplayOptions = { sessions: 'regular' }) {
    this.#minutes = replayMinutes(bars, options);
    this.#byMinute = new Map(this.#minutes.map((entry) => [entry.minute, entry]));
    const symbols = new Set<string>();
    for (const { bars: minuteBars } of this.#minutes) for (const symbol of minuteBars.keys()) symbols.add(symbol);
    this.symbols = [...symbols].sort();
    const first = this.#minutes[0];
    const last = this.#minutes.at(-1);
    this.range = first === undefined || last === undefined ? null : { first: first.minute, end: last.minute + 60_000 };
  }

  /** Reads and merges CSV files; a symbol's bar for one minute appearing in two files is an error. */
  static async fromCsvFiles(paths: readonly string[], options?: ReplayOptions): Promise<ReplaySource> {
    const perFile = await Promise.all(paths.map((path) => readBarsCsv(path)));
    try {
      return new ReplaySource(perFile.flat(), options);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot replay ${paths.join(', ')} together: ${reason}`, { cause: error });
    }
  }

  barsForMinute(minute: number, symbols: readonly string[]): Promise<MinuteSnapshot> {
    try {
      checkMinute('minute', minute);
      return Promise.resolve(this.#snapshot(minute, this.#byMinute.get(minute), sortedUnique(symbols)));
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
    const wanted = sortedUnique(symbols);
    for (let index = this.#firstIndexAtOrAfter(fromMs); index < this.#minutes.length; index++) {
      const entry = this.#minutes[index];
      if (entry === undefined || entry.minute >= toMs) return;
      const snapshot = this.#snapshot(entry.minute, entry, wanted);
      if (snapshot.bars.size > 0) yield snapshot;
    }
  }

  /** `symbols` sorted and unique, so the map is filled in symbol order. */
  #snapshot(minute: number, entry: MinuteBars | undefined, symbols: readonly string[]): MinuteSnapshot {
    const bars = new Map<string, Bar>();
    if (entry !== undefined) {
      for (const symbol of symbols) {
        const bar = entry.bars.get(symbol);
        if (bar !== undefined) bars.set(symbol, bar);
      }
    }
    return { minute, bars, source: this.name, stale: false };
  }

  #firstIndexAtOrAfter(epochMs: number): number {
    let low = 0;
    let high = this.#minutes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#minutes[middle]?.minute ?? Infinity) < epochMs) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
