// The bar windows: per symbol, the last `windowBars` bars in columns the strategy reads as
// zero-copy Float64Array views (`bars`), filled from the minute's payload (applyBars).
import { ArrayFrom, F64, MapC, MathMax, MathMin, ObjectDefineProperty, ReflectApply, TypedArrayCopyWithin, TypedArraySet } from './intrinsics.ts';
import { symbolNames } from './symbols.ts';
import { defineOwn } from './text.ts';

let windowBars = 1200;

export function setWindowBars(count: number): void {
  windowBars = count;
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

// Per symbol: six Float64Arrays holding the window contiguously (oldest first) so views are
// zero-copy. The storage is allocated once at its final size, window + SLACK bars, the six
// columns in one buffer: memory stays flat (no growth steps leaving garbage behind), and once
// full the live window is shifted down every SLACK appends (amortised O(window / SLACK) copies).
const SLACK = 64;
export class Series {
  declare cap: number;
  declare start: number;
  declare end: number;
  declare all: Float64Array<ArrayBuffer>;
  declare buffer: ArrayBuffer;
  declare v1: Float64Array | null;
  declare v2: Float64Array | null;
  declare v3: Float64Array | null;
  declare v4: Float64Array | null;
  declare v5: Float64Array | null;
  declare times: number[] | null;
  constructor() {
    this.cap = windowBars + SLACK;
    this.start = 0;
    this.end = 0;
    // All six columns as one array (column f starts at f * cap): the append path writes through
    // it with fixed offsets, without looking up six arrays per bar.
    this.all = new F64(this.cap * 6);
    this.buffer = this.all.buffer;
    // The views handed out since the last append (null until asked for), and timestamp's number[].
    this.v1 = null;
    this.v2 = null;
    this.v3 = null;
    this.v4 = null;
    this.v5 = null;
    this.times = null;
  }
  /** Moves the newest `windowBars - n` bars to the front, making room for n more (n ≤ windowBars). */
  shift(n = 1): void {
    const keep = MathMin(this.end - this.start, windowBars - n);
    const from = this.end - keep;
    const all = this.all;
    const cap = this.cap;
    for (let f = 0; f < 6; f++) ReflectApply(TypedArrayCopyWithin, all, [f * cap, f * cap + from, f * cap + this.end]);
    this.start = 0;
    this.end = keep;
  }
  /**
   * Appends `count` bars given as six columns of `count` values from `data[at]` (timestamps, then
   * opens, …): a batch of minutes (a new isolate's whole window) copied column by column by the
   * engine, rather than value by value in code that runs once per isolate.
   */
  appendColumns(buffer: ArrayBuffer, at: number, count: number): void {
    const skip = MathMax(0, count - windowBars);
    const n = count - skip;
    if (this.end + n > this.cap) this.shift(n);
    const all = this.all;
    const cap = this.cap;
    for (let f = 0; f < 6; f++) ReflectApply(TypedArraySet, all, [new F64(buffer, (at + f * count + skip) * 8, n), f * cap + this.end]);
    this.end += n;
    if (this.end - this.start > windowBars) this.start = this.end - windowBars;
    this.forget();
  }
  /** Drops the views handed out: the window has a new bar (applyBars appends, inlined). */
  forget(): void {
    this.v1 = this.v2 = this.v3 = this.v4 = this.v5 = null;
    this.times = null;
  }
  /** Column f from `from` to `to` as a view (the constructor, cheaper than subarray's species lookup). */
  range(f: number, from: number, to: number): Float64Array {
    return new F64(this.buffer, (f * this.cap + from) * 8, to - from);
  }
  col(f: number): Float64Array {
    return this.range(f, 0, this.cap);
  }
  open(): Float64Array {
    return this.v1 === null ? (this.v1 = this.range(1, this.start, this.end)) : this.v1;
  }
  high(): Float64Array {
    return this.v2 === null ? (this.v2 = this.range(2, this.start, this.end)) : this.v2;
  }
  low(): Float64Array {
    return this.v3 === null ? (this.v3 = this.range(3, this.start, this.end)) : this.v3;
  }
  close(): Float64Array {
    return this.v4 === null ? (this.v4 = this.range(4, this.start, this.end)) : this.v4;
  }
  volume(): Float64Array {
    return this.v5 === null ? (this.v5 = this.range(5, this.start, this.end)) : this.v5;
  }
  timestamps(): number[] {
    if (this.times === null) this.times = ArrayFrom(this.range(0, this.start, this.end));
    return this.times;
  }
  indexAtOrAfter(t: number): number {
    const col = this.all;
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (col[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  slice(from: number, to: number): BarSlice {
    const out: Record<string, number[] | Float64Array> = { timestamp: ArrayFrom(this.range(0, from, to)) };
    for (let f = 1; f < 6; f++) out[FIELDS[f]!] = this.range(f, from, to).slice();
    return out as unknown as BarSlice;
  }
}

export const series = new MapC<string, Series>();
export const bars: Record<string, unknown> = {};
export function emptySlice(): BarSlice {
  const out: Record<string, number[] | Float64Array> = { timestamp: [] };
  for (let f = 1; f < 6; f++) out[FIELDS[f]!] = new F64(0);
  return out as unknown as BarSlice;
}
function addSymbol(symbol: string): Series {
  const s = new Series();
  series.set(symbol, s);
  const entry = {};
  ObjectDefineProperty(entry, 'timestamp', { get: () => s.timestamps(), enumerable: true });
  ObjectDefineProperty(entry, 'open', { get: () => s.open(), enumerable: true });
  ObjectDefineProperty(entry, 'high', { get: () => s.high(), enumerable: true });
  ObjectDefineProperty(entry, 'low', { get: () => s.low(), enumerable: true });
  ObjectDefineProperty(entry, 'close', { get: () => s.close(), enumerable: true });
  ObjectDefineProperty(entry, 'volume', { get: () => s.volume(), enumerable: true });
  defineOwn(bars, symbol, entry);
  return s;
}

const seriesByIndex: Series[] = [];
function seriesAt(index: number): Series {
  let s = seriesByIndex[index];
  if (s === undefined) {
    const name = symbolNames[index]!;
    s = series.get(name) ?? addSymbol(name);
    seriesByIndex[index] = s;
  }
  return s;
}
let lastSeq = 0;
/**
 * Appends the bars of the minutes not seen yet; `at` points at the batch's last minute seq
 * (layout in sandbox/child/payload.ts). A batch this isolate has seen is skipped whole.
 */
export function applyBars(data: Float64Array, buffer: ArrayBuffer, at: number): void {
  const batchSeq = data[at]!;
  const groups = data[at + 1]!;
  at += 2;
  if (batchSeq <= lastSeq) return;
  lastSeq = batchSeq;
  for (let g = 0; g < groups; g++) {
    let s = seriesByIndex[data[at]!];
    if (s === undefined) s = seriesAt(data[at]!);
    const count = data[at + 1]!;
    at += 2;
    if (count !== 1) {
      s.appendColumns(buffer, at, count);
      at += 6 * count;
      continue;
    }
    // One bar (every minute of a warm isolate): its six values in a row, written in place.
    if (s.end === s.cap) s.shift();
    const all = s.all;
    const cap = s.cap;
    const i = s.end;
    all[i] = data[at]!;
    all[cap + i] = data[at + 1]!;
    all[2 * cap + i] = data[at + 2]!;
    all[3 * cap + i] = data[at + 3]!;
    all[4 * cap + i] = data[at + 4]!;
    all[5 * cap + i] = data[at + 5]!;
    at += 6;
    s.end = i + 1;
    if (i + 1 - s.start > windowBars) s.start = i + 1 - windowBars;
    if (s.v4 !== null || s.v1 !== null || s.v2 !== null || s.v3 !== null || s.v5 !== null || s.times !== null) s.forget();
  }
}
