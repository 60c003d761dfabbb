// The binary form in which a minute enters an isolate: one Float64Array per minute (and per
// "minutes not seen yet"), copied into each isolate as an ArrayBuffer — a memcpy, where a JSON
// string would be parsed again by every isolate. Symbols travel as indices into a table whose
// names an isolate learns once (see runtime/prelude.js, which decodes this layout).
//
// Layout (all float64):
//   minute, priceCount, (symbolIndex, price) × priceCount,      -- in the prices record's key order
//   entryCount, (seq, rowCount, (symbolIndex, t, o, h, l, c, v) × rowCount) × entryCount
import { BAR_FIELDS, type MinuteEntry } from '../protocol.ts';

/** Symbol names numbered in order of first appearance. */
export class SymbolTable {
  readonly names: string[] = [];
  readonly #index = new Map<string, number>();

  indexOf(name: string): number {
    let index = this.#index.get(name);
    if (index === undefined) {
      index = this.names.length;
      this.names.push(name);
      this.#index.set(name, index);
    }
    return index;
  }
}

/**
 * Maps lists of names to their indices, remembering the last list: the symbols of consecutive
 * minutes (and the keys of consecutive prices) are nearly always the same list, and comparing
 * interned strings is much cheaper than hashing them again.
 */
export class IndexCache {
  readonly #symbols: SymbolTable;
  #names: readonly string[] = [];
  #indices: number[] = [];

  constructor(symbols: SymbolTable) {
    this.#symbols = symbols;
  }

  indicesOf(names: readonly string[]): readonly number[] {
    const last = this.#names;
    let same = names.length === last.length;
    for (let i = 0; same && i < names.length; i++) same = names[i] === last[i];
    if (!same) {
      this.#names = [...names];
      this.#indices = names.map((name) => this.#symbols.indexOf(name));
    }
    return this.#indices;
  }
}

/** One minute of bars, encoded once when it reaches the host: [seq, minute, (seq, rowCount, rows…)]. */
export type EncodedMinute = [seq: number, minute: number, data: Float64Array];

const ROW = 1 + BAR_FIELDS;

export function encodeMinute(entry: MinuteEntry, symbols: IndexCache): EncodedMinute {
  const [seq, minute, names, values] = entry;
  const indices = symbols.indicesOf(names);
  const data = new Float64Array(2 + names.length * ROW);
  data[0] = seq;
  data[1] = names.length;
  let at = 2;
  for (let i = 0; i < names.length; i++) {
    data[at] = indices[i] ?? NaN;
    for (let f = 0; f < BAR_FIELDS; f++) data[at + 1 + f] = values[i * BAR_FIELDS + f] ?? NaN;
    at += ROW;
  }
  return [seq, minute, data];
}

/** The prices part of a payload: (symbolIndex, price) pairs in the record's key order. */
export function encodePrices(prices: Readonly<Record<string, number>>, symbols: IndexCache): Float64Array {
  const keys = Object.keys(prices);
  const indices = symbols.indicesOf(keys);
  const data = new Float64Array(keys.length * 2);
  for (let i = 0; i < keys.length; i++) {
    data[2 * i] = indices[i] ?? NaN;
    data[2 * i + 1] = prices[keys[i] ?? ''] ?? NaN;
  }
  return data;
}

/** A whole payload: the minute, its prices, and the given encoded minutes (oldest first). */
export function encodePayload(minute: number, prices: Float64Array, minutes: readonly EncodedMinute[]): Float64Array {
  let length = 2 + prices.length + 1;
  for (const [, , data] of minutes) length += data.length;
  const payload = new Float64Array(length);
  payload[0] = minute;
  payload[1] = prices.length / 2;
  payload.set(prices, 2);
  let at = 2 + prices.length;
  payload[at++] = minutes.length;
  for (const [, , data] of minutes) {
    payload.set(data, at);
    at += data.length;
  }
  return payload;
}
