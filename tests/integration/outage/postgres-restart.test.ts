// Issue 11: a Postgres restart mid-season. The test runs its own throwaway embedded Postgres (the shared
// test server is never stopped), ticks real minutes through BullMQ with a worker in this process, kills
// Postgres with SIGKILL while the worker holds a checked-out client (the prepare stage's, paused after the
// fills), keeps it down while minutes fail for good, starts it again on the same port and data folder, and
// checks: nothing crashed, later minutes complete, every minute is completed or marked failed with its
// reason, and the books audit clean. No assertion depends on how fast the machine is.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FlowProducer, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedService } from '../../../data/embedded/postgresCluster.ts';
import { isProcessAlive } from '../../../data/embedded/managedProcess.ts';
import type { MarketDataSource } from '../../../data/market/source.ts';
import { auditBooks } from '../../../server/ledger/audit.ts';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { connectRedis, createRedis, type RedisClient } from '../../../data/redis/client.ts';
import { RegistryStore } from '../../../registry/store.ts';
import { loadConfig } from '../../../server/config/config.ts';
import { postgresProbe, runProbe } from '../../../server/health/probes.ts';
import { healthReport } from '../../../server/health/report.ts';
import { createMarketSource } from '../../../server/tick/competition.ts';
import type { PausePoint } from '../../../server/tick/pausePoint.ts';
import { TICK_QUEUE, tickFlow } from '../../../server/tick/queue.ts';
import { NO_BARS_SOURCE } from '../../../server/tick/tickMarks.ts';
import { selectTick, type TickRecord } from '../../../server/tick/tickStore.ts';
import { startWorker, type RunningWorker } from '../../../server/worker/worker.ts';
import { silentLog } from '../../support/silentLog.ts';
import { minuteAt, OPEN, seedCompetition } from '../tick/support.ts';

const TEAMS = ['alpha', 'beta'];
/** The market source throws for this minute: a market-data stall from the very first minute. */
const STALLED = minuteAt(0);
/** Postgres is killed while this minute's prepare stage holds its client (paused after the fills). */
const KILLED_AT = minuteAt(3);
/** Added while Postgres is down: its bars are never stored. */
const WHILE_DOWN = minuteAt(4);
/** A minute left `running` by a process that died before it could record the failure. */
const ORPHAN = OPEN - 30 * 60_000;

let dataDir: string;
let postgres: EmbeddedService;
let pool: PgPool;
let redis: RedisClient;
let worker: RunningWorker;
let producerConnection: Redis;
let eventsConnection: Redis;
let producer: FlowProducer;
let events: QueueEvents;
const logs: Array<{ msg: string; minute?: string; err?: { message?: string } }> = [];
const crashes: unknown[] = [];
const onCrash = (error: unknown) => crashes.push(error);

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
const pausedAtKill = deferred();
const resume = deferred();

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${String(timeoutMs)} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What the scheduler does: add the minute's flow and wait until its books job completed or failed for good. */
async function runMinute(minute: number): Promise<'completed' | 'failed'> {
  const node = await producer.add(tickFlow(minute, 1, 'simulated'));
  return node.job.waitUntilFinished(events).then(
    () => 'completed' as const,
    () => 'failed' as const,
  );
}

const health = async () => healthReport({ postgres: await runProbe(postgresProbe(pool), 2_000) });

beforeAll(async () => {
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'qtc-outage-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as the postgres user when we are root
  postgres = await startEmbeddedPostgres({ dataDir, log: silentLog });
  pool = createPgPool({ url: postgres.url, max: 6, connectTimeoutMs: 2_000 });
  await migrateUp(pool);

  const registryFile = await seedCompetition(pool, dataDir, { teams: TEAMS });
  // As a process killed while retrying a failure mark would leave it: running, long ago, no job.
  await pool.query(
    `INSERT INTO ticks (minute, status, shards, clock, source, bar_hash, bars, prices, teams, started_at)
     VALUES ($1, 'running', 1, 'simulated', 'simulator', repeat('0', 64), '{}', '{}', '[]', now() - interval '1 hour')`,
    [new Date(ORPHAN)],
  );

  const redisUrl = inject('redisUrl');
  const prefix = `qtc-test-${Math.random().toString(16).slice(2, 10)}`;
  redis = createRedis(redisUrl);
  await connectRedis(redis, 5_000);
  const config = loadConfig({ DATABASE_URL: postgres.url, REDIS_URL: redisUrl, QTC_REGISTRY_FILE: registryFile, SANDBOX_PROCESSES: '1' });
  const registry = new RegistryStore({ file: registryFile, log: silentLog });
  await registry.load();
  const simulator = await createMarketSource(registry.current(), { replayFile: undefined, registryFile });
  const market: MarketDataSource = {
    name: simulator.name,
    barsForMinute: (minute, symbols) =>
      minute === STALLED ? Promise.reject(new Error('market data stalled: no bars and none earlier to fall back on')) : simulator.barsForMinute(minute, symbols),
  };
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) });
  worker = await startWorker({
    config,
    pg: pool,
    redis,
    registry,
    logger,
    market,
    prefix: `${prefix}:bull`,
    activityStream: `${prefix}:activity`,
    leaderboardKeys: { leaderboard: `${prefix}:lb`, leaderboardChannel: `${prefix}:lb:updates`, activityStream: `${prefix}:activity` },
    pause: async (point: PausePoint, minute: number) => {
      if (point !== 'after-fills' || minute !== KILLED_AT) return;
      pausedAtKill.resolve();
      await resume.promise;
    },
  });
  producerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  eventsConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  producer = new FlowProducer({ connection: producerConnection, prefix: `${prefix}:bull` });
  events = new QueueEvents(TICK_QUEUE, { connection: eventsConnection, prefix: `${prefix}:bull` });
  await events.waitUntilReady();
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await producer?.close();
  await events?.close();
  producerConnection?.disconnect();
  eventsConnection?.disconnect();
  redis?.disconnect();
  await pool?.end();
  await postgres?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
}, 60_000);

