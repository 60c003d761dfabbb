// A worker that creates a shard's pool mid-season (it started late, or the shard was handed over to
// it), or whose pool missed more than a window's worth of minutes, must show its teams what a pool
// that ran from the first stored minute shows: each symbol's last windowBars bars however old, in the
// order the symbols first came. Before, such a pool was fed the newest windowBars stored minutes only:
// a sparse symbol's window was cut short, one that stopped trading was missing, and the symbols came
// in the order of those minutes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bar } from '../../../data/market/bar.ts';
import { isProcessAlive } from '../../../data/embedded/managedProcess.ts';
import { SandboxPool, type TeamMinuteState } from '../../../sandbox/index.ts';
import { MIGRATIONS_DIR } from '../../../data/postgres/migrate.ts';
import { barsHash, encodeBars, type StoredBars } from '../../../server/tick/barsSnapshot.ts';
import { ShardPool, type ShardPoolStore, type TeamSpec } from '../../../server/tick/shardPools.ts';
import { barsBefore, insertTick, symbolDebuts, tickHistory, type NewTick } from '../../../server/tick/tickStore.ts';
import { WINDOW_LOGGER as WATCHER } from '../../support/windowLogger.ts';
import { openLedgerDatabase, type LedgerDatabase } from '../ledger/support.ts';

const T0 = Date.UTC(2025, 6, 8, 13, 30);
const WINDOW = 5;
const MINUTES = 40;
const at = (m: number): number => T0 + m * 60_000;

/** Minute m: DENSE every minute, SPARSE every third, GONE only in the first four, LATE from minute 20 (it sorts before SPARSE). */
function barsAt(m: number): Map<string, Bar> {
  const bars = new Map<string, Bar>();
  const add = (symbol: string, close: number) => bars.set(symbol, { symbol, timestamp: at(m), open: close, high: close, low: close, close, volume: 1 });
  add('DENSE', m);
  if (m % 3 === 0) add('SPARSE', 100 + m);
  if (m < 4) add('GONE', 200 + m);
  if (m >= 20) add('LATE', 300 + m);
  return bars;
}

const pricesAt = new Map<number, Record<string, number>>();
{
  const carried: Record<string, number> = {};
  for (let m = 0; m < MINUTES; m++) {
    for (const [symbol, bar] of barsAt(m)) carried[symbol] = bar.close;
    pricesAt.set(m, { ...carried });
  }
}

/** A minute as the tick stores it. */
const storedTick = (minute: number, bars: StoredBars, prices: Record<string, number> = {}): NewTick => ({
  minute,
  attempts: 1,
  shards: 1,
  clock: 'simulated',
  source: 'test',
  stale: false,
  staleReason: null,
  barHash: barsHash(minute, bars),
  bars,
  prices,
  teams: [],
  barsMs: 0,
});

const spec = (teamId: string): TeamSpec => ({ teamId, versionId: 1, params: {}, cpuMs: 5_000, memoryMb: 64 });
const state = (teamId: string): TeamMinuteState => ({ teamId, cash: 1_000, equity: 1_000, positions: {} });

let db: LedgerDatabase;
let store: ShardPoolStore;

