import { describe, expect, it } from 'vitest';
import { lttbIndices } from '../../../server/leaderboard/lttb.ts';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('lttbIndices', () => {
  it('keeps, from 5 points in 3, the one of the middle bucket that makes the largest triangle', () => {
    // Bucket [1, 4) against (0,0) and the last point (4,5): areas ×2 are 35, 10 and 15.
    expect(lttbIndices(range(5), [0, 10, 0, 0, 5], 3)).toEqual([0, 1, 4]);
  });

  it('gives the hand-computed answer for 8 points in 4', () => {
    // Bucket [1,4) against (0,0) and the average (5,-2/3) of [4,7): areas ×2 5.67, 26.33, 12 → 2;
    // bucket [4,7) against (2,5) and (7,2): 19, 31, 8 → 5.
    expect(lttbIndices(range(8), [0, 1, 5, 2, 0, -3, 1, 2], 4)).toEqual([0, 2, 5, 7]);
  });

  it('returns every index when the threshold is at least the number of points', () => {
    expect(lttbIndices([10, 20, 30], [1, 2, 3], 3)).toEqual([0, 1, 2]);
    expect(lttbIndices([10, 20, 30], [1, 2, 3], 1_000)).toEqual([0, 1, 2]);
    expect(lttbIndices([], [], 2)).toEqual([]);
  });

  it('keeps only the first and last point for a threshold of 2', () => {
    expect(lttbIndices(range(6), [3, 1, 4, 1, 5, 9], 2)).toEqual([0, 5]);
  });

  it('keeps the first and last point, ascending, exactly `threshold` of them, and a lone spike', () => {
    const n = 10_000;
    const ys = range(n).map((i) => 100_000 + Math.sin(i / 50) * 10);
    ys[7_777] = 250_000;
    ys[3_333] = -5_000;
    const kept = lttbIndices(range(n), ys, 500);
    expect(kept).toHaveLength(500);
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBe(n - 1);
    for (let i = 1; i < kept.length; i += 1) expect(kept[i]!).toBeGreaterThan(kept[i - 1]!);
    expect(kept).toContain(7_777);
    expect(kept).toContain(3_333);
  });

  it('picks the same points for epoch-millisecond timestamps as for their offsets', () => {
    const start = Date.UTC(2025, 6, 8, 13, 30);
    const ys = range(2_000).map((i) => Math.round(Math.cos(i / 7) * 1e4 + i) / 1e4);
    const offsets = range(2_000).map((i) => i * 60_000);
    expect(
      lttbIndices(
        offsets.map((x) => start + x),
        ys,
        97,
      ),
    ).toEqual(lttbIndices(offsets, ys, 97));
  });

  it('keeps the earlier of two points that tie', () => {
    // Points 1 and 2 make triangles of the same area with (0,0) and the last point (3,0).
    expect(lttbIndices(range(4), [0, 1, 1, 0], 3)).toEqual([0, 1, 3]);
  });

  it('refuses a threshold below 2 or not whole, and arrays of different lengths', () => {
    expect(() => lttbIndices(range(5), range(5), 1)).toThrow(RangeError);
    expect(() => lttbIndices(range(5), range(5), 2.5)).toThrow(RangeError);
    expect(() => lttbIndices(range(5), range(4), 3)).toThrow(RangeError);
  });
});
