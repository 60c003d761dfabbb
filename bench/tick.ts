// Minute-tick benchmark: one tick for 100 and for 1,000 teams through the real pipeline (BullMQ flow,
// sandbox child processes, ledger, simulated market and ledger-backed simulated broker, leaderboard,
// activity stream), p50/p95 per stage. Targets: ≤ 150 ms p95 (100 teams), ≤ 1 s p95 (1,000 teams).
// Run with: npm run bench:tick   (node --no-node-snapshot bench/tick.ts)
// Scaling: npm run bench:tick-scaling (TEAMS=100,1000,3000, MINUTES=100:20,1000:15,3000:10, WARMUP=3) adds the
// per-team slope (ms per team) of each stage's p50 and p95, least squares over the sizes, to the same JSON.
// Starts throwaway Postgres and Redis (or uses BENCH_DATABASE_URL / BENCH_REDIS_URL); prints one JSON object.
// Each team runs a small strategy that keeps a counter in team.memory and buys or sells one share twice
// every TRADE_PERIOD minutes (default 10: about 20% of the teams trade each minute, so orders, fills and
// reservations are part of the figures; TRADE_PERIOD=100 shows the floor with 2%). WARMUP minutes load the isolates first; MINUTES minutes are measured.
// SEASON_DAYS=n first stores n trading days of the same trading as history (orders and their fills, as
// the bench's strategy would have made them), so the minutes are measured deep into a season, where a
// read that scans those tables instead of finding the minute's rows by index shows (default 0: a new season).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import { FlowProducer, QueueEvents } from 'bullmq';
import pg from 'pg';
import pino from 'pino';
import { startEmbeddedPostgres, type EmbeddedService } from '../data/embedded/postgresCluster.ts';
import { startEmbeddedRedis } from '../data/embedded/redisServer.ts';
import { migrateUp } from '../data/postgres/migrate.ts';
import { createPgPool } from '../data/postgres/pool.ts';
import { connectRedis, createRedis } from '../data/redis/client.ts';
import { recordVersion } from '../loaders/activation/index.ts';
import { parseRegistry } from '../registry/load.ts';
import { RegistryStore } from '../registry/store.ts';
import { syncTeams } from '../registry/sync.ts';
import type { CompiledStrategy } from '../sandbox/index.ts';
import { loadConfig } from '../server/config/config.ts';
import { TICK_QUEUE, tickFlow } from '../server/tick/queue.ts';
import { startWorker } from '../server/worker/worker.ts';

const SIZES = (process.env.TEAMS ?? '100,1000').split(',').map(Number);
const WARMUP = Number(process.env.WARMUP ?? 5);
// MINUTES: one count for every size, or per size as `<teams>:<minutes>,…` (sizes not listed: 30).
const MINUTES_SPEC = process.env.MINUTES ?? '30';
const minutesFor = (teams: number): number => {
  if (!MINUTES_SPEC.includes(':')) return Number(MINUTES_SPEC);
  const entry = MINUTES_SPEC.split(',')
    .map((part) => part.split(':').map(Number))
    .find(([size]) => size === teams);
  return entry?.[1] ?? 30;
};
// Each team buys once and sells once per TRADE_PERIOD minutes: 2/TRADE_PERIOD of the teams trade each minute.
const TRADE_PERIOD = Number(process.env.TRADE_PERIOD ?? 10);
// WORKERS workers (in this process, each with its own sandbox pools) share SHARDS shards per minute;
// each runs WORKER_CONCURRENCY jobs at once (default 1, as the server's).
const WORKERS = Number(process.env.WORKERS ?? 1);
const SHARDS = Number(process.env.SHARDS ?? 1);
const SEASON_DAYS = Number(process.env.SEASON_DAYS ?? 0);
const SYNCHRONOUS_COMMIT = process.env.BENCH_SYNCHRONOUS_COMMIT === 'off' ? 'off' : 'on';
const UNIVERSE = ['SPY', 'QQQ', 'IWM', 'TLT', 'GLD', 'EFA', 'EEM', 'XLF', 'XLK', 'XLE'];
const OPEN = Date.UTC(2025, 6, 8, 13, 30);
const silent = pino({ level: 'silent' });

