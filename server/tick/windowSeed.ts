/**
 * What a pool a worker creates mid-season must be fed so that its isolates see what those of a pool
 * that ran from the first stored minute see: each symbol's last `windowBars` bars, however old (a
 * symbol that trades sparsely, or stopped trading, keeps bars from long before the newest
 * `windowBars` minutes), and every symbol in order of first appearance (`Object.keys(bars)` in the
 * strategy follows it). The newest `windowBars` stored minutes fill the windows of the symbols with a
 * bar in each; the others' older bars are fetched per symbol (tickStore: `barsBefore`).
 */
import type { StoredBars } from './barsSnapshot.ts';
import { byCodeUnits } from '../codeUnitOrder.ts';

/** A symbol and the minute of its first stored bar. */
export interface SymbolDebut {
  symbol: string;
  minute: number;
}

/** A symbol whose window the newest stored minutes do not fill: how many older bars it lacks, and from when it has bars at all. */
export interface OlderBarsWanted {
  symbol: string;
  count: number;
  debut: number;
}

/** Minutes of bars as stored, oldest first. */
export interface StoredMinuteBars {
  minute: number;
  bars: StoredBars;
}

/**
 * The order in which a pool fed every stored minute meets the symbols: by the minute of their first
 * bar, and within a minute as the pool sorts a minute's symbols (by UTF-16 code units, `sort()`).
 */
export function debutOrder(debuts: readonly SymbolDebut[]): string[] {
  return [...debuts].sort((a, b) => a.minute - b.minute || byCodeUnits(a.symbol, b.symbol)).map((debut) => debut.symbol);
}

/**
 * The symbols with fewer than `windowBars` bars in `recent` (the newest stored minutes before the run,
 * oldest first) that have bars before them, and how many of those each window still holds.
 */
export function olderBarsWanted(debuts: readonly SymbolDebut[], recent: readonly StoredMinuteBars[], windowBars: number): OlderBarsWanted[] {
  const start = recent[0]?.minute;
  if (start === undefined) return [];
  const counts = new Map<string, number>();
  for (const { bars } of recent) for (const symbol of Object.keys(bars)) counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
  const wanted: OlderBarsWanted[] = [];
  for (const { symbol, minute } of debuts) {
    const count = windowBars - (counts.get(symbol) ?? 0);
    if (count > 0 && minute < start) wanted.push({ symbol, count, debut: minute });
  }
  return wanted;
}

/**
 * Gathers newest-first pages of stored minutes (each holding only wanted symbols' bars) into each
 * symbol's last `count` bars, grouped by minute; `done` once every symbol has its bars or the pages
 * have gone past the first bar of every symbol still short.
 */
export class OlderBarsCollector {
  readonly #short = new Map<string, OlderBarsWanted>();
  readonly #byMinute = new Map<number, StoredBars>();

  constructor(wanted: readonly OlderBarsWanted[]) {
    for (const want of wanted) if (want.count > 0) this.#short.set(want.symbol, { ...want });
  }

  /** The symbols still short of bars (to ask the next page for). */
  get symbols(): string[] {
    return [...this.#short.keys()];
  }

  /** The earliest minute a page still has to reach (the first bar of a symbol still short). */
  get floor(): number {
    let floor = Infinity;
    for (const want of this.#short.values()) floor = Math.min(floor, want.debut);
    return floor;
  }

  get done(): boolean {
    return this.#short.size === 0;
  }

  /** Takes one page, newest minute first. */
  add(page: readonly StoredMinuteBars[]): void {
    const oldest = page.at(-1)?.minute;
    for (const { minute, bars } of page) {
      for (const [symbol, bar] of Object.entries(bars)) {
        const want = this.#short.get(symbol);
        if (want === undefined) continue;
        let kept = this.#byMinute.get(minute);
        if (kept === undefined) {
          kept = {};
          this.#byMinute.set(minute, kept);
        }
        kept[symbol] = bar;
        want.count -= 1;
        if (want.count === 0) this.#short.delete(symbol);
      }
    }
    // A symbol whose first bar the page reached has no more to give.
    if (oldest !== undefined) for (const want of [...this.#short.values()]) if (oldest <= want.debut) this.#short.delete(want.symbol);
  }

  /** The bars gathered, oldest minute first. */
  minutes(): StoredMinuteBars[] {
    return [...this.#byMinute.entries()].sort(([a], [b]) => a - b).map(([minute, bars]) => ({ minute, bars }));
  }
}