beforeAll(async () => {
  db = await openLedgerDatabase();
  for (let m = 0; m < MINUTES; m++) {
    await insertTick(db.pool, storedTick(at(m), encodeBars(barsAt(m)), pricesAt.get(m)));
  }
  store = {
    history: (after, before, limit) => tickHistory(db.pool, after, before, limit),
    symbolDebuts: (before) => symbolDebuts(db.pool, before),
    barsBefore: (wanted, before) => barsBefore(db.pool, wanted, before),
    // No run is stored: every team's last run is "never", which is what a pool that loads it records.
    lastRuns: () => Promise.resolve(new Map()),
    bundles: (versionIds) => Promise.resolve(new Map(versionIds.map((id) => [id, WATCHER]))),
    memories: () => Promise.resolve(new Map()),
  };
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe('the minutes a tick stores', () => {
  it('give each symbol its first minute, and its last bars before a minute, read a page at a time', async () => {
    const debuts = await symbolDebuts(db.pool, at(30));
    expect(debuts.sort((a, b) => a.symbol.localeCompare(b.symbol))).toEqual([
      { symbol: 'DENSE', minute: at(0) },
      { symbol: 'GONE', minute: at(0) },
      { symbol: 'LATE', minute: at(20) },
      { symbol: 'SPARSE', minute: at(0) },
    ]);
    expect(await symbolDebuts(db.pool, at(0))).toEqual([]);
    expect((await symbolDebuts(db.pool, at(21))).map((debut) => debut.symbol).sort()).toEqual(['DENSE', 'GONE', 'LATE', 'SPARSE']);
    expect((await symbolDebuts(db.pool, at(20))).map((debut) => debut.symbol).sort()).toEqual(['DENSE', 'GONE', 'SPARSE']);
    // Pages of 2 minutes: SPARSE's 4 bars before minute 26 span 3 pages; GONE's search stops at its first bar.
    const older = await barsBefore(
      db.pool,
      [
        { symbol: 'SPARSE', count: 4, debut: at(0) },
        { symbol: 'GONE', count: 9, debut: at(0) },
      ],
      at(26),
      2,
    );
    const expected = [0, 1, 2, 3, 15, 18, 21, 24].map((m) => {
      const bars = encodeBars(barsAt(m));
      return { minute: at(m), bars: Object.fromEntries(Object.entries(bars).filter(([symbol]) => (symbol === 'SPARSE' && m >= 15) || symbol === 'GONE')) };
    });
    expect(older).toEqual(expected);
  });
});

describe("the symbols' first minutes (tick_symbols)", () => {
  const firstMinutes = async (): Promise<Array<{ symbol: string; first: string }>> =>
    (await db.pool.query<{ symbol: string; first: Date }>('SELECT symbol, first_minute AS first FROM tick_symbols ORDER BY symbol')).rows.map((row) => ({
      symbol: row.symbol,
      first: row.first.toISOString(),
    }));

  it("are what the migration's scan of the stored minutes finds", async () => {
    const written = await firstMinutes();
    expect(written.length).toBe(4);
    const migration = readFileSync(path.join(MIGRATIONS_DIR, '1763800016000_tick-symbols.sql'), 'utf8');
    const backfill = /^INSERT INTO tick_symbols[\s\S]*?;$/m.exec(migration.slice(0, migration.indexOf('-- Down Migration')))?.[0];
    expect(backfill).toBeDefined();
    await db.pool.query('DELETE FROM tick_symbols');
    await db.pool.query(backfill ?? '');
    expect(await firstMinutes()).toEqual(written);
  });

  it('move to an earlier minute stored late, and not to a later one', async () => {
    const bar: StoredBars[string] = [1, 1, 1, 1, 1];
    const late = at(-10);
    await insertTick(db.pool, storedTick(at(-5), { EARLY: bar }));
    await insertTick(db.pool, storedTick(late, { EARLY: bar, DENSE: bar }));
    await insertTick(db.pool, storedTick(at(-3), { EARLY: bar }));
    const first = new Map((await firstMinutes()).map((row) => [row.symbol, row.first]));
    expect(first.get('EARLY')).toBe(new Date(late).toISOString());
    expect(first.get('DENSE')).toBe(new Date(late).toISOString());
    // A minute stored again (a retried job) changes nothing.
    await insertTick(db.pool, storedTick(at(-20), {}));
    await insertTick(db.pool, storedTick(at(-20), { OTHER: bar }));
    expect((await firstMinutes()).map((row) => row.symbol)).not.toContain('OTHER');
    await db.pool.query('DELETE FROM tick_symbols');
    await db.pool.query('DELETE FROM ticks WHERE minute < $1', [new Date(at(0))]);
    await db.pool.query(
      'INSERT INTO tick_symbols (symbol, first_minute) SELECT symbol, min(minute) FROM ticks CROSS JOIN LATERAL jsonb_object_keys(bars) AS symbol GROUP BY symbol',
    );
  });
});

describe.each(['in-process', 'processes'] as const)('a shard pool in %s mode', (mode) => {
  const open = (): Promise<ShardPool> =>
    ShardPool.open(
      async () => {
        const sandbox = new SandboxPool({ mode, processes: 2, windowBars: WINDOW, cpuMs: 5_000 });
        await sandbox.start();
        return sandbox;
      },
      store,
      WINDOW,
    );

  async function seen(pool: ShardPool, m: number, teamId: string): Promise<string> {
    const { results } = await pool.run(at(m), barsAt(m), pricesAt.get(m) ?? {}, [spec(teamId)], new Map([[teamId, state(teamId)]]));
    const result = results.get(teamId);
    expect(result?.error, `${teamId} at minute ${m}`).toBeNull();
    return (result?.logs ?? []).map((line) => line.message).join('\n');
  }

  it('created mid-season, or after missing more than a window, shows what a pool that ran all along shows', { timeout: 120_000 }, async () => {
    const warm = await open();
    const fresh = await open();
    const behind = await open();
    const shortGap = await open();
    try {
      const warmSeen = new Map<number, string>();
      for (let m = 0; m < MINUTES; m++) {
        warmSeen.set(m, await seen(warm, m, 'warm'));
        // `behind` runs the first ten minutes, then misses twenty (four windows); `shortGap` misses three.
        if (m < 10) await seen(behind, m, 'behind');
        if (m < 27) await seen(shortGap, m, 'short-gap');
      }
      // GONE's bars are 30 minutes old and SPARSE's last five span 13 minutes: whole, in the order of minute 0 (sorted), LATE last.
      expect(warmSeen.get(30)).toBe(
        'DENSE:26,27,28,29,30/' +
          [26, 27, 28, 29, 30].map(at).join(',') +
          ' GONE:200,201,202,203/' +
          [0, 1, 2, 3].map(at).join(',') +
          ' SPARSE:118,121,124,127,130/' +
          [18, 21, 24, 27, 30].map(at).join(',') +
          ' LATE:326,327,328,329,330/' +
          [26, 27, 28, 29, 30].map(at).join(','),
      );
      const firstSandbox = behind.pool;
      // (An in-process pool reports this process for each of its slots.)
      const firstChildren = (await firstSandbox.processStats()).map(({ pid }) => pid).filter((pid) => pid !== process.pid);
      expect(firstChildren.length).toBe(mode === 'processes' ? 2 : 0);
      expect(await seen(fresh, 30, 'fresh')).toBe(warmSeen.get(30));
      expect(await seen(behind, 30, 'behind')).toBe(warmSeen.get(30));
      expect(behind.pool, 'a pool a window behind is replaced').not.toBe(firstSandbox);
      // The replaced pool's children are gone (closed, not leaked).
      for (const pid of firstChildren) expect(isProcessAlive(pid), `child ${pid} of the replaced pool`).toBe(false);
      const shortGapSandbox = shortGap.pool;
      expect(await seen(shortGap, 30, 'short-gap')).toBe(warmSeen.get(30));
      expect(shortGap.pool, 'a pool less than a window behind is kept').toBe(shortGapSandbox);
      for (let m = 31; m < MINUTES; m++) {
        for (const [pool, teamId] of [
          [fresh, 'fresh'],
          [behind, 'behind'],
          [shortGap, 'short-gap'],
        ] as const) {
          expect(await seen(pool, m, teamId), `${teamId} at minute ${m}`).toBe(warmSeen.get(m));
        }
      }
    } finally {
      await Promise.all([warm, fresh, behind, shortGap].map((pool) => pool.close()));
    }
  });
});