const STRATEGY: CompiledStrategy = {
  filename: 'strategy.bundle.js',
  sourceMap: '',
  code: `var __qtcStrategy = (() => {
class Strategy {
  constructor(params) { this.offset = params.offset ?? 0; this.symbol = params.symbol ?? 'SPY'; this.period = params.period ?? 10; }
  generateSignal(team, bars, prices) {
    const n = (team.memory.n ?? 0) + 1;
    team.memory.n = n;
    const close = bars[this.symbol]?.close;
    if (!close || close.length < 2) return null;
    const phase = (n + this.offset) % this.period;
    if (phase === 0) return { symbol: this.symbol, action: 'buy', quantity: 1, reason: 'phase 0' };
    if (phase === Math.floor(this.period / 2) && (team.positions[this.symbol]?.quantity ?? 0) > 0) return { symbol: this.symbol, action: 'sell', quantity: 1, reason: 'half period' };
    return null;
  }
}
return { default: Strategy };
})();`,
};

const started: EmbeddedService[] = [];
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qtc-bench-tick-'));
const serverUrl: string = process.env.BENCH_DATABASE_URL ?? (await startEmbeddedPostgres({ dataDir, log: silent }).then((s) => (started.push(s), s.url)));
const redisUrl: string = process.env.BENCH_REDIS_URL ?? (await startEmbeddedRedis({ dataDir, log: silent }).then((s) => (started.push(s), s.url)));

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[rank]! * 10) / 10;
}

async function freshDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    // BENCH_SYNCHRONOUS_COMMIT=off measures what an operator gets with that database setting (commits stop
    // waiting for the WAL flush; a Postgres crash may lose the last moments, never consistency).
    if (SYNCHRONOUS_COMMIT === 'off') await admin.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * SEASON_DAYS trading days (390 minutes each, on the days before OPEN) of the bench's trading, stored
 * as history: each team's buy or sell every TRADE_PERIOD / 2 minutes, filled the minute after. Orders and
 * fills are the tables that grow with the season and that every minute reads by time; the books are left
 * as they are (this history is only there to be the size of one).
 */
async function storeSeasonHistory(pool: pg.Pool, teamIds: readonly string[]): Promise<{ orders: number; ms: number }> {
  const started = performance.now();
  const half = Math.max(1, Math.floor(TRADE_PERIOD / 2));
  // The orders and, from the rows they return, their fills: one statement.
  const { rowCount } = await pool.query(
    `WITH season AS (
       INSERT INTO orders (client_order_id, team_id, minute, seq, symbol, side, quantity, type, reference_price, status,
                           filled_quantity, filled_avg_price, reserved_quantity, applied_quantity)
       SELECT 'season-' || t.n || '-' || d || '-' || k, t.id, $2::timestamptz - d * interval '1 day' + k * interval '1 minute', 1, 'SPY',
              CASE WHEN ((k + t.n) / $4) % 2 = 0 THEN 'buy' ELSE 'sell' END, 1, 'market', 600, 'filled', 1, 600, 0, 1
         FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n), generate_series(1, $3::int) AS d, generate_series(0, 389) AS k
        WHERE (k + t.n) % $4 = 0
       RETURNING client_order_id, team_id, minute, symbol, side)
     INSERT INTO fills (execution_id, client_order_id, team_id, symbol, side, quantity, price, executed_at, applied, cash_after, position_after)
     SELECT client_order_id || '-1', client_order_id, team_id, symbol, side, 1, 600, minute + interval '1 minute', true, 100000, 0 FROM season`,
    [teamIds, new Date(OPEN), SEASON_DAYS, half],
  );
  await pool.query('ANALYZE orders');
  await pool.query('ANALYZE fills');
  return { orders: rowCount ?? 0, ms: Math.round(performance.now() - started) };
}

const WAL_SEGMENTS_AHEAD = Number(process.env.BENCH_WAL_SEGMENTS ?? 12);

/**
 * A Postgres that has been running has WAL segments ready for reuse (each checkpoint recycles the old
 * ones); a fresh cluster creates and zero-fills every 16 MB segment as the WAL reaches it, and the commit
 * that crosses into it waits (~200 ms here; at 3,000 teams the tick writes a segment every ~3 minutes, so
 * several measured minutes paid it). So before measuring, WAL_SEGMENTS_AHEAD segments are created
 * (switches) and recycled (checkpoint), as a running server has them. Needs a superuser: skipped otherwise.
 */
