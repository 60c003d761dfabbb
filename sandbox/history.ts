// The bar history of a pool (and of each sandbox child), from which an isolate that missed minutes
// (not run for a while) is brought up to date, and a new or rebuilt one is told its symbols (and a
// child's windows for its isolates' first reads are built: child/hostWindows.ts).
//
// An isolate's window holds each symbol's last `windowBars` bars, however long ago they came. The
// history keeps the last `minutes` minutes whole (numbered entries: a warm isolate that missed a few
// is sent exactly those), and, per symbol, the bars older than them that are still among its last
// `windowBars` ("older" bars). For a symbol with a bar every minute nothing is older; a sparse one
// (a bar every few minutes, or one that stopped trading) keeps its last bars however old. So a new or
// rebuilt isolate sees every window exactly as an isolate that ran from the first minute does, and
// creates its symbols in the same order (of first appearance, minute by minute).
import type { MinuteEntry } from './protocol.ts';
import { BAR_FIELDS } from './protocol.ts';

/** A numbered minute of bars: [seq, minute, keys (symbols or their indices), BAR_FIELDS values per key]. */
export type BarsEntry<Key> = [seq: number, minute: number, keys: readonly Key[], values: ArrayLike<number>];

/** One symbol's bars older than the whole minutes kept, oldest first, from `start` on. */
interface OlderBars {
  start: number;
  seqs: number[];
  minutes: number[];
  /** BAR_FIELDS values per bar. */
  values: number[];
}

/** One symbol's bars after some seq, oldest first: BAR_FIELDS values per bar, in a row. */
export interface SymbolBars<Key> {
  key: Key;
  count: number;
  rows: number[];
}

export class BarHistory<Key extends string | number, Entry extends BarsEntry<Key> = BarsEntry<Key>> {
  readonly #minutes: number;
  readonly #windowBars: number;
  /** The whole minutes kept, oldest first, from #head on (trimmed in chunks). */
  #entries: Entry[] = [];
  #head = 0;
  #lastSeq = 0;
  #lastMinute = 0;
  /** The highest seq whose minute left #entries: bars after it are all in #entries. */
  #evictedThrough = 0;
  /** Every symbol in order of first appearance. */
  #order: Key[] = [];
  /** The order was taken from elsewhere (adoptOrder): the minutes kept may not show it. */
  #orderAdopted = false;
  /**
   * Symbols by a number of this history's own, so that the per-minute bookkeeping is typed-array
   * arithmetic rather than a hash lookup per symbol; the keys list of the last minute and its numbers
   * are remembered (consecutive minutes nearly always hand the same list).
   */
  readonly #numberOf = new Map<Key, number>();
  readonly #keyOf: Key[] = [];
  /** The last keys list met and its numbers, one for appending and one for evicting (a new list reaches the second 1,200 minutes later). */
  readonly #lastKeys: Array<readonly Key[] | null> = [null, null];
  readonly #lastNumbers = [new Int32Array(0), new Int32Array(0)];
  /** Each symbol's bars in #entries, by number. */
  #kept = new Int32Array(64);
  /** Each symbol's older bars, by number (absent: none). */
  readonly #older: Array<OlderBars | undefined> = [];

  constructor(minutes: number, windowBars: number) {
    this.#minutes = minutes;
    this.#windowBars = windowBars;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get lastMinute(): number {
    return this.#lastMinute;
  }

  /** Every symbol seen, in order of first appearance (minute by minute, in each minute's order). */
  get order(): readonly Key[] {
    return this.#order;
  }

