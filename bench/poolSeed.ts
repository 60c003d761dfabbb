// A shard pool created mid-season (a worker that starts, or takes a shard over) is fed each symbol's
// last window of bars and the order the symbols came in (server/tick/windowSeed.ts), which reads the
// stored minutes of the symbols the newest minutes leave short as far back as their windows go. This
// measures that first catch-up at season depth against what it replaced, in the same run: feeding
// the newest windowBars stored minutes only (which cut sparse windows short). Stores DAYS trading days (390 minutes) of SYMBOLS symbols: most with a bar every
// minute, one in ten every seventh minute, one only on the first day.
// Also what keeping each symbol's first minute (tick_symbols, which spares the seed a scan of every
// stored minute) adds to storing a minute: insertTick against the same row stored alone.
// Run with: npm run bench:pool-seed   (DAYS, SYMBOLS, WINDOW_BARS, ROUNDS, INSERTS)   Prints one JSON object.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startEmbeddedPostgres, type EmbeddedService } from '../data/embedded/postgresCluster.ts';
import { migrateUp } from '../data/postgres/migrate.ts';
import { createPgPool } from '../data/postgres/pool.ts';
import { SandboxPool } from '../sandbox/index.ts';
import { sandboxBars, ShardPool, type ShardPoolStore } from '../server/tick/shardPools.ts';
import { barsHash } from '../server/tick/barsSnapshot.ts';
import { barsBefore, insertTick, symbolDebuts, tickHistory } from '../server/tick/tickStore.ts';
import { olderBarsWanted } from '../server/tick/windowSeed.ts';
import { quantile, round } from './apiProcess.ts';

const DAYS = Number(process.env.DAYS ?? 5);
const SYMBOLS = Number(process.env.SYMBOLS ?? 400);
const WINDOW_BARS = Number(process.env.WINDOW_BARS ?? 1200);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const INSERTS = Number(process.env.INSERTS ?? 100);
const FIRST_DAY = Date.UTC(2025, 6, 1, 13, 30);
const DAY_MS = 86_400_000;

const silent = pino({ level: 'silent' });
const started: EmbeddedService[] = [];
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qtc-bench-pool-seed-'));

const median = (values: readonly number[]): number => round(quantile(values, 0.5));

async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await call();
  return { ms: performance.now() - start, value };
}

