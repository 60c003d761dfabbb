import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket } from '../../../data/market/alpaca/tokenBucket.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TokenBucket', () => {
  it('lets a burst through, then spaces the rest so no window of intervalMs holds more than limit', async () => {
    const bucket = new TokenBucket({ limit: 5, intervalMs: 1_000, burst: 2, now: () => Date.now() });
    const granted: Array<[number, number]> = [];
    const all = Array.from({ length: 12 }, (_, index) => bucket.acquire().then(() => granted.push([index, Date.now()])));
    await vi.advanceTimersByTimeAsync(5_000);
    await Promise.all(all);
    expect(granted.map(([index]) => index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]); // first come, first served
    expect(granted.slice(0, 2).map(([, at]) => at)).toEqual([0, 0]);
    const times = granted.map(([, at]) => at);
    for (const start of times) expect(times.filter((at) => at >= start && at < start + 1_000).length).toBeLessThanOrEqual(5);
    expect(bucket.stats()).toEqual({ granted: 12, waiting: 0, delayed: 10 });
  });

  it('never drops a caller: a long queue drains completely', async () => {
    const bucket = new TokenBucket({ limit: 200, intervalMs: 60_000, now: () => Date.now() });
    let done = 0;
    const all = Array.from({ length: 450 }, () => bucket.acquire().then(() => (done += 1)));
    expect(bucket.stats().waiting).toBe(450 - 20);
    await vi.advanceTimersByTimeAsync(3 * 60_000);
    await Promise.all(all);
    expect(done).toBe(450);
  });

  it('takes a waiter out of the queue when its signal aborts, and the others keep their turn', async () => {
    const bucket = new TokenBucket({ limit: 2, intervalMs: 1_000, burst: 1, now: () => Date.now() });
    await bucket.acquire();
    const controller = new AbortController();
    const aborted = bucket.acquire(controller.signal);
    const next = bucket.acquire();
    controller.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    expect(bucket.stats().waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await next;
    expect(bucket.stats()).toMatchObject({ granted: 2, waiting: 0 });
  });

  it('refuses nonsensical settings', () => {
    expect(() => new TokenBucket({ limit: 0, intervalMs: 1_000 })).toThrow(/limit/);
    expect(() => new TokenBucket({ limit: 5, intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => new TokenBucket({ limit: 5, intervalMs: 1_000, burst: 6 })).toThrow(/burst/);
  });
});
