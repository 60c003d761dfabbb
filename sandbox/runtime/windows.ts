// The bar windows: per symbol, the last `windowBars` bars in columns the strategy reads as
// zero-copy Float64Array views (`bars`), kept up to date from the minute's payload (applyBars).
//
// A column is stored only once the strategy reads it. Its first read asks the host for the
// column as it stands (the host keeps every symbol's window for the isolates of its process:
// sandbox/history.ts), which writes the values into this isolate's channel during the call; from
// then on the column takes each bar as it arrives. So an isolate holds the columns its strategy
// reads and nothing else: a new isolate is sent the symbols only, not the whole window of every
// symbol (six columns of 1,200 bars, ~60 KB a symbol), and a symbol never read costs it nothing
// but a check per minute. A column once stored stays stored, so a view the strategy keeps sees
// exactly what it would have if every column took every bar (a full window shifts under old views).
//
// Storage is allocated once at its final size, window + SLACK bars, per column: memory stays flat
// (no growth steps leaving garbage behind), and once full the live window is shifted down every
// SLACK appends (amortised O(window / SLACK) copies). The stored columns of a symbol share their
// positions (`start`, `end`): a column read later joins the others at the same bars.
import {
  ArrayBufferC,
  ArrayFrom,
  ErrorC,
  F64,
  MapC,
  MathMax,
  MathMin,
  ObjectDefineProperty,
  ObjectGetPrototypeOf,
  ReflectApply,
  TypedArrayCopyWithin,
  TypedArraySet,
} from './intrinsics.ts';
import { symbolNames } from './symbols.ts';
import { defineOwn } from './text.ts';

let windowBars = 1200;

export function setWindowBars(count: number): void {
  windowBars = count;
}

/**
 * The host's side of a first read: writes the n values of column `field` of symbol `index`'s window
 * (every bar up to this call, oldest first) at the start of the channel and returns n, or -1 when it
 * cannot. Set once, at setup; only this module holds it.
 */
type ColumnSource = (index: number, field: number) => number;
let columnSource: ColumnSource | null = null;
/**
 * The buffer of the channel the host writes a column into, which holds at least windowBars numbers
 * (kept as given: a typed array's `buffer` and `length` getters are the strategy's to replace).
 */
let sourceBuffer: ArrayBuffer | SharedArrayBuffer = new ArrayBufferC(0);

export function setColumnSource(source: ColumnSource): void {
  columnSource = source;
}

export function setColumnChannel(buffer: ArrayBuffer | SharedArrayBuffer): void {
  sourceBuffer = buffer;
}

const FIELDS = ['timestamp', 'open', 'high', 'low', 'close', 'volume'];

