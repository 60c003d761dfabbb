// A sandbox host's windows (sandbox/child/hostWindows.ts), which answer its isolates' first reads
// of a column, against a plain oracle: each symbol's last `windowBars` bars, gathered from the
// history when first asked for and kept up to date afterwards, for dense, sparse and stopped symbols.
import { describe, expect, it } from 'vitest';
import { HostWindows } from '../../../sandbox/child/hostWindows.ts';
import { BarHistory } from '../../../sandbox/history.ts';
import { seededRandom } from '../../support/seededRandom.ts';

const FIELDS = 6;
type Entry = [number, number, number[], number[]];

/** Symbol 0 every minute, 1 about one minute in four, 2 only in the first 20, 3 from minute 50. */
function minutes(count: number): Entry[] {
  const next = seededRandom(7);
  const out: Entry[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const symbols = [0];
    if (next() < 0.25) symbols.push(1);
    if (seq <= 20) symbols.push(2);
    if (seq >= 50) symbols.push(3);
    out.push([seq, seq * 60_000, symbols, symbols.flatMap((symbol) => Array.from({ length: FIELDS }, (_, f) => seq * 1000 + symbol * 10 + f))]);
  }
  return out;
}

/** Column `field` of `symbol`'s last `windowBars` bars among `entries`. */
function oracle(entries: readonly Entry[], symbol: number, field: number, windowBars: number): number[] {
  const column: number[] = [];
  for (const [, , symbols, values] of entries) {
    const k = symbols.indexOf(symbol);
    if (k >= 0) column.push(values[k * FIELDS + field] ?? NaN);
  }
  return column.slice(-windowBars);
}

describe('HostWindows', () => {
  it('answers every column of every symbol as its last windowBars bars, gathered when first asked for and kept up to date', () => {
    const all = minutes(300);
    for (const windowBars of [1, 5, 30, 100]) {
      for (const firstAskAt of [1, 40, 120, 299]) {
        const history = new BarHistory<number, Entry>(windowBars, windowBars);
        const windows = new HostWindows(windowBars, history);
        const into = new Float64Array(windowBars);
        const check = (index: number, symbol: number, field: number): void => {
          const expected = oracle(all.slice(0, index + 1), symbol, field, windowBars);
          const count = windows.columnInto(symbol, field, into);
          expect(Array.from(into.subarray(0, count)), `window ${windowBars}, first asked at ${firstAskAt}, minute ${index + 1}, symbol ${symbol}, field ${field}`).toEqual(
            expected,
          );
        };
        for (const [index, entry] of all.entries()) {
          history.append(entry);
          windows.append(entry[2], entry[3]);
          // First the closes of symbols 0 and 2 (2 stops at minute 20); later every column of every symbol.
          if (index + 1 === firstAskAt) for (const symbol of [0, 2]) check(index, symbol, 4);
          if (index + 1 < firstAskAt || (index % 13 !== 0 && index !== all.length - 1)) continue;
          for (let symbol = 0; symbol <= 4; symbol++) for (let field = 0; field < FIELDS; field++) check(index, symbol, field);
        }
      }
    }
  });

  it('says when a window does not fit where it is asked to be written', () => {
    const history = new BarHistory<number, Entry>(10, 10);
    const windows = new HostWindows(10, history);
    for (const [i, seq] of [1, 2, 3].entries()) history.append([seq, seq * 60_000, [0], Array.from({ length: FIELDS }, (_, f) => i * FIELDS + f)]);
    expect(windows.columnInto(0, 4, new Float64Array(2))).toBe(-1);
    const into = new Float64Array(3);
    expect(windows.columnInto(0, 4, into)).toBe(3);
    expect(Array.from(into)).toEqual([4, 10, 16]);
  });
});
