// A symbol that trades sparsely keeps its last windowBars bars in a warm isolate's window, however long
// ago they came. An isolate created later (a team loaded late, a child process restarted, a child
// that had no team for a while) must see exactly the same windows, in the same order: before, it was
// given the pool's last windowBars *minutes*, so its sparse windows were cut short.
import { describe, expect, it } from 'vitest';
import { SandboxPool, type Bar, type TeamMinuteState } from '../../../sandbox/index.ts';
import { WINDOW_LOGGER as WATCHER } from '../../support/windowLogger.ts';

const T0 = Date.UTC(2025, 6, 8, 13, 30);
const WINDOW = 5;

/** Minute m: DENSE every minute, SPARSE every third, GONE only in the first four, LATE from minute 20. */
function barsAt(m: number): Record<string, Bar> {
  const bars: Record<string, Bar> = {};
  const add = (symbol: string, close: number) => (bars[symbol] = { timestamp: T0 + m * 60_000, open: close, high: close, low: close, close, volume: 1 });
  add('DENSE', m);
  if (m % 3 === 0) add('SPARSE', 100 + m);
  if (m < 4) add('GONE', 200 + m);
  if (m >= 20) add('LATE', 300 + m);
  return bars;
}

const team = (teamId: string): TeamMinuteState => ({ teamId, cash: 1000, equity: 1000, positions: {} });

async function run(pool: SandboxPool, m: number, teamIds: string[]): Promise<Map<string, string>> {
  const bars = barsAt(m);
  const prices = Object.fromEntries(Object.entries(bars).map(([symbol, bar]) => [symbol, bar.close]));
  const results = await pool.runMinute({ minute: T0 + m * 60_000, bars, prices, teams: teamIds.map(team) });
  const seen = new Map<string, string>();
  for (const [teamId, result] of results) {
    expect(result.error, `${teamId} at minute ${m}`).toBeNull();
    seen.set(teamId, result.logs.map((line) => line.message).join('\n'));
  }
  return seen;
}

describe.each(['in-process', 'processes'] as const)('sparse windows in a %s pool', (mode) => {
  it('are the same in an isolate created late as in one that ran from the first minute', { timeout: 60_000 }, async () => {
    const pool = new SandboxPool({ mode, processes: 2, windowBars: WINDOW, cpuMs: 5000 });
    await pool.start();
    try {
      expect((await pool.load({ teamId: 'warm', strategy: WATCHER })).ok).toBe(true);
      for (let m = 0; m < 30; m++) await run(pool, m, ['warm']);
      // In processes, the second team goes to the other child, which has been sent no minute yet.
      expect((await pool.load({ teamId: 'late', strategy: WATCHER })).ok).toBe(true);
      let seen = await run(pool, 30, ['warm', 'late']);
      // GONE's bars are 27 minutes old and SPARSE's last five span 13 minutes: both whole, in the order of minute 0 (sorted), LATE last.
      expect(seen.get('warm')).toBe(
        'DENSE:26,27,28,29,30/' +
          [26, 27, 28, 29, 30].map((m) => T0 + m * 60_000).join(',') +
          ' GONE:200,201,202,203/' +
          [0, 1, 2, 3].map((m) => T0 + m * 60_000).join(',') +
          ' SPARSE:118,121,124,127,130/' +
          [18, 21, 24, 27, 30].map((m) => T0 + m * 60_000).join(',') +
          ' LATE:326,327,328,329,330/' +
          [26, 27, 28, 29, 30].map((m) => T0 + m * 60_000).join(','),
      );
      expect(seen.get('late')).toBe(seen.get('warm'));
      for (let m = 31; m < 40; m++) {
        seen = await run(pool, m, ['warm', 'late']);
        expect(seen.get('late'), `minute ${m}`).toBe(seen.get('warm'));
      }
      if (mode === 'processes') {
        // A child killed between minutes is restarted with the whole history and rebuilds its isolates.
        const before = await pool.processStats();
        for (const { pid } of before) process.kill(pid, 'SIGKILL');
        for (let m = 40; m < 44; m++) {
          seen = await run(pool, m, ['warm', 'late']);
          expect(seen.get('late'), `minute ${m}`).toBe(seen.get('warm'));
        }
        const after = await pool.processStats();
        expect(after.map(({ pid }) => pid).filter((pid) => before.some((b) => b.pid === pid))).toEqual([]);
      }
    } finally {
      await pool.close();
    }
  });
});

describe.each(['in-process', 'processes'] as const)('a seeded order in a %s pool', (mode) => {
  // A pool created mid-season is told the order the symbols first came (server/tick/windowSeed.ts); its
  // children must take it even when the minutes fed after it are all still whole (nothing evicted),
  // which is when a child is otherwise sent the minutes alone.
  it('reaches the isolates of every child', { timeout: 60_000 }, async () => {
    const pool = new SandboxPool({ mode, processes: 2, windowBars: WINDOW, cpuMs: 5000 });
    await pool.start();
    try {
      pool.seedOrder(['ZED', 'ALPHA']);
      const minute = (m: number): Record<string, Bar> => ({
        ALPHA: { timestamp: T0 + m * 60_000, open: 1, high: 1, low: 1, close: m, volume: 1 },
        ZED: { timestamp: T0 + m * 60_000, open: 2, high: 2, low: 2, close: 10 + m, volume: 1 },
      });
      for (let m = 0; m < WINDOW - 1; m++) await pool.runMinute({ minute: T0 + m * 60_000, bars: minute(m), prices: { ALPHA: m, ZED: 10 + m }, teams: [] });
      expect((await pool.load({ teamId: 'one', strategy: WATCHER })).ok).toBe(true);
      expect((await pool.load({ teamId: 'two', strategy: WATCHER })).ok).toBe(true);
      const m = WINDOW - 1;
      const results = await pool.runMinute({ minute: T0 + m * 60_000, bars: minute(m), prices: { ALPHA: m, ZED: 10 + m }, teams: [team('one'), team('two')] });
      const stamps = [0, 1, 2, 3, 4].map((i) => T0 + i * 60_000).join(',');
      for (const teamId of ['one', 'two']) {
        expect(results.get(teamId)?.logs.map((line) => line.message)).toEqual([`ZED:10,11,12,13,14/${stamps} ALPHA:0,1,2,3,4/${stamps}`]);
      }
      expect(() => pool.seedOrder(['ALPHA'])).toThrow(/given minutes already/);
    } finally {
      await pool.close();
    }
  });
});
