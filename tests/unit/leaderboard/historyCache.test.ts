import { describe, expect, it } from 'vitest';
import { HistoryCache } from '../../../server/leaderboard/historyCache.ts';

const bytes = (n: number, fill = 'x') => Buffer.from(fill.repeat(n));

describe('HistoryCache', () => {
  it('answers only at the version an entry was stored at', () => {
    const cache = new HistoryCache(1_000);
    cache.set('alpha', '10@2025-01-02', bytes(10, 'a'));
    expect(cache.get('alpha', '10@2025-01-02')?.toString()).toBe('a'.repeat(10));
    expect(cache.get('alpha', '11@2025-01-02')).toBeUndefined();
    expect(cache.get('beta', '10@2025-01-02')).toBeUndefined();
  });

  it('replaces an entry stored again under the same key and counts its bytes once', () => {
    const cache = new HistoryCache(1_000);
    cache.set('alpha', 'v1', bytes(300));
    cache.set('alpha', 'v2', bytes(200));
    expect(cache.size).toEqual({ entries: 1, bytes: 200 });
    expect(cache.get('alpha', 'v1')).toBeUndefined();
    expect(cache.get('alpha', 'v2')).toHaveLength(200);
  });

  it('drops the least recently used entries beyond its budget, and keeps none larger than it', () => {
    const cache = new HistoryCache(1_000);
    cache.set('a', 'v', bytes(400));
    cache.set('b', 'v', bytes(400));
    expect(cache.get('a', 'v')).toBeDefined(); // a is now more recent than b
    cache.set('c', 'v', bytes(400));
    expect(cache.get('b', 'v')).toBeUndefined();
    expect(cache.get('a', 'v')).toBeDefined();
    expect(cache.get('c', 'v')).toBeDefined();
    expect(cache.size).toEqual({ entries: 2, bytes: 800 });
    cache.set('huge', 'v', bytes(1_001));
    expect(cache.get('huge', 'v')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 2, bytes: 800 });
  });
});
