// The binary form in which a minute enters an isolate: one Float64Array per minute (and per
// "minutes not seen yet"), copied into each isolate as an ArrayBuffer — a memcpy, where a JSON
// string would be parsed again by every isolate. Symbols travel as indices into a table whose
// names an isolate learns once (see runtime/symbols.ts, decode.ts and windows.ts, which decode this layout).
//
// Layout (all float64):
//   minute, priceCount, (symbolIndex, price) × priceCount,      -- in the prices record's key order
//   lastSeq, symbolCount, (symbolIndex, n, t × n, o × n, h × n, l × n, c × n, v × n) × symbolCount
// The bars of the minutes not seen yet are grouped by symbol (symbols in order of first appearance,
// minute by minute) as six columns each, so the runtime copies the minutes an isolate missed with a
// few typed-array copies; a warm isolate's one minute is n = 1 for each symbol, its values in a row;
// a new isolate's symbols come with n = 0 (encodeWindows of empty windows).
import type { SymbolBars } from '../history.ts';
import { BAR_FIELDS, type MinuteEntry } from '../protocol.ts';
import type { EncodedPrices } from '../types.ts';

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
 * minutes (and the keys of consecutive prices) are nearly always the same list, often the same
 * array (lists handed to the pool are never written afterwards), and comparing interned strings is
 * much cheaper than hashing them again. A list of indices is never written once returned.
 */
export class IndexCache {
  readonly #symbols: SymbolTable;
  #source: readonly string[] | null = null;
  #names: readonly string[] = [];
  #indices: number[] = [];

  constructor(symbols: SymbolTable) {
    this.#symbols = symbols;
  }

