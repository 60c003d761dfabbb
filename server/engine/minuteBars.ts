/**
 * The minute's bars taken in once, in the forms the engine hands on: the last known price of every
 * symbol, and the sandbox's encoding (sorted symbols, six numbers each), from which the pool stores the
 * minute without encoding it again. One pass over the bars, and no per-symbol record of them: with 400
 * symbols, a record's stores were the largest share of the engine's own time.
 *
 * Consecutive minutes nearly always carry the same symbols in the same order: then the symbol lists
 * are reused rather than built and sorted each minute.
 */
import type { Bar } from '../../data/market/bar.ts';
import type { EncodedBars } from '../../sandbox/index.ts';

/** Numbers per bar in an encoding: timestamp, open, high, low, close, volume. */
const FIELDS = 6;

export class MinuteBars {
  /**
   * Every symbol's last close, carried forward for symbols without a bar this minute (sparse data), as
   * lists in the order of a record's keys (what `Object.keys` gives for the record of these prices:
   * integer-like symbols first, then the others as they first came), for the sandbox. The values are
   * updated in place; the keys are a new list when a symbol first comes. No record is kept up to date:
   * at 400 symbols its stores (each a hash lookup in a dictionary-mode object) were a tenth of the
   * engine's own time, and the engine only ever looks up the symbols it trades or holds (`priceOf`).
   */
  readonly prices: { keys: readonly string[]; values: Float64Array } = { keys: [], values: new Float64Array(0) };
  /** The symbols seen so far as a record's keys, to learn their order from (the values are unused). */
  readonly #order: Record<string, true> = {};
  /** Where the price of each of #keys sits in prices.values. */
  #priceSlot = new Int32Array(0);
  /** Each symbol's place in prices (changes only when a symbol first comes). */
  #priceAt = new Map<string, number>();
  /** Last minute's symbols in the order the map gave them. */
  #keys: string[] = [];
  /** The same symbols sorted, and where each of #keys lands in that order. */
  #sorted: readonly string[] = [];
  #slot = new Int32Array(0);

  /** A symbol's last price, or undefined when it never had a bar. */
  priceOf(symbol: string): number | undefined {
    const at = this.#priceAt.get(symbol);
    return at === undefined ? undefined : this.prices.values[at];
  }

  /** The last prices as a record, in their key order (a new object). */
  pricesRecord(): Record<string, number> {
    const { keys, values } = this.prices;
    const record: Record<string, number> = {};
    for (let i = 0; i < keys.length; i++) record[keys[i] ?? ''] = values[i] ?? NaN;
    return record;
  }

  /** Updates the last prices; the minute encoded for the sandbox, in a fresh `values` array (the pool keeps it). */
  take(bars: ReadonlyMap<string, Bar>): EncodedBars {
    if (!this.#sameKeys(bars)) this.#rekey(bars);
    const values = new Float64Array(this.#keys.length * FIELDS);
    const priceValues = this.prices.values;
    const priceSlot = this.#priceSlot;
    const slot = this.#slot;
    let index = 0;
    for (const bar of bars.values()) {
      priceValues[priceSlot[index] ?? 0] = bar.close;
      const at = (slot[index] ?? 0) * FIELDS;
      values[at] = bar.timestamp;
      values[at + 1] = bar.open;
      values[at + 2] = bar.high;
      values[at + 3] = bar.low;
      values[at + 4] = bar.close;
      values[at + 5] = bar.volume;
      index++;
    }
    return { symbols: this.#sorted, values };
  }

  #sameKeys(bars: ReadonlyMap<string, Bar>): boolean {
    if (bars.size !== this.#keys.length) return false;
    let index = 0;
    for (const symbol of bars.keys()) if (symbol !== this.#keys[index++]) return false;
    return true;
  }

  #rekey(bars: ReadonlyMap<string, Bar>): void {
    this.#keys = [...bars.keys()];
    // Plain string order, as the sandbox stores a minute (its window and `Object.keys(bars)` follow it).
    const sorted = [...this.#keys].sort();
    const position = new Map(sorted.map((symbol, index) => [symbol, index]));
    this.#sorted = sorted;
    this.#slot = Int32Array.from(this.#keys, (symbol) => position.get(symbol) ?? 0);
    this.#placePrices();
  }

  /** Gives the symbols first seen this minute their place in the prices' key order. */
  #placePrices(): void {
    const order = this.#order;
    let added = false;
    for (const symbol of this.#keys) {
      if (Object.hasOwn(order, symbol)) continue;
      order[symbol] = true;
      added = true;
    }
    if (added) {
      // The record's own key order, whatever the keys (an integer-like key would come first).
      const keys = Object.keys(order);
      const last = this.prices;
      // Set by take right after, with every other price of the minute.
      const values = new Float64Array(keys.length).fill(NaN);
      for (let i = 0; i < keys.length; i++) {
        const was = this.#priceAt.get(keys[i] ?? '');
        if (was !== undefined) values[i] = last.values[was] ?? NaN;
      }
      this.prices.keys = keys;
      this.prices.values = values;
      this.#priceAt = new Map(keys.map((symbol, index) => [symbol, index]));
    }
    const at = this.#priceAt;
    this.#priceSlot = Int32Array.from(this.#keys, (symbol) => at.get(symbol) ?? 0);
  }
}
