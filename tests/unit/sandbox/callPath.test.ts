// The pure parts of the lean call path: the host-side Math.random seed and the binary payload
// that groups a batch of minutes by symbol.
import { describe, expect, it } from 'vitest';
import { encodeMinute, encodePayload, IndexCache, SymbolTable } from '../../../sandbox/child/payload.ts';
import { MinuteSeeds, seedWordsOf } from '../../../sandbox/child/seed.ts';

describe('MinuteSeeds', () => {
  it('gives the words of the whole text "<key>:<minute>", for 13-digit minutes and others', () => {
    for (const key of ['team-1', '', 'a'.repeat(64), 'é\u{1F600}']) {
      const seeds = new MinuteSeeds(key);
      for (const minute of [Date.UTC(2025, 6, 8, 13, 30), Date.UTC(2001, 8, 9, 2), 0, 60_000, 1e13 + 60_000, 1.5]) {
        expect(seeds.at(minute)).toEqual(seedWordsOf(`${key}:${String(minute)}`));
      }
    }
  });

  it('differs between keys and between minutes', () => {
    const minute = Date.UTC(2025, 6, 8, 13, 30);
    expect(new MinuteSeeds('a').at(minute)).not.toEqual(new MinuteSeeds('b').at(minute));
    expect(new MinuteSeeds('a').at(minute)).not.toEqual(new MinuteSeeds('a').at(minute + 60_000));
  });
});

describe('encodePayload', () => {
  const symbols = new IndexCache(new SymbolTable());
  // B has no bar on the second minute; C appears on the third.
  const minutes = [
    encodeMinute([1, 60_000, ['A', 'B'], [60_000, 1, 2, 3, 4, 5, 60_000, 11, 12, 13, 14, 15]], symbols),
    encodeMinute([2, 120_000, ['A'], [120_000, 21, 22, 23, 24, 25]], symbols),
    encodeMinute([3, 180_000, ['A', 'B', 'C'], [180_000, 31, 32, 33, 34, 35, 180_000, 41, 42, 43, 44, 45, 180_000, 51, 52, 53, 54, 55]], symbols),
  ];
  const prices = new Float64Array([0, 9.5]);

  it('groups a batch of minutes by symbol, in order of first appearance, as six columns each', () => {
    expect([...encodePayload(180_000, prices, minutes)]).toEqual([
      180_000,
      1,
      0,
      9.5,
      3,
      3, // last seq, symbols
      0,
      3,
      60_000,
      120_000,
      180_000,
      1,
      21,
      31,
      2,
      22,
      32,
      3,
      23,
      33,
      4,
      24,
      34,
      5,
      25,
      35,
      1,
      2,
      60_000,
      180_000,
      11,
      41,
      12,
      42,
      13,
      43,
      14,
      44,
      15,
      45,
      2,
      1,
      180_000,
      51,
      52,
      53,
      54,
      55,
    ]);
  });

  it('lays out one minute as one row per symbol, and no minutes as an empty batch', () => {
    expect([...encodePayload(180_000, prices, minutes.slice(2))].slice(4, 6)).toEqual([3, 3]);
    expect([...encodePayload(180_000, prices, minutes.slice(2))].slice(6, 14)).toEqual([0, 1, 180_000, 31, 32, 33, 34, 35]);
    expect([...encodePayload(180_000, prices, [])]).toEqual([180_000, 1, 0, 9.5, 0, 0]);
  });
});
