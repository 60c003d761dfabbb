// The bar windows: per symbol, the last `windowBars` bars in columns the strategy reads as
// zero-copy Float64Array views (`bars`), filled from the minute's payload (applyBars).
import { ArrayFrom, F64, MapC, MathMax, MathMin, ObjectDefineProperty, ObjectGetPrototypeOf, ReflectApply, TypedArrayCopyWithin, TypedArraySet } from './intrinsics.ts';
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
//
// Windows are brought up to date lazily: each minute's rows are copied whole into a pending
// ring (one memcpy whatever the number of symbols), and a symbol's window takes its pending bars
// when the strategy reads it (a field of `bars[symbol]`, team.api), or when the ring is full.
// A strategy that reads few symbols (or none) costs O(1) per minute instead of six scattered
// writes per symbol. A window whose views were ever handed out is brought up to date every
// minute, so a view the strategy keeps sees exactly what it would have seen if every window
// took its bar at once (a full window shifts its bars under old views).
//
// Columns are lazy too: such a window writes each minute only the columns whose views were
// handed out (`eager`, e.g. close alone), the six columns of a symbol being six scattered cache
// lines and pages. The others keep the minutes since `filled` in the ring and take them (`fill`)
// when read, or when the ring is emptied; their positions are reserved meanwhile (the minutes
// [filled, synced) are the window's newest bars), so shifting the window moves them along.
//
// A window nothing ever read is a true ring (`ring`): bar k sits at position k % cap, `start`
// and `end` count bars, and emptying the pending ring writes its bars in place, never shifting.
// At 400 symbols the shifts (all symbols in the same minute) cost as much as the rest of the
// minute. The first read turns it into the contiguous window above (`unring`), for good: views
// must be zero-copy. A contiguous window with end ≤ cap is also a valid ring, so the change the
// other way costs nothing.
const SLACK = 64;
/** `eager` with every column. */
const ALL_COLUMNS = 63;
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
  /** Its row in the pending minutes (-1: it has no bars there). */
  declare row: number;
  /** Pending minutes (counted since the isolate began) already in the window. */
  declare synced: number;
  /** Views of it were handed out: it takes every bar as it arrives. */
  declare exposed: boolean;
  /** Columns (bit f: column f) written as bars arrive; the others lag from `filled`. */
  declare eager: number;
  /** Pending minutes whose bars the columns outside `eager` hold (≤ synced). */
  declare filled: number;
  /** Never read: a ring (bar k at position k % cap), which takes its bars whole when the pending ring is emptied. */
  declare ring: boolean;
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
    this.row = -1;
    this.synced = 0;
    this.exposed = false;
    this.eager = 0;
    this.filled = 0;
    this.ring = true;
  }
  /** Takes its pending bars, every column, in place (a ring: see above); nothing lags afterwards. */
  ringTake(): void {
    const to = pendingEnd;
    const row = this.row;
    if (row >= 0 && this.synced !== to) {
      const stride = pendingRows * ROW;
      const ring = pending;
      const all = this.all;
      const cap = this.cap;
      let at = (this.synced - pendingStart) * stride + row * ROW + 2;
      let i = this.end % cap;
      for (let m = this.synced; m < to; m++, at += stride) {
        all[i] = ring[at]!;
        all[cap + i] = ring[at + 1]!;
        all[2 * cap + i] = ring[at + 2]!;
        all[3 * cap + i] = ring[at + 3]!;
        all[4 * cap + i] = ring[at + 4]!;
        all[5 * cap + i] = ring[at + 5]!;
        if (++i === cap) i = 0;
      }
      this.end += to - this.synced;
      if (this.end - this.start > windowBars) this.start = this.end - windowBars;
    }
    this.synced = to;
    this.filled = to;
  }
  /** Lays the ring out as a contiguous window (oldest bar at position 0), keeping `ring` as it is. */
  unwrap(): void {
    if (this.end <= this.cap) return;
    const n = this.end - this.start;
    const cap = this.cap;
    const all = this.all;
    const from = this.start % cap;
    const head = MathMin(n, cap - from);
    const tmp = new F64(n);
    for (let f = 0; f < 6; f++) {
      const base = f * cap;
      ReflectApply(TypedArraySet, tmp, [new F64(this.buffer, (base + from) * 8, head)]);
      if (head < n) ReflectApply(TypedArraySet, tmp, [new F64(this.buffer, base * 8, n - head), head]);
      ReflectApply(TypedArraySet, all, [tmp, base]);
    }
    this.start = 0;
    this.end = n;
  }
  /** Read for the first time: a contiguous window from now on. */
  unring(): void {
    this.ringTake();
    this.unwrap();
    this.ring = false;
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
  appendColumns(buffer: ArrayBuffer | SharedArrayBuffer, at: number, count: number): void {
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
  /** Takes the pending bars it lacks (see the ring below), into its eager columns. */
  sync(): void {
    if (this.ring) this.unring();
    const to = pendingEnd;
    if (this.synced === to) return;
    const row = this.row;
    // Nothing lags when every column is eager, or when it has no bars in the ring.
    const whole = this.filled === this.synced && (this.eager === ALL_COLUMNS || row < 0);
    if (row >= 0) {
      const stride = pendingRows * ROW;
      const ring = pending;
      let at = (this.synced - pendingStart) * stride + row * ROW + 2;
      for (let m = this.synced; m < to; m++, at += stride) this.pushEager(ring, at);
    }
    this.synced = to;
    if (whole) this.filled = to;
  }
  /** Writes the bars its lagging columns lack, from the ring (which holds every minute from `filled` on). */
  fill(): void {
    const to = this.synced;
    const from = this.filled;
    if (from === to) return;
    this.filled = to;
    const lagging = ALL_COLUMNS & ~this.eager;
    const stride = pendingRows * ROW;
    const ring = pending;
    const all = this.all;
    const cap = this.cap;
    let at = (from - pendingStart) * stride + this.row * ROW + 2;
    for (let m = from; m < to; m++, at += stride) {
      // Its position: the window's newest bars are these minutes; older ones may have left it.
      const i = this.end - (to - m);
      if (i < this.start) continue;
      for (let f = 0; f < 6; f++) if ((lagging & (1 << f)) !== 0) all[f * cap + i] = ring[at + f]!;
    }
  }
  /** Appends one bar, its six values in a row at `data[at]`, writing the eager columns only. */
  pushEager(data: Float64Array, at: number): void {
    const e = this.eager;
    if (e === ALL_COLUMNS) {
      this.push(data, at);
      return;
    }
    if (this.end === this.cap) this.shift();
    const all = this.all;
    const cap = this.cap;
    const i = this.end;
    if ((e & 1) !== 0) all[i] = data[at]!;
    if ((e & 2) !== 0) all[cap + i] = data[at + 1]!;
    if ((e & 4) !== 0) all[2 * cap + i] = data[at + 2]!;
    if ((e & 8) !== 0) all[3 * cap + i] = data[at + 3]!;
    if ((e & 16) !== 0) all[4 * cap + i] = data[at + 4]!;
    if ((e & 32) !== 0) all[5 * cap + i] = data[at + 5]!;
    this.end = i + 1;
    if (i + 1 - this.start > windowBars) this.start = i + 1 - windowBars;
    if (this.v4 !== null || this.v1 !== null || this.v2 !== null || this.v3 !== null || this.v5 !== null || this.times !== null) this.forget();
  }
  /** Appends one bar, its six values in a row at `data[at]` (no column may lag). */
  push(data: Float64Array, at: number): void {
    if (this.end === this.cap) this.shift();
    const all = this.all;
    const cap = this.cap;
    const i = this.end;
    all[i] = data[at]!;
    all[cap + i] = data[at + 1]!;
    all[2 * cap + i] = data[at + 2]!;
    all[3 * cap + i] = data[at + 3]!;
    all[4 * cap + i] = data[at + 4]!;
    all[5 * cap + i] = data[at + 5]!;
    this.end = i + 1;
    if (i + 1 - this.start > windowBars) this.start = i + 1 - windowBars;
    if (this.v4 !== null || this.v1 !== null || this.v2 !== null || this.v3 !== null || this.v5 !== null || this.times !== null) this.forget();
  }
  /** Drops the views handed out: the window has a new bar. */
  forget(): void {
    this.v1 = this.v2 = this.v3 = this.v4 = this.v5 = null;
    this.times = null;
  }
  /** Column f from `from` to `to` as a view (the constructor, cheaper than subarray's species lookup). */
  range(f: number, from: number, to: number): Float64Array {
    return new F64(this.buffer, (f * this.cap + from) * 8, to - from);
  }
  /** Column f of the current window as a view handed to the strategy (which then takes every bar). */
  view(f: number): Float64Array {
    if (this.ring) this.unring();
    if ((this.eager & (1 << f)) === 0) {
      if (this.filled !== this.synced) this.fill();
      this.eager |= 1 << f;
    }
    if (!this.exposed) {
      this.exposed = true;
      exposed[exposed.length] = this;
      if (this.row >= 0) exposedRows++;
    }
    // (range, inlined: this runs for every symbol read every minute)
    return new F64(this.buffer, (f * this.cap + this.start) * 8, this.end - this.start);
  }
  timestamps(): number[] {
    if (this.ring) this.unring();
    if (this.synced !== pendingEnd) this.sync();
    if (this.times === null) {
      // A strategy reading the timestamps keeps reading them: that column becomes eager.
      if ((this.eager & 1) === 0) {
        if (this.filled !== this.synced) this.fill();
        this.eager |= 1;
      }
      this.times = ArrayFrom(this.range(0, this.start, this.end));
    }
    return this.times;
  }
  /** The first position from `start` whose timestamp is at or after t (`end` when none is). */
  indexAtOrAfter(t: number): number {
    const col = this.all;
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
  slice(from: number, to: number): BarSlice {
    // One literal of a fixed shape, the values copied straight from the columns: strategies call
    // this every minute for a bar or two (getRange after the last bar seen), where building the
    // object key by key and a view plus a copy per column cost more than the values.
    const all = this.all;
    const buffer = this.buffer;
    const cap = this.cap;
    const n = to - from;
    const timestamp: number[] = [];
    for (let i = 0; i < n; i++) timestamp[i] = all[from + i]!;
    return {
      timestamp,
      open: copyOf(all, buffer, cap + from, n),
      high: copyOf(all, buffer, 2 * cap + from, n),
      low: copyOf(all, buffer, 3 * cap + from, n),
      close: copyOf(all, buffer, 4 * cap + from, n),
      volume: copyOf(all, buffer, 5 * cap + from, n),
    };
  }
}

/** A fresh array of the n values of `all` (whose buffer is `buffer`: its getter is the strategy's to replace) from `at`. */
function copyOf(all: Float64Array, buffer: ArrayBuffer, at: number, n: number): Float64Array {
  const out = new F64(n);
  if (n > 32) {
    ReflectApply(TypedArraySet, out, [new F64(buffer, at * 8, n)]);
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = all[at + i]!;
  return out;
}

const series = new MapC<string, Series>();
/** A symbol's window, up to date (team.api reads it whole). */
export function seriesOf(symbol: string): Series | undefined {
  const s = series.get(symbol);
  if (s !== undefined) {
    if (s.ring) s.unring();
    if (s.synced !== pendingEnd) s.sync();
    if (s.filled !== s.synced) s.fill();
  }
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
    if (s.synced !== pendingEnd) s.sync();
    const v = s.v1;
    if (v !== null) return v;
    // (Series.view inlined for a column already handed out: the usual read, once a minute)
    return (s.v1 = (s.eager & 2) !== 0 ? new F64(s.buffer, (1 * s.cap + s.start) * 8, s.end - s.start) : s.view(1));
  }
  static high(this: unknown): Float64Array {
    let s: Series;
    try {
      s = (this as BarEntry).#series;
    } catch {
      s = BarEntry.seriesOf(this);
    }
    if (s.synced !== pendingEnd) s.sync();
    const v = s.v2;
    if (v !== null) return v;
    // (Series.view inlined for a column already handed out: the usual read, once a minute)
    return (s.v2 = (s.eager & 4) !== 0 ? new F64(s.buffer, (2 * s.cap + s.start) * 8, s.end - s.start) : s.view(2));
  }
  static low(this: unknown): Float64Array {
    let s: Series;
    try {
      s = (this as BarEntry).#series;
    } catch {
      s = BarEntry.seriesOf(this);
    }
    if (s.synced !== pendingEnd) s.sync();
    const v = s.v3;
    if (v !== null) return v;
    // (Series.view inlined for a column already handed out: the usual read, once a minute)
    return (s.v3 = (s.eager & 8) !== 0 ? new F64(s.buffer, (3 * s.cap + s.start) * 8, s.end - s.start) : s.view(3));
  }
  static close(this: unknown): Float64Array {
    let s: Series;
    try {
      s = (this as BarEntry).#series;
    } catch {
      s = BarEntry.seriesOf(this);
    }
    if (s.synced !== pendingEnd) s.sync();
    const v = s.v4;
    if (v !== null) return v;
    // (Series.view inlined for a column already handed out: the usual read, once a minute)
    return (s.v4 = (s.eager & 16) !== 0 ? new F64(s.buffer, (4 * s.cap + s.start) * 8, s.end - s.start) : s.view(4));
  }
  static volume(this: unknown): Float64Array {
    let s: Series;
    try {
      s = (this as BarEntry).#series;
    } catch {
      s = BarEntry.seriesOf(this);
    }
    if (s.synced !== pendingEnd) s.sync();
    const v = s.v5;
    if (v !== null) return v;
    // (Series.view inlined for a column already handed out: the usual read, once a minute)
    return (s.v5 = (s.eager & 32) !== 0 ? new F64(s.buffer, (5 * s.cap + s.start) * 8, s.end - s.start) : s.view(5));
  }
}
// Captured here: BarEntry's static methods are reachable by nothing the strategy holds but these getters.
// eslint-disable-next-line @typescript-eslint/unbound-method -- getters: called with the entry as `this`
const FIELD_GETTERS = [BarEntry.timestamp, BarEntry.open, BarEntry.high, BarEntry.low, BarEntry.close, BarEntry.volume];
function addSymbol(symbol: string): Series {
  const s = new Series();
  s.synced = pendingEnd;
  s.filled = pendingEnd;
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
    s = series.get(name) ?? addSymbol(name);
    seriesByIndex[index] = s;
  }
  return s;
}

// The pending ring: the rows of the minutes not yet in every window, as they came (symbol index,
// 1, six values: ROW numbers per row), minute after minute, all minutes with the same rows
// (`layout`). A minute with other rows, or a full ring, first brings every window up to date.
// Minutes are counted since the isolate began: a window has taken minutes up to `synced`.
const ROW = 8;
/** Numbers the ring may hold (256 KiB), and minutes at most, whatever the rows. */
const PENDING_NUMBERS = 32768;
const PENDING_MINUTES = 64;
let pending = new F64(0);
let pendingRows = 0;
let pendingCapacity = 0;
let pendingStart = 0;
let pendingEnd = 0;
let layout: Series[] = [];
/** The symbol index of each row. */
let layoutSymbols: number[] = [];
const exposed: Series[] = [];
/** Rows of the ring whose windows were exposed (when all are, a minute goes straight into the windows). */
let exposedRows = 0;

/** Every window takes its pending bars, in every column; the ring is emptied. */
function flush(): void {
  for (let i = 0; i < layout.length; i++) {
    const s = layout[i]!;
    if (s.ring) {
      s.ringTake();
      continue;
    }
    if (s.synced !== pendingEnd) s.sync();
    if (s.filled !== s.synced) s.fill();
  }
  pendingStart = pendingEnd;
}

/**
 * Makes the rows of this one-minute batch the ring's (which must be empty: see flush); false when
 * it is not one minute of one bar per symbol.
 */
function adoptRows(data: Float64Array, at: number, groups: number): boolean {
  for (let g = 0, a = at; g < groups; g++, a += ROW) if (data[a + 1] !== 1) return false;
  for (let i = 0; i < layout.length; i++) layout[i]!.row = -1;
  layout = [];
  layoutSymbols = [];
  for (let g = 0, a = at; g < groups; g++, a += ROW) {
    let s = seriesByIndex[data[a]!];
    if (s === undefined) s = seriesAt(data[a]!);
    layoutSymbols[g] = data[a]!;
    s.row = g;
    // Up to date: the ring was just emptied, and a symbol outside it had no bars there.
    s.synced = pendingEnd;
    s.filled = pendingEnd;
    layout[g] = s;
  }
  pendingRows = groups;
  pendingCapacity = groups === 0 ? PENDING_MINUTES : MathMax(1, MathMin(PENDING_MINUTES, (PENDING_NUMBERS / (groups * ROW)) | 0));
  exposedRows = 0;
  for (let g = 0; g < groups; g++) if (layout[g]!.exposed) exposedRows++;
  return true;
}

let lastSeq = 0;
/**
 * Appends the bars of the minutes not seen yet; `at` points at the batch's last minute seq
 * (layout in sandbox/child/payload.ts). A batch this isolate has seen is skipped whole.
 */
export function applyBars(data: Float64Array, buffer: ArrayBuffer | SharedArrayBuffer, at: number): void {
  const batchSeq = data[at]!;
  const groups = data[at + 1]!;
  at += 2;
  if (batchSeq <= lastSeq) return;
  lastSeq = batchSeq;
  // The rows of this one-minute batch are the ring's (each symbol's one bar, in the same order)?
  let same = groups === pendingRows;
  for (let g = 0, a = at; same && g < groups; g++, a += ROW) same = data[a] === layoutSymbols[g] && data[a + 1] === 1;
  if (!same) {
    flush();
    if (!adoptRows(data, at, groups)) {
      appendBatch(data, buffer, at, groups);
      return;
    }
  }
  if (pendingEnd - pendingStart >= pendingCapacity) flush();
  if (pending.length < pendingCapacity * groups * ROW) pending = new F64(pendingCapacity * groups * ROW);
  // The minute's rows, whole, into the ring: one copy by the engine.
  const base = (pendingEnd - pendingStart) * groups * ROW;
  ReflectApply(TypedArraySet, pending, [new F64(buffer, at * 8, groups * ROW), base]);
  pendingEnd++;
  if (exposedRows === 0) return;
  if (exposedRows === groups) {
    // Every window of the ring's rows has views out, so each takes its bar now (Series.sync
    // inlined for the usual one minute: in typical strategies this runs for every symbol every minute).
    const ring = pending;
    for (let g = 0, a = base + 2; g < groups; g++, a += ROW) {
      const s = layout[g]!;
      if (s.synced !== pendingEnd - 1) {
        s.sync();
        continue;
      }
      const e = s.eager;
      if (s.filled === s.synced && e === ALL_COLUMNS) s.filled = pendingEnd;
      s.synced = pendingEnd;
      // (Series.pushEager inlined)
      if (s.end === s.cap) s.shift();
      const all = s.all;
      const cap = s.cap;
      const i = s.end;
      if ((e & 1) !== 0) all[i] = ring[a]!;
      if ((e & 2) !== 0) all[cap + i] = ring[a + 1]!;
      if ((e & 4) !== 0) all[2 * cap + i] = ring[a + 2]!;
      if ((e & 8) !== 0) all[3 * cap + i] = ring[a + 3]!;
      if ((e & 16) !== 0) all[4 * cap + i] = ring[a + 4]!;
      if ((e & 32) !== 0) all[5 * cap + i] = ring[a + 5]!;
      s.end = i + 1;
      if (i + 1 - s.start > windowBars) s.start = i + 1 - windowBars;
      if (s.v4 !== null || s.v1 !== null || s.v2 !== null || s.v3 !== null || s.v5 !== null || s.times !== null) s.forget();
    }
    return;
  }
  for (let i = 0; i < exposed.length; i++) {
    const s = exposed[i]!;
    if (s.row >= 0) s.sync();
  }
}

/** A batch of several minutes (a new isolate's window, or minutes it missed), taken by every window at once. */
function appendBatch(data: Float64Array, buffer: ArrayBuffer | SharedArrayBuffer, at: number, groups: number): void {
  for (let g = 0; g < groups; g++) {
    let s = seriesByIndex[data[at]!];
    if (s === undefined) s = seriesAt(data[at]!);
    // (A ring that wrapped is laid out contiguously for these appends; it stays unread.)
    if (s.end > s.cap) s.unwrap();
    const count = data[at + 1]!;
    at += 2;
    if (count !== 1) {
      s.appendColumns(buffer, at, count);
      at += 6 * count;
      continue;
    }
    s.push(data, at);
    at += 6;
  }
}