/** A copy of part of a symbol's window (sandbox/sdk/qtc.d.ts's BarSlice). */
export interface BarSlice {
  timestamp: number[];
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

const SLACK = 64;
/** `stored` with every column. */
const ALL_COLUMNS = 63;
export class Series {
  /** The symbol's index (symbols.ts), by which the host knows it. */
  declare index: number;
  declare cap: number;
  /** The window's positions in every stored column (meaningless while none is). */
  declare start: number;
  declare end: number;
  /** Columns (bit f: column f) held here and kept up to date. */
  declare stored: number;
  /** Column f, and its buffer, once stored (null until then). */
  declare cols: Array<Float64Array | null>;
  declare buffers: Array<ArrayBuffer | null>;
  // The views handed out since the last bar (null until asked for), and timestamp's number[].
  declare v1: Float64Array | null;
  declare v2: Float64Array | null;
  declare v3: Float64Array | null;
  declare v4: Float64Array | null;
  declare v5: Float64Array | null;
  declare times: number[] | null;
  constructor(index: number) {
    this.index = index;
    this.cap = windowBars + SLACK;
    this.start = 0;
    this.end = 0;
    this.stored = 0;
    this.cols = [null, null, null, null, null, null];
    this.buffers = [null, null, null, null, null, null];
    this.v1 = null;
    this.v2 = null;
    this.v3 = null;
    this.v4 = null;
    this.v5 = null;
    this.times = null;
  }
  /** Column f, stored (asked of the host on its first read). */
  column(f: number): Float64Array {
    if ((this.stored & (1 << f)) === 0) this.fetch(f);
    return this.cols[f]!;
  }
  /** Every column stored (team.api copies whole bars). */
  storeAll(): void {
    for (let f = 0; f < 6; f++) if ((this.stored & (1 << f)) === 0) this.fetch(f);
  }
  /** Takes column f of the window from the host, which holds every bar this isolate was sent. */
  fetch(f: number): void {
    const n = columnSource === null ? -1 : columnSource(this.index, f);
    if (!(n >= 0 && n <= windowBars)) {
      throw new ErrorC('the sandbox could not read the window of ' + symbolNames[this.index] + ' (a fault of the sandbox, not of the strategy)');
    }
    if (this.stored === 0) {
      this.start = 0;
      this.end = n;
    } else if (n !== this.end - this.start) {
      // The host's window and the stored columns always hold the same bars; should they ever
      // differ, the host's is right: the stored columns are dropped and asked for again when read.
      for (let g = 0; g < 6; g++) {
        this.cols[g] = null;
        this.buffers[g] = null;
      }
      this.stored = 0;
      this.start = 0;
      this.end = n;
      this.forget();
    }
    let col = this.cols[f];
    if (col === null || col === undefined) {
      const buffer = new ArrayBufferC(this.cap * 8);
      col = new F64(buffer);
      this.cols[f] = col;
      this.buffers[f] = buffer;
    }
    if (n > 0) ReflectApply(TypedArraySet, col, [new F64(sourceBuffer, 0, n), this.start]);
    this.stored |= 1 << f;
    this.forget();
  }
  /** Moves the newest `windowBars - n` bars to the front, making room for n more (n ≤ windowBars). */
  shift(n: number): void {
    const keep = MathMin(this.end - this.start, windowBars - n);
    const from = this.end - keep;
    for (let f = 0; f < 6; f++) {
      const col = this.cols[f];
      if (col !== null && col !== undefined) ReflectApply(TypedArrayCopyWithin, col, [0, from, this.end]);
    }
    this.start = 0;
    this.end = keep;
  }
  /** Appends one bar, its six values in a row at `data[at]`, to the stored columns. */
  push(data: Float64Array, at: number): void {
    if (this.end === this.cap) this.shift(1);
    const e = this.stored;
    const cols = this.cols;
    const i = this.end;
    if ((e & 1) !== 0) cols[0]![i] = data[at]!;
    if ((e & 2) !== 0) cols[1]![i] = data[at + 1]!;
    if ((e & 4) !== 0) cols[2]![i] = data[at + 2]!;
    if ((e & 8) !== 0) cols[3]![i] = data[at + 3]!;
    if ((e & 16) !== 0) cols[4]![i] = data[at + 4]!;
    if ((e & 32) !== 0) cols[5]![i] = data[at + 5]!;
    this.end = i + 1;
    if (i + 1 - this.start > windowBars) this.start = i + 1 - windowBars;
    if (this.v4 !== null || this.v1 !== null || this.v2 !== null || this.v3 !== null || this.v5 !== null || this.times !== null) this.forget();
  }
  /**
   * Appends `count` bars given as six columns of `count` values from `data[at]` (timestamps, then
   * opens, …) to the stored columns: minutes this isolate missed, copied column by column by the engine.
   */
  appendColumns(buffer: ArrayBuffer | SharedArrayBuffer, at: number, count: number): void {
    const skip = MathMax(0, count - windowBars);
    const n = count - skip;
    if (this.end + n > this.cap) this.shift(n);
    for (let f = 0; f < 6; f++) {
      const col = this.cols[f];
      if (col !== null && col !== undefined) ReflectApply(TypedArraySet, col, [new F64(buffer, (at + f * count + skip) * 8, n), this.end]);
    }
    this.end += n;
    if (this.end - this.start > windowBars) this.start = this.end - windowBars;
    this.forget();
  }
  /** Drops the views handed out: the window has a new bar. */
  forget(): void {
    this.v1 = this.v2 = this.v3 = this.v4 = this.v5 = null;
    this.times = null;
  }
  /** Column f of the current window as a view handed to the strategy. */
  view(f: number): Float64Array {
    if ((this.stored & (1 << f)) === 0) this.fetch(f);
    return new F64(this.buffers[f]!, this.start * 8, this.end - this.start);
  }
  timestamps(): number[] {
    if (this.times === null) this.times = ArrayFrom(this.view(0));
    return this.times;
  }
  /** The first position from `start` whose timestamp is at or after t (`end` when none is). */
  indexAtOrAfter(t: number): number {
    const col = this.column(0);
    let lo = this.start;
    let hi = this.end;
    // The usual questions are about the newest bars (getRange from the bar after the last one seen
    // up to now: one new bar, or none): answered from the end before searching the whole window,
    // whose every probe is a cache miss in an isolate that runs once a minute.
    if (lo === hi || col[hi - 1]! < t) return hi;
    if (hi - 1 === lo || col[hi - 2]! < t) return hi - 1;
    hi -= 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (col[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  /** Bars from position `from` to `to` as a copy; every column must be stored (storeAll). */
  slice(from: number, to: number): BarSlice {
    // One literal of a fixed shape, the values copied straight from the columns: strategies call
    // this every minute for a bar or two (getRange after the last bar seen), where building the
    // object key by key and a view plus a copy per column cost more than the values.
    const cols = this.cols;
    const buffers = this.buffers;
    const n = to - from;
    const times = cols[0]!;
    const timestamp: number[] = [];
    for (let i = 0; i < n; i++) timestamp[i] = times[from + i]!;
    return {
      timestamp,
      open: copyOf(cols[1]!, buffers[1]!, from, n),
      high: copyOf(cols[2]!, buffers[2]!, from, n),
      low: copyOf(cols[3]!, buffers[3]!, from, n),
      close: copyOf(cols[4]!, buffers[4]!, from, n),
      volume: copyOf(cols[5]!, buffers[5]!, from, n),
    };
  }
}

/** A fresh array of the n values of `col` (whose buffer is `buffer`: its getter is the strategy's to replace) from `at`. */
function copyOf(col: Float64Array, buffer: ArrayBuffer, at: number, n: number): Float64Array {
  const out = new F64(n);
  if (n > 32) {
    ReflectApply(TypedArraySet, out, [new F64(buffer, at * 8, n)]);
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = col[at + i]!;
  return out;
}

const series = new MapC<string, Series>();
/** A symbol's window with every column stored (team.api reads it whole). */
export function seriesOf(symbol: string): Series | undefined {
  const s = series.get(symbol);
  if (s !== undefined && s.stored !== ALL_COLUMNS) s.storeAll();
  return s;
}
export const bars: Record<string, unknown> = {};
export function emptySlice(): BarSlice {
  const out: Record<string, number[] | Float64Array> = { timestamp: [] };
  for (let f = 1; f < 6; f++) out[FIELDS[f]!] = new F64(0);
  return out as unknown as BarSlice;
}
// `bars[symbol]`: a plain object with the six fields as own enumerable getters. The getters are
// the same six functions for every symbol and find their series through a private field of the
// entry, so every entry has the same shape: a strategy reading `bars[symbol].close` across symbols
// reads one shape, where per-symbol getters (each entry its own shape) make that read megamorphic,
// which costs most in an isolate that runs once a minute and so spends its life in the interpreter.
class Stamp {
  constructor(target: object) {
    // Returning the target makes it `this` in the subclass, which adds its private field to it.
    return target;
  }
}
class BarEntry extends Stamp {
  #series: Series;
  constructor(target: object, s: Series) {
    super(target);
    this.#series = s;
  }
  /** The series of a getter's receiver: the entry, or an object inheriting from one. */
  static seriesOf(receiver: unknown): Series {
    let o = receiver;
    for (let depth = 0; depth < 100 && o !== null && (typeof o === 'object' || typeof o === 'function'); depth++) {
      if (#series in o) return o.#series;
      o = ObjectGetPrototypeOf(o);
    }
    throw new TypeError('a field of bars[symbol] can only be read from bars[symbol] (or an object inheriting from it)');
  }
  static timestamp(this: unknown): number[] {
    let s: Series;
    try {
      s = (this as BarEntry).#series;
    } catch {
      s = BarEntry.seriesOf(this);
    }
    return s.timestamps();
  }
  static open(this: unknown): Float64Array {
    let s: Series;
    try {
      s = (this as BarEntry).#series;
    } catch {
      s = BarEntry.seriesOf(this);
    }
    const v = s.v1;
    if (v !== null) return v;
    return (s.v1 = s.view(1));
  }
  static high(this: unknown): Float64Array {
    let s: Series;
    try {
      s = (this as BarEntry).#series;
    } catch {
      s = BarEntry.seriesOf(this);
    }
    const v = s.v2;
    if (v !== null) return v;
    return (s.v2 = s.view(2));
  }
  static low(this: unknown): Float64Array {
    let s: Series;
    try {
      s = (this as BarEntry).#series;
    } catch {
      s = BarEntry.seriesOf(this);
    }
    const v = s.v3;
    if (v !== null) return v;
    return (s.v3 = s.view(3));
  }
  static close(this: unknown): Float64Array {
    let s: Series;
    try {
      s = (this as BarEntry).#series;
    } catch {
      s = BarEntry.seriesOf(this);
    }
    const v = s.v4;
    if (v !== null) return v;
    return (s.v4 = s.view(4));
  }
  static volume(this: unknown): Float64Array {
    let s: Series;
    try {
      s = (this as BarEntry).#series;
    } catch {
      s = BarEntry.seriesOf(this);
    }
    const v = s.v5;
    if (v !== null) return v;
    return (s.v5 = s.view(5));
  }
}
// Captured here: BarEntry's static methods are reachable by nothing the strategy holds but these getters.
// eslint-disable-next-line @typescript-eslint/unbound-method -- getters: called with the entry as `this`
const FIELD_GETTERS = [BarEntry.timestamp, BarEntry.open, BarEntry.high, BarEntry.low, BarEntry.close, BarEntry.volume];
function addSymbol(symbol: string, index: number): Series {
  const s = new Series(index);
  series.set(symbol, s);
  const entry = new BarEntry({}, s);
  for (let f = 0; f < 6; f++) ObjectDefineProperty(entry, FIELDS[f]!, { get: FIELD_GETTERS[f], enumerable: true });
  defineOwn(bars, symbol, entry);
  return s;
}

const seriesByIndex: Series[] = [];
function seriesAt(index: number): Series {
  let s = seriesByIndex[index];
  if (s === undefined) {
    const name = symbolNames[index]!;
    s = series.get(name) ?? addSymbol(name, index);
    seriesByIndex[index] = s;
  }
  return s;
}

let lastSeq = 0;
/**
 * Takes the bars of the minutes not seen yet; `at` points at the batch's last minute seq (layout in
 * sandbox/child/payload.ts). A batch this isolate has seen is skipped whole. Every symbol gets its
 * window (its `bars` entry) in the order the batch lists them; only stored columns take bars.
 */
export function applyBars(data: Float64Array, buffer: ArrayBuffer | SharedArrayBuffer, at: number): void {
  const batchSeq = data[at]!;
  const groups = data[at + 1]!;
  at += 2;
  if (batchSeq <= lastSeq) return;
  lastSeq = batchSeq;
  for (let g = 0; g < groups; g++) {
    const index = data[at]!;
    const count = data[at + 1]!;
    let s = seriesByIndex[index];
    if (s === undefined) s = seriesAt(index);
    if (s.stored !== 0) {
      if (count === 1) s.push(data, at + 2);
      else if (count > 1) s.appendColumns(buffer, at + 2, count);
    }
    at += 2 + 6 * count;
  }
}
