// The pool's bar history (sandbox/history.ts) against a plain oracle: every bar ever appended, each
// symbol's last `windowBars` of them, symbols in order of first appearance. Dense, sparse and stopped
// symbols, integer-like names, and histories rebuilt from what another one sends.
import { describe, expect, it } from 'vitest';
import { BarHistory } from '../../../sandbox/history.ts';
import type { MinuteEntry } from '../../../sandbox/protocol.ts';
import { seededRandom } from '../../support/seededRandom.ts';

const FIELDS = 6;

/**
 * Minutes of bars: DENSE every minute; SPARSE about one minute in five; GONE only in the first ten;
 * LATE from minute 40; '7' (an integer-like name) now and then. Keys sorted, as the pool's are.
 */
function minutes(count: number, seed = 1): MinuteEntry[] {
  const next = seededRandom(seed);
  const out: MinuteEntry[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const keys: string[] = ['DENSE'];
    if (next() < 0.2) keys.push('SPARSE');
    if (seq <= 10) keys.push('GONE');
    if (seq >= 40) keys.push('LATE');
    if (next() < 0.1) keys.push('7');
    keys.sort();
    const values = keys.flatMap((key, k) => [seq * 60_000, seq, seq + 0.5, seq - 0.5, seq + k / 10, key.length]);
    out.push([seq, seq * 60_000, keys, values]);
  }
  return out;
}

/** What an isolate fed every minute holds: per symbol its bars after `after` (last windowBars), in order of first appearance. */
function oracle(entries: readonly MinuteEntry[], windowBars: number, after = 0): Array<{ key: string; count: number; rows: number[] }> {
  const order: string[] = [];
  const rows = new Map<string, number[][]>();
  for (const [seq, , keys, values] of entries) {
    keys.forEach((key, k) => {
      if (!rows.has(key)) {
        order.push(key);
        rows.set(key, []);
      }
      if (seq > after) rows.get(key)?.push(Array.from({ length: FIELDS }, (_, f) => values[k * FIELDS + f] ?? NaN));
    });
  }
  return order
    .map((key) => {
      const bars = (rows.get(key) ?? []).slice(-windowBars);
      return { key, count: bars.length, rows: bars.flat() };
    })
    .filter((window) => window.count > 0);
}

describe('BarHistory', () => {
  it('keeps every symbol’s last windowBars bars, however long ago they came, and their order of first appearance', () => {
    const all = minutes(300);
    for (const windowBars of [1, 5, 30]) {
      const history = new BarHistory<string, MinuteEntry>(windowBars, windowBars);
      for (const [index, entry] of all.entries()) {
        history.append(entry);
        // A replayed minute changes nothing.
        if (index > 0) history.append(all[index - 1]!);
        if (index % 37 === 0 || index === all.length - 1) {
          const seen = all.slice(0, index + 1);
          expect(history.windowsSince(0), `window ${windowBars}, after minute ${index + 1}`).toEqual(oracle(seen, windowBars));
          expect(history.order).toEqual(oracle(seen, 1e9).map((window) => window.key));
          // The symbols a new isolate is sent.
          expect(history.symbolsWithBars()).toEqual(oracle(seen, windowBars).map((window) => window.key));
        }
      }
      // From any point: exactly the bars after it (what an isolate that stopped there lacks).
      for (const after of [0, 1, 150, 260, 295, 299, 300]) expect(history.windowsSince(after), `after ${after}`).toEqual(oracle(all, windowBars, after));
      // GONE stopped at minute 10, 290 minutes ago, and keeps its last bars; LATE, first seen at minute 40, comes last.
      expect(history.windowsSince(0).find((window) => window.key === 'GONE')?.count).toBe(Math.min(10, windowBars));
      expect(history.order.at(-1)).toBe('LATE');
    }
  });

  it('sends a history that lacks minutes exactly what makes it the same', () => {
    const all = minutes(400, 7);
    const windowBars = 20;
    for (const behind of [0, 1, 50, 200, 375, 380, 399, 400]) {
      const source = new BarHistory<string, MinuteEntry>(windowBars, windowBars);
      for (const entry of all) source.append(entry);
      // A copy fed the first `behind` minutes, then what the source sends it.
      const copy = new BarHistory<string, MinuteEntry>(windowBars, windowBars);
      for (const entry of all.slice(0, behind)) copy.append(entry);
      const sends = source.covers(behind) ? source.since(behind) : source.entriesSince(behind);
      if (!source.covers(behind)) copy.adoptOrder(source.order);
      for (const entry of sends) copy.append(entry);
      expect(copy.lastSeq, `behind ${behind}`).toBe(400);
      expect(copy.order, `behind ${behind}`).toEqual(source.order);
      expect(copy.windowsSince(0), `behind ${behind}`).toEqual(source.windowsSince(0));
      expect(copy.since(0), `behind ${behind}`).toEqual(source.since(0));
      // …and stays the same as both go on.
      const more = minutes(430, 7).slice(400);
      for (const entry of more) {
        source.append(entry);
        copy.append(entry);
      }
      expect(copy.windowsSince(0)).toEqual(source.windowsSince(0));
      expect(copy.windowsSince(410)).toEqual(source.windowsSince(410));
    }
  });

  it('tells when the whole minutes after a seq hold every bar after it', () => {
    const history = new BarHistory<string, MinuteEntry>(3, 3);
    for (const entry of minutes(10)) history.append(entry);
    expect([history.covers(0), history.covers(6), history.covers(7), history.covers(10)]).toEqual([false, false, true, true]);
    expect(history.since(7).map((entry) => entry[0])).toEqual([8, 9, 10]);
    // The older bars of the minutes that left come first, grouped by minute, keys sorted.
    const sent = history.entriesSince(0);
    expect(sent.map((entry) => entry[0])).toEqual([...new Set(sent.map((entry) => entry[0]))].sort((a, b) => a - b));
    for (const [, , keys] of sent) expect([...keys]).toEqual([...keys].sort());
    expect(sent.at(-1)?.[0]).toBe(10);
  });

  it('does not let a holder of nothing rely on the minutes for an order it took from elsewhere', () => {
    const own = new BarHistory<string, MinuteEntry>(5, 5);
    const seeded = new BarHistory<string, MinuteEntry>(5, 5);
    seeded.adoptOrder(['ZED', 'ALPHA']);
    for (const entry of minutes(3)) {
      own.append(entry);
      seeded.append(entry);
    }
    expect([own.covers(0), own.covers(1)]).toEqual([true, true]);
    // The minutes alone would give a new holder their own order, not the seeded one.
    expect([seeded.covers(0), seeded.covers(1)]).toEqual([false, true]);
    expect(seeded.order.slice(0, 2)).toEqual(['ZED', 'ALPHA']);
    // A new isolate is sent the symbols that have bars: not those of the seeded order without any.
    expect(seeded.symbolsWithBars()).toEqual(own.symbolsWithBars());
    expect(seeded.symbolsWithBars()).not.toContain('ZED');
  });
});