describe('a Postgres restart mid-season', () => {
  it('crashes nothing, marks every minute it failed with the reason, then ticks on with clean books', async () => {
    // A stall from the very first minute leaves a marked minute, not a missing one.
    expect(await runMinute(STALLED)).toBe('failed');
    for (const index of [1, 2]) expect(await runMinute(minuteAt(index))).toBe('completed');

    // Kill Postgres (the whole process group: postmaster and backends) while the prepare stage of
    // KILLED_AT holds its checked-out client, and while this test holds one too.
    const killed = runMinute(KILLED_AT);
    await pausedAtKill.promise;
    const held = await pool.connect();
    const url = postgres.url;
    const [pidLine] = readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
    const postmaster = Number(pidLine);
    process.kill(-postmaster, 'SIGKILL');
    await until('the postmaster gone', () => Promise.resolve(isProcessAlive(postmaster) ? undefined : true));

    await expect(held.query('SELECT 1')).rejects.toThrow();
    held.release();
    const down = await health();
    expect(down.status).toBe('unavailable');
    expect(down.message).toMatch(/^postgres is down/);

    resume.resolve();
    expect(await killed).toBe('failed');
    expect(await runMinute(WHILE_DOWN)).toBe('failed');

    // Back on the same port and data folder; nothing else is restarted.
    postgres = await startEmbeddedPostgres({ dataDir, log: silentLog });
    expect(postgres.url).toBe(url);
    await until('/health ok again', async () => ((await health()).status === 'ok' ? true : undefined));
    for (const index of [5, 6, 7]) expect(await runMinute(minuteAt(index))).toBe('completed');

    // The failure marks that could not be written during the outage land once Postgres answers.
    const ticks = new Map<number, TickRecord>();
    for (const minute of [ORPHAN, ...[0, 1, 2, 3, 4, 5, 6, 7].map(minuteAt)]) {
      ticks.set(
        minute,
        await until(`a final status of ${new Date(minute).toISOString()}`, async () => {
          const tick = await selectTick(pool, minute);
          return tick !== null && tick.status !== 'running' ? tick : undefined;
        }),
      );
    }
    const summary = [...ticks.values()].map((tick) => [tick.minute, tick.status]);
    expect(summary).toEqual([
      [ORPHAN, 'failed'],
      [STALLED, 'failed'],
      [minuteAt(1), 'completed'],
      [minuteAt(2), 'completed'],
      [KILLED_AT, 'failed'],
      [WHILE_DOWN, 'failed'],
      [minuteAt(5), 'completed'],
      [minuteAt(6), 'completed'],
      [minuteAt(7), 'completed'],
    ]);
    const reasons = (minute: number) =>
      ticks
        .get(minute)!
        .errors.map((error) => error.message)
        .join(' | ');
    expect(reasons(ORPHAN)).toMatch(/left running with no live job/);
    expect(reasons(STALLED)).toMatch(/failed after 5 attempts: market data stalled/);
    expect(reasons(KILLED_AT)).toMatch(/failed after 5 attempts/);
    expect(reasons(WHILE_DOWN)).toMatch(/failed after 5 attempts/);
    // Minutes whose bars were never stored say so, and keep the prices carried forward.
    expect(ticks.get(STALLED)!.source).toBe(NO_BARS_SOURCE);
    expect(ticks.get(WHILE_DOWN)!.source).toBe(NO_BARS_SOURCE);
    expect(ticks.get(WHILE_DOWN)!.prices).toEqual(ticks.get(KILLED_AT)!.prices);
    expect(ticks.get(KILLED_AT)!.source).not.toBe(NO_BARS_SOURCE);

    // The strategies traded before and after the outage, and every book equals its fills.
    const runs = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tick_team_runs WHERE minute >= $1', [new Date(minuteAt(5))]);
    expect(runs.rows[0]!.n).toBe(TEAMS.length * 3);
    const fills = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM fills WHERE applied');
    expect(fills.rows[0]!.n).toBeGreaterThan(0);
    expect(await auditBooks(pool)).toEqual([]);

    // The outage was logged, and nothing went unhandled.
    expect(logs.some((line) => line.msg === 'tick job failed; BullMQ retries it' && line.minute === new Date(KILLED_AT).toISOString())).toBe(true);
    expect(crashes).toEqual([]);
  }, 300_000);
});
