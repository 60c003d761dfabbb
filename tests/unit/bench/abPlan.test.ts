// The pure half of bench:ab: git's name-status parsed strictly, the alternating run order, and
// the figures compared only where every run printed them.
import { describe, expect, it } from 'vitest';
import { compareFigures, numericLeaves, parseNameStatus, runOrder } from '../../../bench/abPlan.ts';

describe('bench:ab plan', () => {
  it('parses NUL-separated name-status, type changes as modifications, and refuses what it cannot swap', () => {
    expect(parseNameStatus('M\0a b.ts\0A\0new.ts\0D\0old.ts\0T\0link\0')).toEqual([
      { status: 'M', path: 'a b.ts' },
      { status: 'A', path: 'new.ts' },
      { status: 'D', path: 'old.ts' },
      { status: 'M', path: 'link' },
    ]);
    expect(parseNameStatus('')).toEqual([]);
    expect(() => parseNameStatus('R100\0a\0')).toThrow(/unexpected change "R100"/);
    expect(() => parseNameStatus('M\0')).toThrow(/odd number/);
  });

  it('alternates which version runs first', () => {
    expect(runOrder(3).map(({ round, version }) => `${round}${version}`)).toEqual(['1base', '1head', '2head', '2base', '3base', '3head']);
  });

  it('lists finite numbers by path, and compares those every run printed', () => {
    expect([...numericLeaves({ a: 1, b: [2, { c: 3 }], d: 'x', e: null, f: Number.NaN })]).toEqual([
      ['a', 1],
      ['b.0', 2],
      ['b.1.c', 3],
    ]);
    const runs = [
      { version: 'base' as const, output: { speed: 10, only: 1, nested: { ms: 4 } } },
      { version: 'head' as const, output: { speed: 15, nested: { ms: 2 } } },
      { version: 'head' as const, output: { speed: 25, nested: { ms: 3 } } },
      { version: 'base' as const, output: { speed: 0, nested: { ms: 6 } } },
    ];
    expect(compareFigures(runs)).toEqual({
      speed: { base: [10, 0], head: [15, 25], baseMedian: 5, headMedian: 20, ratio: 4 },
      'nested.ms': { base: [4, 6], head: [2, 3], baseMedian: 5, headMedian: 2.5, ratio: 0.5 },
    });
    expect(Object.keys(compareFigures(runs, ['nested']))).toEqual(['nested.ms']);
    expect(
      compareFigures([
        { version: 'base', output: { x: 0 } },
        { version: 'head', output: { x: 1 } },
      ]).x?.ratio,
    ).toBeNull();
  });
});