  /**
   * Takes another history's order of first appearance (a child takes its pool's, which has seen
   * minutes the child was sent only in part); symbols known here only follow in their own order.
   */
  adoptOrder(order: readonly Key[]): void {
    const adopted = [...new Set(order)];
    const listed = new Set(adopted);
    for (const key of this.#order) if (!listed.has(key)) adopted.push(key);
    for (const key of adopted) this.#number(key);
    this.#order = adopted;
    this.#orderAdopted = true;
  }

  /** Appends a minute (one already known, by seq, is ignored). */
  append(entry: Entry): void {
    const [seq, minute, keys] = entry;
    if (seq <= this.#lastSeq) return;
    this.#lastSeq = seq;
    this.#lastMinute = minute;
    this.#entries.push(entry);
    const numbers = this.#numbersOf(keys);
    const kept = this.#kept;
    for (let k = 0; k < numbers.length; k++) {
      const n = numbers[k] ?? 0;
      kept[n] = (kept[n] ?? 0) + 1;
      if (this.#older[n] !== undefined) this.#trimOlder(n);
    }
    this.#evict();
  }

  /**
   * Whether the whole minutes after `seq` are all a holder of every bar up to `seq` lacks (else see
   * windowsSince, entriesSince): every bar after it, and, for a holder of nothing, the order of first
   * appearance, which they show unless this history took its order from elsewhere.
   */
  covers(seq: number): boolean {
    return seq >= this.#evictedThrough && (seq > 0 || !this.#orderAdopted);
  }

  /** The whole minutes kept after `seq`, oldest first. */
  since(seq: number): Entry[] {
    const out: Entry[] = [];
    for (let i = this.#entries.length - 1; i >= this.#head; i--) {
      const entry = this.#entries[i];
      if (entry === undefined || entry[0] <= seq) break;
      out.push(entry);
    }
    return out.reverse();
  }

  /**
   * Each symbol's bars after `seq` (its older bars, then those of the minutes kept), at most its last
   * `windowBars`, symbols in order of first appearance; symbols without such bars are left out.
   */
  windowsSince(seq: number): Array<SymbolBars<Key>> {
    const byNumber: Array<SymbolBars<Key> | undefined> = [];
    const windows: Array<SymbolBars<Key>> = [];
    for (const key of this.#order) {
      const n = this.#number(key);
      const bars: SymbolBars<Key> = { key, count: 0, rows: [] };
      const older = this.#older[n];
      if (older !== undefined) {
        for (let i = older.start; i < older.seqs.length; i++) {
          if ((older.seqs[i] ?? 0) <= seq) continue;
          for (let f = 0; f < BAR_FIELDS; f++) bars.rows.push(older.values[i * BAR_FIELDS + f] ?? NaN);
          bars.count++;
        }
      }
      byNumber[n] = bars;
      windows.push(bars);
    }
    for (const [, , keys, values] of this.since(seq)) {
      const numbers = this.#numbersOf(keys);
      for (let k = 0; k < numbers.length; k++) {
        const bars = byNumber[numbers[k] ?? -1];
        if (bars === undefined) continue;
        for (let f = 0; f < BAR_FIELDS; f++) bars.rows.push(values[k * BAR_FIELDS + f] ?? NaN);
        bars.count++;
      }
    }
    const out: Array<SymbolBars<Key>> = [];
    for (const bars of windows) {
      if (bars.count === 0) continue;
      if (bars.count > this.#windowBars) {
        bars.rows = bars.rows.slice((bars.count - this.#windowBars) * BAR_FIELDS);
        bars.count = this.#windowBars;
      }
      out.push(bars);
    }
    return out;
  }

  /** Every symbol with bars, in order of first appearance (those of an adopted order without any are left out). */
  symbolsWithBars(): Key[] {
    return this.#order.filter((key) => {
      const n = this.#numberOf.get(key);
      return n !== undefined && ((this.#kept[n] ?? 0) > 0 || this.#older[n] !== undefined);
    });
  }

  /**
   * Calls `visit` with each bar of one symbol's window, oldest first (its older bars, then those of
   * the minutes kept): the bar's BAR_FIELDS values are `values[at]` onwards.
   */
  forEachBar(key: Key, visit: (values: ArrayLike<number>, at: number) => void): void {
    const n = this.#numberOf.get(key);
    if (n === undefined) return;
    const older = this.#older[n];
    if (older !== undefined) for (let i = older.start; i < older.seqs.length; i++) visit(older.values, i * BAR_FIELDS);
    if ((this.#kept[n] ?? 0) === 0) return;
    // Consecutive minutes nearly always share their keys list: the symbol's place is found once per list.
    let keys: readonly Key[] | null = null;
    let place = -1;
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i];
      if (entry === undefined) continue;
      if (entry[2] !== keys) {
        keys = entry[2];
        place = keys.indexOf(key);
      }
      if (place >= 0) visit(entry[3], place * BAR_FIELDS);
    }
  }

  /**
   * Everything after `seq` as numbered minutes, oldest first: the older bars grouped by the minute
   * they came in (keys in sorted order, as a minute's are), then the whole minutes kept. Appending them
   * to a history that holds every bar up to `seq`, with this one's order (adoptOrder), makes it this one.
   */
  entriesSince(seq: number): Array<BarsEntry<Key>> {
    const grouped = new Map<number, { minute: number; bars: Array<{ key: Key; values: number[] }> }>();
    for (const [n, older] of this.#older.entries()) {
      if (older === undefined) continue;
      const key = this.#keyOf[n] as Key;
      for (let i = older.start; i < older.seqs.length; i++) {
        const barSeq = older.seqs[i] ?? 0;
        if (barSeq <= seq) continue;
        let group = grouped.get(barSeq);
        if (group === undefined) {
          group = { minute: older.minutes[i] ?? 0, bars: [] };
          grouped.set(barSeq, group);
        }
        group.bars.push({ key, values: older.values.slice(i * BAR_FIELDS, (i + 1) * BAR_FIELDS) });
      }
    }
    const out: Array<BarsEntry<Key>> = [];
    for (const barSeq of [...grouped.keys()].sort((a, b) => a - b)) {
      const group = grouped.get(barSeq);
      if (group === undefined) continue;
      group.bars.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      out.push([barSeq, group.minute, group.bars.map((bar) => bar.key), group.bars.flatMap((bar) => bar.values)]);
    }
    out.push(...this.since(seq));
    return out;
  }

  /** Moves the minutes that are no longer among the last `minutes` into their symbols' older bars. */
  #evict(): void {
    const oldest = this.#lastSeq - this.#minutes;
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head];
      if (entry === undefined || entry[0] > oldest) break;
      this.#head++;
      const [seq, minute, keys, values] = entry;
      this.#evictedThrough = Math.max(this.#evictedThrough, seq);
      const numbers = this.#numbersOf(keys, 1);
      const kept = this.#kept;
      for (let k = 0; k < numbers.length; k++) {
        const n = numbers[k] ?? 0;
        const left = (kept[n] ?? 1) - 1;
        kept[n] = left;
        // Among the symbol's last windowBars bars only if fewer than that many came after it (a symbol
        // with a bar every minute has windowBars of them, and keeps nothing older).
        if (left >= this.#windowBars) continue;
        let older = this.#older[n];
        if (older === undefined) {
          older = { start: 0, seqs: [], minutes: [], values: [] };
          this.#older[n] = older;
        }
        older.seqs.push(seq);
        older.minutes.push(minute);
        for (let f = 0; f < BAR_FIELDS; f++) older.values.push(values[k * BAR_FIELDS + f] ?? NaN);
        this.#trimOlder(n);
      }
    }
    // Trim in chunks so appending stays amortised O(1).
    if (this.#head > 64 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  /** A symbol keeps older bars only while they are among its last `windowBars`. */
  #trimOlder(n: number): void {
    const older = this.#older[n];
    if (older === undefined) return;
    const allowed = Math.max(0, this.#windowBars - (this.#kept[n] ?? 0));
    if (allowed === 0) {
      this.#older[n] = undefined;
      return;
    }
    const held = older.seqs.length - older.start;
    if (held <= allowed) return;
    older.start += held - allowed;
    // Dropped in chunks, like the minutes.
    if (older.start > 64 && older.start * 2 > older.seqs.length) {
      older.seqs = older.seqs.slice(older.start);
      older.minutes = older.minutes.slice(older.start);
      older.values = older.values.slice(older.start * BAR_FIELDS);
      older.start = 0;
    }
  }

  /** This history's number for a symbol, given on first sight (which also places it in the order). */
  #number(key: Key): number {
    let n = this.#numberOf.get(key);
    if (n === undefined) {
      n = this.#keyOf.length;
      this.#numberOf.set(key, n);
      this.#keyOf.push(key);
      this.#order.push(key);
      if (n >= this.#kept.length) {
        const grown = new Int32Array(this.#kept.length * 2);
        grown.set(this.#kept);
        this.#kept = grown;
      }
    }
    return n;
  }

  #numbersOf(keys: readonly Key[], use: 0 | 1 = 0): Int32Array {
    if (keys === this.#lastKeys[use]) return this.#lastNumbers[use] as Int32Array;
    const numbers = new Int32Array(keys.length);
    for (let k = 0; k < keys.length; k++) numbers[k] = this.#number(keys[k] as Key);
    this.#lastKeys[use] = keys;
    this.#lastNumbers[use] = numbers;
    return numbers;
  }
}

/** The pool's history: minutes as it was fed them. */
export type PoolHistory = BarHistory<string, MinuteEntry>;
