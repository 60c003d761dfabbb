// Memory a strategy holds outside the V8 heap (Intl objects keep ICU memory) is not bounded by
// the isolate's heap limit. The host attributes the growth of its process's resident memory to
// the team whose call caused it, discards that team's isolate past its allowance, and
// quarantines a team that keeps doing it; the other teams never notice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle } from '../unit/sandbox/helpers.ts';
import { AttackBench, resultOf } from './support.ts';

const bench = new AttackBench({ rssGrowthMb: 64, quarantineAfterCrashes: 3 });

beforeAll(async () => {
  await bench.start();
});
afterAll(async () => {
  await bench.close();
});

describe('memory outside the V8 heap', () => {
  it('an Intl hoarder is stopped, struck and quarantined, its process stays bounded, neighbours are untouched', async () => {
    // About 28 KB of ICU memory per formatter and only ~0.2 KB of heap: 1,500 per call is ~40 MB a minute.
    const hoarder = bundle(`class Strategy { constructor() { this.hoard = []; } generateSignal() {
      for (let i = 0; i < 1500; i++) this.hoard.push(new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', dateStyle: 'full', timeStyle: 'long' }));
      return null; } }`);
    expect(await bench.pool.load({ teamId: 'hoarder', strategy: hoarder, memoryMb: 24, cpuMs: 10_000 })).toEqual({ ok: true });
    const kinds: string[] = [];
    let peakRss = 0;
    for (let minute = 0; minute < 16 && kinds.at(-1) !== 'quarantined'; minute++) {
      const result = resultOf(await bench.step('hoarder'), 'hoarder');
      kinds.push(result.error?.kind ?? 'none');
      const stats = await bench.pool.processStats();
      peakRss = Math.max(peakRss, ...stats.map((s) => s.rss));
    }
    expect(kinds).toContain('memory');
    expect(kinds.at(-1)).toBe('quarantined');
    const status = bench.pool.status('hoarder');
    expect(status?.state).toBe('quarantined');
    expect(status?.reason).toMatch(/3 strikes .*grew its sandbox process by \d+ MB, over its 64 MB allowance/);
    // Without the check the hoarder grows its process by ~40 MB a minute without end (855 MB seen).
    expect(peakRss).toBeLessThan(600 * 2 ** 20);
  });
});
