// Symbols' windows as columns, kept by a sandbox host for its isolates' first reads of a column
// (sandbox/runtime/windows.ts asks; teamIsolate.ts passes the question on). The history holds the
// same bars minute by minute, so a symbol's window is scattered over up to `windowBars` minutes
// there (~100-250 µs to gather at 400 symbols: a cache miss a minute); here it is contiguous, and
// answering is one copy. A symbol's columns are gathered from the history when an isolate first
// asks for one of them, then kept up to date minute by minute: a process whose isolates never read
// a symbol never pays for it. One copy per process, where each isolate used to hold all six
// columns of every symbol.
import type { BarHistory } from '../history.ts';
import { BAR_FIELDS } from '../protocol.ts';
import type { EncodedMinute } from './payload.ts';

/** Room for this many bars beyond the window: a full window is shifted down once every SLACK bars. */
const SLACK = 64;

/** One symbol's six columns (column f from f × cap), the window at positions [start, end). */
interface Columns {
  values: Float64Array;
  start: number;
  end: number;
}

export class HostWindows {
  readonly #windowBars: number;
  readonly #cap: number;
  readonly #history: BarHistory<number, EncodedMinute>;
  /** By symbol index: the symbols asked for. */
  readonly #bySymbol: Array<Columns | undefined> = [];
  #asked = 0;

  constructor(windowBars: number, history: BarHistory<number, EncodedMinute>) {
    this.#windowBars = windowBars;
    this.#cap = windowBars + SLACK;
    this.#history = history;
  }

  /** A minute's bars (BAR_FIELDS values per symbol, in `symbols`' order), just appended to the history. */
  append(symbols: readonly number[], values: ArrayLike<number>): void {
    if (this.#asked === 0) return;
    for (let k = 0; k < symbols.length; k++) {
      const columns = this.#bySymbol[symbols[k] ?? -1];
      if (columns !== undefined) this.#push(columns, values, k * BAR_FIELDS);
    }
  }

  /** Writes column `field` of `symbol`'s window into `into`; the number of bars, or -1 when they do not fit. */
  columnInto(symbol: number, field: number, into: Float64Array): number {
    let columns = this.#bySymbol[symbol];
    if (columns === undefined) {
      const gathered: Columns = { values: new Float64Array(this.#cap * BAR_FIELDS), start: 0, end: 0 };
      this.#history.forEachBar(symbol, (values, at) => this.#push(gathered, values, at));
      this.#bySymbol[symbol] = gathered;
      this.#asked++;
      columns = gathered;
    }
    const count = columns.end - columns.start;
    if (count > into.length) return -1;
    const from = field * this.#cap + columns.start;
    into.set(columns.values.subarray(from, from + count));
    return count;
  }

  #push(columns: Columns, row: ArrayLike<number>, at: number): void {
    const cap = this.#cap;
    const values = columns.values;
    if (columns.end === cap) {
      // Full: the newest windowBars - 1 bars move to the front.
      const keep = Math.min(columns.end - columns.start, this.#windowBars - 1);
      for (let f = 0; f < BAR_FIELDS; f++) values.copyWithin(f * cap, f * cap + columns.end - keep, f * cap + columns.end);
      columns.start = 0;
      columns.end = keep;
    }
    const i = columns.end;
    for (let f = 0; f < BAR_FIELDS; f++) values[f * cap + i] = row[at + f] ?? NaN;
    columns.end = i + 1;
    if (columns.end - columns.start > this.#windowBars) columns.start = columns.end - this.#windowBars;
  }
}
