import { describe, expect, it } from 'vitest';
import { NextFlight } from '../../../server/leaderboard/nextFlight.ts';

/** A read the test finishes by hand, numbered in the order reads began. */
function reads() {
  const started: Array<{ resolve: (value: number) => void; reject: (error: Error) => void }> = [];
  const read = () =>
    new Promise<number>((resolve, reject) => {
      started.push({ resolve, reject });
    });
  return { started, read };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('NextFlight', () => {
  it('starts a read for the first caller and one shared next read for those who came during it', async () => {
    const flights = new NextFlight<number>();
    const { started, read } = reads();
    const first = flights.run('a', read);
    const second = flights.run('a', read);
    const third = flights.run('a', read);
    expect(started).toHaveLength(1);
    started[0]!.resolve(1);
    expect(await first).toBe(1);
    await tick();
    // The callers who arrived while read 1 ran get read 2, begun after they asked.
    expect(started).toHaveLength(2);
    started[1]!.resolve(2);
    expect(await Promise.all([second, third])).toEqual([2, 2]);
    await tick();
    expect(flights.size).toBe(0);
  });

  it('keeps keys apart', async () => {
    const flights = new NextFlight<number>();
    const { started, read } = reads();
    const a = flights.run('a', read);
    const b = flights.run('b', read);
    expect(started).toHaveLength(2);
    started[0]!.resolve(1);
    started[1]!.resolve(2);
    expect([await a, await b]).toEqual([1, 2]);
  });

  it('gives a failed read to its own callers only; the next read still runs', async () => {
    const flights = new NextFlight<number>();
    const { started, read } = reads();
    const first = flights.run('a', read);
    const second = flights.run('a', read);
    started[0]!.reject(new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await tick();
    started[1]!.resolve(7);
    expect(await second).toBe(7);
  });

  it('starts afresh for a caller that comes after a read ended', async () => {
    const flights = new NextFlight<number>();
    const { started, read } = reads();
    const first = flights.run('a', read);
    started[0]!.resolve(1);
    await first;
    await tick();
    const later = flights.run('a', read);
    expect(started).toHaveLength(2);
    started[1]!.resolve(3);
    expect(await later).toBe(3);
  });
});

describe('NextFlight with reuseMs', () => {
  it('answers from a read that ended less than reuseMs ago, then reads again; keeps a bounded number of keys', async () => {
    let now = 1_000;
    const flights = new NextFlight<number>({ reuseMs: 250, now: () => now });
    let reads = 0;
    const read = () => Promise.resolve(++reads);
    expect(await flights.run('a', read)).toBe(1);
    await tick();
    now += 249;
    expect(await flights.run('a', read)).toBe(1);
    expect(reads).toBe(1);
    now += 1;
    expect(await flights.run('a', read)).toBe(2);
    await tick();
    // Another key has its own read.
    expect(await flights.run('b', read)).toBe(3);
    await tick();
    for (let key = 0; key < 10_050; key++) await flights.run(`k${String(key)}`, read);
    await tick();
    // The oldest keys were dropped past the bound: 'a' is read again although its read is recent.
    expect(await flights.run('a', read)).toBe(reads);
  });
});