async function prepareWalSegments(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // A switch needs WAL written since the last one (a temporary table would write none).
    await client.query('CREATE TABLE bench_wal_switch (n int)');
    for (let i = 0; i < WAL_SEGMENTS_AHEAD; i++) {
      await client.query('INSERT INTO bench_wal_switch VALUES (1)');
      await client.query('SELECT pg_switch_wal()');
    }
    await client.query('DROP TABLE bench_wal_switch');
    await client.query('CHECKPOINT');
    return true;
  } catch {
    return false;
  } finally {
    await client.end();
  }
}

/**
 * What the figures need of a completed minute: not the whole tick row (its bars, prices and every due
 * team as JSON), which in this process, beside the worker, would weigh on the figures measured.
 */
async function tickStatus(pool: pg.Pool, minute: number): Promise<{ status: string; errors: unknown; fillsApplied: number | null; stageMs: Record<string, number> } | null> {
  const { rows } = await pool.query<{ status: string; errors: unknown; fills_applied: number | null; stage_ms: Record<string, number> }>(
    'SELECT status, errors, fills_applied, stage_ms FROM ticks WHERE minute = $1',
    [new Date(minute)],
  );
  const row = rows[0];
  return row === undefined ? null : { status: row.status, errors: row.errors, fillsApplied: row.fills_applied, stageMs: row.stage_ms };
}

async function measure(teams: number) {
  const MINUTES = minutesFor(teams);
  const databaseUrl = await freshDatabase(`qtc_bench_tick_${String(teams)}`);
  const pool = createPgPool({ url: databaseUrl, max: 10, connectTimeoutMs: 10_000 });
  await migrateUp(pool);

  const registryFile = path.join(dataDir, `registry-${String(teams)}.yaml`);
  const teamIds = Array.from({ length: teams }, (_, i) => `team-${String(i).padStart(4, '0')}`);
  const yaml = [
    'competition:',
    '  name: Tick benchmark',
    `  universe: [${UNIVERSE.join(', ')}]`,
    '  marketData: { source: simulator, seed: 42 }',
    'teams:',
    ...teamIds.flatMap((id, i) => [
      `  - id: ${id}`,
      `    name: ${id}`,
      `    repo: https://example.org/${id}.git`,
      `    params: { offset: ${String(i % TRADE_PERIOD)}, period: ${String(TRADE_PERIOD)}, symbol: ${UNIVERSE[i % UNIVERSE.length]!} }`,
    ]),
    '',
  ].join('\n');
  writeFileSync(registryFile, yaml);
  const parsed = parseRegistry(yaml);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  await syncTeams(pool, parsed.registry);
  for (const [index, teamId] of teamIds.entries()) {
    await recordVersion(pool, {
      teamId,
      commit: { sha: (index + 1).toString(16).padStart(40, '0'), authorName: 'bench', authorEmail: 'bench@example.org', committedAt: new Date(OPEN), message: 'bench' },
      source: { repo: `https://example.org/${teamId}.git`, branch: 'main', path: '.', entry: null },
      timings: {},
      outcome: { ok: true, compiled: STRATEGY },
    });
  }

  const season = SEASON_DAYS > 0 ? await storeSeasonHistory(pool, teamIds) : null;
  const walPrepared = WAL_SEGMENTS_AHEAD > 0 && (await prepareWalSegments(databaseUrl));

  const redis = createRedis(redisUrl);
  await connectRedis(redis, 10_000);
  const prefix = `bench-tick-${String(process.pid)}-${String(teams)}`;
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QTC_REGISTRY_FILE: registryFile,
    LOG_LEVEL: 'silent',
    WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY ?? '1',
  });
  const registry = new RegistryStore({ file: registryFile, log: silent });
  await registry.load();
  const workers = [];
  for (let i = 0; i < WORKERS; i++) {
    workers.push(
      await startWorker({
        config,
        pg: pool,
        redis,
        registry,
        logger: silent,
        prefix: `${prefix}:bull`,
        activityStream: `${prefix}:activity`,
        leaderboardKeys: { leaderboard: `${prefix}:lb`, leaderboardChannel: `${prefix}:lb:updates`, activityStream: `${prefix}:activity` },
      }),
    );
  }
  const connection = redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: false });
  const producer = new FlowProducer({ connection, prefix: `${prefix}:bull` });
  // A minute is waited for as the scheduler waits (BullMQ's completion event of its books job), not by
  // polling Postgres: a query every few ms from this process competed with the worker it measures.
  const eventsConnection = redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: false });
  const events = new QueueEvents(TICK_QUEUE, { connection: eventsConnection, prefix: `${prefix}:bull` });
  await events.waitUntilReady();
  // The machine is shared: its load average while this size ran says how far the figures are from an idle one.
  const loadBefore = os.loadavg()[0]!;
  const stages: Record<string, number[]> = {};
  const endToEnd: number[] = [];
  let trades = 0;
  try {
    for (let index = 0; index < WARMUP + MINUTES; index++) {
      const minute = OPEN + index * 60_000;
      const enqueued = performance.now();
      const node = await producer.add(tickFlow(minute, SHARDS, 'simulated'));
      await node.job.waitUntilFinished(events);
      const finished = performance.now();
      const tick = await tickStatus(pool, minute);
      if (tick?.status !== 'completed') throw new Error(`tick ${tick?.status ?? 'missing'}: ${JSON.stringify(tick?.errors ?? null)}`);
      if (index < WARMUP) continue;
      endToEnd.push(finished - enqueued);
      trades += tick.fillsApplied ?? 0;
      for (const [stage, ms] of Object.entries(tick.stageMs)) (stages[stage] ??= []).push(ms);
    }
  } finally {
    await events.close();
    eventsConnection.disconnect();
    await producer.close();
    connection.disconnect();
    for (const worker of workers) await worker.stop();
    redis.disconnect();
    await pool.end();
  }
  const sum = (values: readonly number[] | undefined): number => (values ?? []).reduce((total, value) => total + value, 0);
  const perStage = Object.fromEntries(Object.entries(stages).map(([stage, values]) => [stage, { p50: percentile(values, 50), p95: percentile(values, 95) }]));
  return {
    teams,
    minutes: MINUTES,
    fillsPerMinute: Math.round((trades / MINUTES) * 10) / 10,
    walSegmentsAhead: walPrepared ? WAL_SEGMENTS_AHEAD : 0,
    // History stored before the first minute (SEASON_DAYS): orders, each with its fill.
    season: season === null ? null : { days: SEASON_DAYS, orders: season.orders, fills: season.orders, storedInMs: season.ms },
    stagesMs: perStage,
    loadAverage: { before: Math.round(loadBefore * 10) / 10, after: Math.round(os.loadavg()[0]! * 10) / 10 },
    // The load stage (isolate (re)loads and bar catch-up, slowest shard) as a share of the tick's total.
    loadShare: Math.round((sum(stages.load) / Math.max(1, sum(stages.total))) * 1000) / 1000,
    endToEndMs: { p50: percentile(endToEnd, 50), p95: percentile(endToEnd, 95) },
  };
}