try {
  const service = await startEmbeddedPostgres({ dataDir, log: silent });
  started.push(service);
  const pool = createPgPool({ url: service.url, max: 4, connectTimeoutMs: 10_000 });
  await migrateUp(pool);
  const symbols = Array.from({ length: SYMBOLS }, (_, i) => `S${String(i).padStart(4, '0')}`);
  const stored = await timed(() =>
    pool.query(
      `INSERT INTO ticks (minute, status, shards, clock, source, bar_hash, bars, prices, teams)
       SELECT m.minute, 'completed', 1, 'simulated', 'bench', repeat('0', 64),
              COALESCE((SELECT jsonb_object_agg(s.symbol, jsonb_build_array(100 + s.n, 101 + s.n, 99 + s.n, 100.5 + s.n + m.i % 7, 1000 + m.i))
                          FROM unnest($1::text[]) WITH ORDINALITY AS s(symbol, n)
                         WHERE s.n = 1 AND m.i < 390 OR s.n > 1 AND (s.n % 10 <> 0 OR m.i % 7 = 0)), '{}'::jsonb),
              '{}'::jsonb, '[]'::jsonb
         FROM (SELECT d * 390 + k AS i, to_timestamp(($2::bigint + d * $4::bigint) / 1000.0) + k * interval '1 minute' AS minute
                 FROM generate_series(0, $3::int - 1) AS d, generate_series(0, 389) AS k) AS m`,
      [symbols, FIRST_DAY, DAYS, DAY_MS],
    ),
  );
  // What the migration does for ticks stored before tick_symbols existed (insertTick keeps it after).
  await pool.query('INSERT INTO tick_symbols (symbol, first_minute) SELECT symbol, min(minute) FROM ticks CROSS JOIN LATERAL jsonb_object_keys(bars) AS symbol GROUP BY symbol');
  await pool.query('ANALYZE ticks');
  const before = FIRST_DAY + (DAYS - 1) * DAY_MS + 390 * 60_000;
  const store: ShardPoolStore = {
    history: (after, until, limit) => tickHistory(pool, after, until, limit),
    symbolDebuts: (until) => symbolDebuts(pool, until),
    barsBefore: (wanted, until) => barsBefore(pool, wanted, until),
    lastRuns: () => Promise.resolve(new Map()),
    bundles: () => Promise.resolve(new Map()),
    memories: () => Promise.resolve(new Map()),
  };
  const sandbox = async (): Promise<SandboxPool> => {
    const created = new SandboxPool({ mode: 'processes', processes: 2, windowBars: WINDOW_BARS });
    await created.start();
    return created;
  };

  const reads = { recentMs: [] as number[], debutsMs: [] as number[], olderMs: [] as number[] };
  const seedMs: number[] = [];
  const recentOnlyMs: number[] = [];
  let olderMinutes = 0;
  let olderBars = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // The reads alone.
    const recent = await timed(() => tickHistory(pool, -Infinity, before, WINDOW_BARS));
    const debuts = await timed(() => symbolDebuts(pool, before));
    const wanted = olderBarsWanted(debuts.value, recent.value, WINDOW_BARS);
    const older = await timed(() => barsBefore(pool, wanted, recent.value[0]?.minute ?? before));
    reads.recentMs.push(recent.ms);
    reads.debutsMs.push(debuts.ms);
    reads.olderMs.push(older.ms);
    olderMinutes = older.value.length;
    olderBars = older.value.reduce((sum, minute) => sum + Object.keys(minute.bars).length, 0);

    // A new shard pool's first run (no team): the seed, reads and feeding included.
    const shardPool = await ShardPool.open(sandbox, store, WINDOW_BARS);
    try {
      const seeded = await timed(() => shardPool.run(before, new Map(), {}, [], new Map()));
      seedMs.push(seeded.ms);
    } finally {
      await shardPool.close();
    }

    // What it replaced: the newest windowBars stored minutes, read and fed.
    const peer = await sandbox();
    try {
      const fed = await timed(async () => {
        const minutes = await tickHistory(pool, -Infinity, before, WINDOW_BARS);
        for (const { minute, bars, prices } of minutes) {
          await peer.runMinute({ minute, bars: sandboxBars(minute, bars), prices, teams: [] });
        }
      });
      recentOnlyMs.push(fed.ms);
    } finally {
      await peer.close();
    }
  }
  // What keeping tick_symbols costs each minute: insertTick (the tick and its new symbols, in one
  // statement) against the same row inserted alone into a copy of the table, alternating.
  await pool.query('CREATE TABLE ticks_alone (LIKE ticks INCLUDING ALL)');
  const insertMs: number[] = [];
  const aloneMs: number[] = [];
  const lastBars = (await tickHistory(pool, -Infinity, before, 1))[0]?.bars ?? {};
  for (let i = 0; i < INSERTS; i++) {
    const minute = before + (i + 1) * 60_000;
    const tick = {
      minute,
      attempts: 1,
      shards: 1,
      clock: 'simulated' as const,
      source: 'bench',
      stale: false,
      staleReason: null,
      barHash: barsHash(minute, lastBars),
      bars: lastBars,
      prices: {},
      teams: [],
      barsMs: 0,
    };
    insertMs.push((await timed(() => insertTick(pool, tick))).ms);
    aloneMs.push(
      (
        await timed(() =>
          pool.query(
            `INSERT INTO ticks_alone (minute, status, attempts, shards, clock, source, stale, stale_reason, bar_hash, bars, prices, teams, stage_ms)
             VALUES ($1, 'running', 1, 1, 'simulated', 'bench', false, NULL, $2, $3, '{}', '[]', '{}') ON CONFLICT (minute) DO NOTHING`,
            [new Date(minute), tick.barHash, JSON.stringify(lastBars)],
          ),
        )
      ).ms,
    );
  }
  await pool.end();
  const seed = median(seedMs);
  const recentOnly = median(recentOnlyMs);
  console.log(
    JSON.stringify(
      {
        benchmark: 'pool-seed',
        machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown', node: process.versions.node, load: os.loadavg()[0] },
        season: { days: DAYS, symbols: SYMBOLS, minutes: DAYS * 390, windowBars: WINDOW_BARS, storeMs: round(stored.ms) },
        olderBars: { minutes: olderMinutes, bars: olderBars },
        readsMs: { recent: median(reads.recentMs), debuts: median(reads.debutsMs), older: median(reads.olderMs) },
        firstRunMs: { seeded: seed, recentMinutesOnly: recentOnly, ratio: round(seed / recentOnly) },
        insertTickMs: { withSymbols: median(insertMs), tickAlone: median(aloneMs), ratio: round(median(insertMs) / median(aloneMs)), inserts: INSERTS },
        rounds: ROUNDS,
        note: 'medians over rounds; firstRunMs.seeded = a new ShardPool catching up to the end of the season (what a worker does once per shard it takes); recentMinutesOnly = the old catch-up, which cut sparse windows short',
      },
      null,
      2,
    ),
  );
} finally {
  await Promise.all(started.map((service) => service.stop()));
  rmSync(dataDir, { recursive: true, force: true });
}