  indicesOf(names: readonly string[]): readonly number[] {
    if (names === this.#source) return this.#indices;
    this.#source = names;
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

/**
 * One minute of bars as the host keeps it: the pool's values as they are (BAR_FIELDS per symbol),
 * and the symbols' indices. Not copied: the payload is written from them.
 */
export type EncodedMinute = [seq: number, minute: number, indices: readonly number[], values: ArrayLike<number>];

/** A warm isolate's row of one bar: symbolIndex, 1, six values. */
const ROW = 2 + BAR_FIELDS;

export function encodeMinute(entry: MinuteEntry, symbols: IndexCache): EncodedMinute {
  const [seq, minute, names, values] = entry;
  return [seq, minute, symbols.indicesOf(names), values];
}

/**
 * Where an encoder writes `length` numbers, every one of which it sets: a fresh array by default; a
 * caller that is done with the last result before asking again can hand out one buffer over and over
 * (at 400 symbols, allocating the minute's 25 KB cost more than writing it).
 */
export type NumbersFor = (length: number) => Float64Array;

const fresh: NumbersFor = (length) => new Float64Array(length);

/** The prices part of a payload: (symbolIndex, price) pairs in the record's key order. */
export function encodePrices({ keys, values }: EncodedPrices, symbols: IndexCache, numbersFor: NumbersFor = fresh): Float64Array {
  const indices = symbols.indicesOf(keys);
  const data = numbersFor(keys.length * 2);
  for (let i = 0; i < keys.length; i++) {
    data[2 * i] = indices[i] ?? NaN;
    data[2 * i + 1] = values[i] ?? NaN;
  }
  return data;
}

/**
 * Up to this many prices cross as JSON; more are filled into the object in the isolate. One
 * C++ parse beats filling a few keys in an isolate's cold code (a live isolate runs once a
 * minute), but JSON costs ~0.3 µs a price to write and parse, against ~0.03 µs for filling a
 * template in warm code (400 symbols in a backtest: ~135 µs a minute against ~13).
 */
export const PRICES_AS_JSON_MAX = 64;

/**
 * The prices record as JSON (what JSON.stringify gives for it), which the runtime parses into the strategy's `currentPrices` (one
 * engine call, where filling an object key by key runs in the isolate's cold code), or '' when
 * the runtime should read them from the payload: more than PRICES_AS_JSON_MAX prices, a value
 * JSON would not give back exactly (-0; a non-finite price, which the pool refuses anyway), or a
 * single reader. The JSON is written once for the `readers` teams of a batch; for one team alone
 * (a backtest's, every minute) writing it costs ~1 µs a price, more than the runtime's filling.
 */
export function pricesAsJson({ keys, values }: EncodedPrices, readers: number): string {
  if (readers < 2 || keys.length > PRICES_AS_JSON_MAX) return '';
  let json = '{';
  for (let i = 0; i < keys.length; i++) {
    const value = values[i];
    if (typeof value !== 'number' || !Number.isFinite(value) || Object.is(value, -0)) return '';
    // A finite number other than -0 is written by JSON.stringify as String(value).
    json += (i === 0 ? '' : ',') + JSON.stringify(keys[i]) + ':' + String(value);
  }
  return json + '}';
}

/**
 * A whole payload: the minute, its prices, and the bars of the given encoded minutes (oldest first), by
 * symbol. A warm isolate's usual payload (one minute) is written where `numbersFor` says; any other
 * into a fresh array.
 */
export function encodePayload(minute: number, prices: Float64Array, minutes: readonly EncodedMinute[], numbersFor: NumbersFor = fresh): Float64Array {
  const only = minutes.length === 1 ? minutes[0] : undefined;
  if (only !== undefined) return encodeOneMinute(minute, prices, only, numbersFor);
  let rowCount = 0;
  for (const [, , indices] of minutes) rowCount += indices.length;
  // Symbols in order of first appearance and their bar count: the runtime creates series in that order.
  const counts = new Map<number, number>();
  for (const [, , indices] of minutes) for (const symbol of indices) counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
  const payload = new Float64Array(2 + prices.length + 2 + counts.size * 2 + rowCount * BAR_FIELDS);
  let at = writeHead(payload, minute, prices, minutes.at(-1)?.[0] ?? 0, counts.size);
  // Where the next bar of each symbol goes: its field f lands at column start + f × n.
  const next = new Map<number, { at: number; n: number }>();
  for (const [symbol, n] of counts) {
    payload[at] = symbol;
    payload[at + 1] = n;
    next.set(symbol, { at: at + 2, n });
    at += 2 + n * BAR_FIELDS;
  }
  for (const [, , indices, values] of minutes) {
    for (let i = 0; i < indices.length; i++) {
      const slot = next.get(indices[i] ?? NaN);
      if (slot === undefined) throw new Error('unreachable: a symbol missing from the payload');
      for (let f = 0; f < BAR_FIELDS; f++) payload[slot.at + f * slot.n] = values[i * BAR_FIELDS + f] ?? NaN;
      slot.at++;
    }
  }
  return payload;
}

/**
 * A payload of given bars per symbol (sandbox/history.ts: windowsSince), symbols in the order given:
 * the layout of encodePayload's for several minutes, with `lastSeq` the history's.
 */
export function encodeWindows(minute: number, prices: Float64Array, lastSeq: number, windows: ReadonlyArray<SymbolBars<number>>): Float64Array {
  let length = 2 + prices.length + 2;
  for (const { count } of windows) length += 2 + count * BAR_FIELDS;
  const payload = new Float64Array(length);
  let at = writeHead(payload, minute, prices, lastSeq, windows.length);
  for (const { key, count, rows } of windows) {
    payload[at] = key;
    payload[at + 1] = count;
    at += 2;
    // Rows in, columns out: field f of bar i lands at f × count + i.
    for (let i = 0; i < count; i++) for (let f = 0; f < BAR_FIELDS; f++) payload[at + f * count + i] = rows[i * BAR_FIELDS + f] ?? NaN;
    at += count * BAR_FIELDS;
  }
  return payload;
}

/** A warm isolate's payload, every minute: one row per symbol (n = 1 for each). */
function encodeOneMinute(minute: number, prices: Float64Array, [seq, , indices, values]: EncodedMinute, numbersFor: NumbersFor): Float64Array {
  const count = indices.length;
  const payload = numbersFor(2 + prices.length + 2 + count * ROW);
  let at = writeHead(payload, minute, prices, seq, count);
  for (let i = 0, from = 0; i < count; i++, from += BAR_FIELDS, at += ROW) {
    payload[at] = indices[i] ?? NaN;
    payload[at + 1] = 1;
    payload[at + 2] = values[from] ?? NaN;
    payload[at + 3] = values[from + 1] ?? NaN;
    payload[at + 4] = values[from + 2] ?? NaN;
    payload[at + 5] = values[from + 3] ?? NaN;
    payload[at + 6] = values[from + 4] ?? NaN;
    payload[at + 7] = values[from + 5] ?? NaN;
  }
  return payload;
}

/** Writes the minute, its prices, the batch's last seq and its number of symbol groups; returns where the groups begin. */
function writeHead(payload: Float64Array, minute: number, prices: Float64Array, lastSeq: number, groups: number): number {
  payload[0] = minute;
  payload[1] = prices.length / 2;
  payload.set(prices, 2);
  const at = 2 + prices.length;
  payload[at] = lastSeq;
  payload[at + 1] = groups;
  return at + 2;
}
