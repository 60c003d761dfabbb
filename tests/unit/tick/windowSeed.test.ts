import { describe, expect, it } from 'vitest';
import type { StoredBar } from '../../../server/tick/barsSnapshot.ts';
import { debutOrder, OlderBarsCollector, olderBarsWanted, type StoredMinuteBars } from '../../../server/tick/windowSeed.ts';

const bar = (close: number): StoredBar => [close, close, close, close, 1];

describe('debutOrder', () => {
  it('orders symbols by their first minute, then as a minute sorts its symbols (UTF-16 code units, integer-like ones as strings)', () => {
    const order = debutOrder([
      { symbol: 'b', minute: 2 },
      { symbol: 'Z', minute: 1 },
      { symbol: '10', minute: 1 },
      { symbol: '9', minute: 1 },
      { symbol: 'A', minute: 2 },
      { symbol: '\u{1F600}', minute: 1 },
      { symbol: '\uFF21', minute: 1 },
    ]);
    expect(order).toEqual(['10', '9', 'Z', '\u{1F600}', '\uFF21', 'A', 'b']);
    expect(order.slice(0, 5)).toEqual(['Z', '10', '9', '\u{1F600}', '\uFF21'].sort());
  });
});

describe('olderBarsWanted', () => {
  const recent: StoredMinuteBars[] = [
    { minute: 10, bars: { DENSE: bar(1), SPARSE: bar(1) } },
    { minute: 11, bars: { DENSE: bar(2) } },
    { minute: 12, bars: { DENSE: bar(3), NEW: bar(3) } },
  ];
  it('lists the symbols the newest minutes leave short that have bars before them, with how many bars they lack', () => {
    const debuts = [
      { symbol: 'DENSE', minute: 0 },
      { symbol: 'SPARSE', minute: 4 },
      { symbol: 'GONE', minute: 1 },
      { symbol: 'NEW', minute: 12 },
      { symbol: 'SHORT', minute: 10 },
    ];
    expect(olderBarsWanted(debuts, recent, 3)).toEqual([
      { symbol: 'SPARSE', count: 2, debut: 4 },
      { symbol: 'GONE', count: 3, debut: 1 },
    ]);
    expect(olderBarsWanted(debuts, recent, 5).map((want) => [want.symbol, want.count])).toEqual([
      ['DENSE', 2],
      ['SPARSE', 4],
      ['GONE', 5],
    ]);
  });
  it('wants nothing when no minute is stored', () => {
    expect(olderBarsWanted([{ symbol: 'A', minute: 0 }], [], 5)).toEqual([]);
  });
});

describe('OlderBarsCollector', () => {
  it("keeps each symbol's newest bars across pages, and stops at every symbol's first bar", () => {
    const collector = new OlderBarsCollector([
      { symbol: 'A', count: 2, debut: 0 },
      { symbol: 'B', count: 5, debut: 3 },
      { symbol: 'C', count: 0, debut: 0 },
    ]);
    expect(collector.symbols).toEqual(['A', 'B']);
    expect(collector.floor).toBe(0);
    collector.add([
      { minute: 9, bars: { A: bar(9), B: bar(9) } },
      { minute: 7, bars: { B: bar(7), X: bar(7) } },
    ]);
    expect(collector.done).toBe(false);
    collector.add([
      { minute: 5, bars: { A: bar(5) } },
      { minute: 3, bars: { A: bar(3), B: bar(3) } },
    ]);
    // A has its two bars (9, 5); B reached its first bar with three of five.
    expect(collector.done).toBe(true);
    expect(collector.minutes()).toEqual([
      { minute: 3, bars: { B: bar(3) } },
      { minute: 5, bars: { A: bar(5) } },
      { minute: 7, bars: { B: bar(7) } },
      { minute: 9, bars: { A: bar(9), B: bar(9) } },
    ]);
  });
});