type Measured = Awaited<ReturnType<typeof measure>>;

/** Least-squares slope of y over x (ms per team), rounded to 1/1,000 ms. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  return sxx === 0 ? 0 : Math.round((sxy / sxx) * 1000) / 1000;
}

/** Per stage, ms per team of its p50 and p95 across the measured sizes (null with one size). */
function scaling(results: readonly Measured[]): Record<string, { p50: number; p95: number }> | null {
  if (results.length < 2) return null;
  const stages = new Set(results.flatMap((result) => Object.keys(result.stagesMs)));
  const out: Record<string, { p50: number; p95: number }> = {};
  for (const stage of stages) {
    const at = results.filter((result) => result.stagesMs[stage] !== undefined);
    if (at.length < 2) continue;
    out[stage] = { p50: slope(at.map((result) => [result.teams, result.stagesMs[stage]!.p50])), p95: slope(at.map((result) => [result.teams, result.stagesMs[stage]!.p95])) };
  }
  return out;
}

try {
  const results: Measured[] = [];
  for (const teams of SIZES) results.push(await measure(teams));
  console.log(
    JSON.stringify(
      {
        benchmark: 'tick',
        machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown', node: process.versions.node },
        synchronousCommit: SYNCHRONOUS_COMMIT,
        workers: WORKERS,
        shards: SHARDS,
        workerConcurrency: Number(process.env.WORKER_CONCURRENCY ?? 1),
        tradePeriod: TRADE_PERIOD,
        note: 'stagesMs from the ticks table (bars, fills, load = isolate (re)loads and bar catch-up, strategies, orders (submit = its broker hand-off part), books, total = first job start to books done); endToEndMs = flow added to tick completed, as the scheduler sees it',
        results,
        msPerTeam: scaling(results),
      },
      null,
      2,
    ),
  );
} finally {
  await Promise.all(started.map((service) => service.stop()));
  rmSync(dataDir, { recursive: true, force: true });
}
