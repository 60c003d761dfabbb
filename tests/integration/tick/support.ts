// Shared by the tick tests: a competition in a fresh database (teams, active strategy versions, a
// registry file), minutes enqueued as the scheduler does, real worker processes, and the checks that
// the books say exactly what the fills say.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { FlowProducer } from 'bullmq';
import { Redis } from 'ioredis';
import { expect, inject } from 'vitest';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { recordVersion } from '../../../loaders/activation/index.ts';
import { parseRegistry } from '../../../registry/load.ts';
import { syncTeams } from '../../../registry/sync.ts';
import type { CompiledStrategy } from '../../../sandbox/index.ts';
import { tickFlow } from '../../../server/tick/queue.ts';
import { selectTick, type TickClock, type TickRecord } from '../../../server/tick/tickStore.ts';
import { connectRedis, createRedis, type RedisClient } from '../../../data/redis/client.ts';
import { RegistryStore } from '../../../registry/store.ts';
import { loadConfig } from '../../../server/config/config.ts';
import { startWorker, type RunningWorker, type WorkerDeps } from '../../../server/worker/worker.ts';
import { createTestDatabase } from '../../support/databases.ts';
import { silentLog } from '../../support/silentLog.ts';
import { publishRegistryFile } from '../registry/publish.ts';
import { makeTempDir } from '../../support/tempDir.ts';

export const projectRoot = path.resolve(import.meta.dirname, '../../..');

/** 09:30 New York on Tuesday 2025-07-08 (a regular session), and the minutes after it. */
export const OPEN = Date.UTC(2025, 6, 8, 13, 30);
export const minuteAt = (index: number): number => OPEN + index * 60_000;

/** Wraps a script declaring `class Strategy` in the bundle form loaders/compile emits. */
export function bundle(body: string): CompiledStrategy {
  return { code: `var __qtcStrategy = (() => {\n${body}\nreturn { default: Strategy };\n})();\n`, sourceMap: '', filename: 'strategy.bundle.js' };
}

/**
 * Odd calls buy 2 SPY, even calls sell 1 while holding; counts its calls in team.memory, so a minute
 * run twice (or a lost memory) shows in the count.
 */
export const TRADER = bundle(`
class Strategy {
  constructor(params) { this.size = params.size ?? 1; }
  generateSignal(team, bars, prices) {
    team.memory.calls = (team.memory.calls ?? 0) + 1;
    team.memory.minutes = [...(team.memory.minutes ?? []), Date.now()];
    const held = team.positions.SPY?.quantity ?? 0;
    if (team.memory.calls % 2 === 1) return { symbol: 'SPY', action: 'buy', quantity: 2 * this.size, reason: 'odd call' };
    if (held > 0) return { symbol: 'SPY', action: 'sell', quantity: 1, reason: 'even call' };
    return null;
  }
}`);

export interface TickFixture {
  databaseUrl: string;
  redisUrl: string;
  pool: PgPool;
  registryFile: string;
  /** QTC_REDIS_PREFIX of this test: its queue, activity stream and leaderboard keys. */
  redisPrefix: string;
  bullPrefix: string;
  teamIds: string[];
  close(): Promise<void>;
}

export interface CompetitionSeed {
  teams: readonly string[];
  strategy?: CompiledStrategy;
  /** A strategy per team, overriding `strategy`. */
  strategies?: Readonly<Record<string, CompiledStrategy>>;
  startingCash?: number;
}

/**
 * Writes the test competition's registry file into `dir`, syncs its teams into the (migrated) database
 * and activates each team's strategy version; returns the registry file's path.
 */
export async function seedCompetition(pool: PgPool, dir: string, options: CompetitionSeed): Promise<string> {
  const registryFile = path.join(dir, 'team_registry.yaml');
  const yaml = [
    'competition:',
    '  name: Tick test',
    '  universe: [SPY, QQQ]',
    `  startingCash: ${String(options.startingCash ?? 100_000)}`,
    '  marketData: { source: simulator, seed: 7 }',
    '  risk: { maxPositionPct: 0.9, maxOrderNotional: 50000, maxOrdersPerMinute: 10 }',
    'teams:',
    ...options.teams.flatMap((id) => [`  - id: ${id}`, `    name: Team ${id}`, `    repo: https://example.org/${id}.git`]),
    '',
  ].join('\n');
  writeFileSync(registryFile, yaml);
  const parsed = parseRegistry(yaml);
  if (!parsed.ok) throw new Error(`test registry invalid: ${JSON.stringify(parsed.errors)}`);
  await syncTeams(pool, parsed.registry);
  for (const [index, teamId] of options.teams.entries()) {
    await recordVersion(pool, {
      teamId,
      commit: { sha: (index + 1).toString(16).padStart(40, 'a'), authorName: 'T', authorEmail: 't@example.org', committedAt: new Date(OPEN), message: 'strategy' },
      source: { repo: `https://example.org/${teamId}.git`, branch: 'main', path: '.', entry: null },
      timings: {},
      outcome: { ok: true, compiled: options.strategies?.[teamId] ?? options.strategy ?? TRADER },
    });
  }
  return registryFile;
}

export async function createTickFixture(options: CompetitionSeed): Promise<TickFixture> {
  const database = await createTestDatabase();
  const pool = createPgPool({ url: database.url, max: 6, connectTimeoutMs: 5_000 });
  await migrateUp(pool);
  const temp = makeTempDir('qtc-tick-');
  const registryFile = await seedCompetition(pool, temp.dir, options);
  const redisPrefix = `qtc-test-${randomBytes(4).toString('hex')}`;
  return {
    databaseUrl: database.url,
    redisUrl: inject('redisUrl'),
    pool,
    registryFile,
    redisPrefix,
    bullPrefix: `${redisPrefix}:bull`,
    teamIds: [...options.teams],
    close: async () => {
      await pool.end();
      await database.drop();
      temp.remove();
    },
  };
}

/** What the scheduler does for a minute: add its flow (a duplicate adds nothing). */
export async function enqueueMinute(fixture: TickFixture, minute: number, shards = 1, clock: TickClock = 'simulated'): Promise<void> {
  const connection = new Redis(fixture.redisUrl, { maxRetriesPerRequest: null });
  const producer = new FlowProducer({ connection, prefix: fixture.bullPrefix });
  try {
    await producer.add(tickFlow(minute, shards, clock));
  } finally {
    await producer.close();
    connection.disconnect();
  }
}

/** Polls Postgres until the minute's tick is completed (or failed). */
export async function waitForTick(pool: PgPool, minute: number, timeoutMs = 60_000): Promise<TickRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tick = await selectTick(pool, minute);
    if (tick !== null && tick.status !== 'running') return tick;
    if (Date.now() > deadline) throw new Error(`tick ${new Date(minute).toISOString()} not finished within ${String(timeoutMs)} ms (status ${tick?.status ?? 'absent'})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the output contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  exit: Promise<number | null>;
}

/** A real `qtc worker` process on the fixture's database and Redis. */
export function startWorkerProcess(fixture: TickFixture, env: Record<string, string> = {}): WorkerProcess {
  // What the control process does: the registry file (as the test left it) becomes the version in
  // force in Postgres, where the worker reads it (it waits for one).
  const published = publishRegistryFile(fixture.pool, fixture.registryFile);
  const child = spawn(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', 'worker'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      DATABASE_URL: fixture.databaseUrl,
      REDIS_URL: fixture.redisUrl,
      QTC_REDIS_PREFIX: fixture.redisPrefix,
      QTC_REGISTRY_FILE: fixture.registryFile,
      LOG_LEVEL: 'info',
      TICK_LOCK_MS: '1500',
      SANDBOX_PROCESSES: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of [...waiters]) {
      if (output.includes(waiter.text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  published.catch((error: unknown) => onData(Buffer.from(`test: publishing the registry failed: ${String(error)}\n`)));
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exit,
    waitFor: (text, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        if (output.includes(text)) return resolve();
        const timer = setTimeout(() => reject(new Error(`worker did not print ${JSON.stringify(text)} within ${String(timeoutMs)} ms; output:\n${output}`)), timeoutMs);
        waiters.push({ text, resolve: () => (clearTimeout(timer), resolve()) });
        void exit.then((code) => {
          clearTimeout(timer);
          reject(new Error(`worker exited (${String(code)}) before printing ${JSON.stringify(text)}; output:\n${output}`));
        });
      }),
  };
}

export async function stopWorkerProcess(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  await worker.exit;
}

/** The worker processes a test file starts on its fixture, all stopped before the fixture is closed. */
export interface WorkerProcesses {
  start(env?: Record<string, string>): WorkerProcess;
  /** For afterAll: stops every worker still running, then closes the fixture (if one was made). */
  closeAll(): Promise<void>;
}

/** `fixture` is read when a worker starts: the fixture is made in beforeAll, after this is called. */
export function workerProcesses(fixture: () => TickFixture | undefined): WorkerProcesses {
  const started: WorkerProcess[] = [];
  return {
    start: (env = {}) => {
      const current = fixture();
      if (current === undefined) throw new Error('no tick fixture yet: start workers inside a test');
      const worker = startWorkerProcess(current, env);
      started.push(worker);
      return worker;
    },
    closeAll: async () => {
      for (const worker of started) await stopWorkerProcess(worker);
      await fixture()?.close();
    },
  };
}

export interface TeamTruth {
  teamId: string;
  orders: Array<{ clientOrderId: string; status: string; side: string; quantity: number }>;
  fills: Array<{ executionId: string; clientOrderId: string; side: string; quantity: number; price: string }>;
  book: { cash: string; reserved: string; positions: Record<string, number> };
  /** Cash and shares recomputed from the fills alone (exact NUMERIC arithmetic in Postgres). */
  fromFills: { cash: string; positions: Record<string, number> };
  memory: Record<string, unknown> | null;
}

/** A fixture, a Redis connection and one in-process worker on them (`deps` adds or overrides its dependencies). */
export interface TickWorld {
  fixture: TickFixture;
  redis: RedisClient;
  worker: RunningWorker;
  close(): Promise<void>;
}

export async function startTickWorld(seed: CompetitionSeed, deps: Partial<WorkerDeps> = {}): Promise<TickWorld> {
  const fixture = await createTickFixture(seed);
  const redis = createRedis(fixture.redisUrl);
  await connectRedis(redis, 5_000);
  const worker = await startFixtureWorker(fixture, redis, deps);
  return {
    fixture,
    redis,
    worker,
    close: async () => {
      await worker.stop();
      redis.disconnect();
      await fixture.close();
    },
  };
}

/** Adds minutes 0 to count − 1 as the scheduler does, one after the other; each must complete with every team run. */
export async function expectMinutesCompleted(fixture: TickFixture, count: number): Promise<TickRecord[]> {
  const ticks: TickRecord[] = [];
  for (let index = 0; index < count; index++) {
    await enqueueMinute(fixture, minuteAt(index));
    const tick = await waitForTick(fixture.pool, minuteAt(index));
    expect(tick.status, JSON.stringify(tick.errors)).toBe('completed');
    expect(tick.teamsRun).toBe(fixture.teamIds.length);
    ticks.push(tick);
  }
  return ticks;
}

/**
 * A team running TRADER for four minutes: buy 2 (M0), sell 1 (M1), buy 2 (M2), sell 1 (M3), each filling
 * on the next minute's bar; its book equal to its fills; one call per minute.
 */
export async function expectFourTraderMinutes(pool: PgPool, teamId: string): Promise<void> {
  const truth = await teamTruth(pool, teamId, 100_000);
  expect(truth.orders.map((o) => [o.side, o.quantity, o.status])).toEqual([
    ['buy', 2, 'filled'],
    ['sell', 1, 'filled'],
    ['buy', 2, 'filled'],
    ['sell', 1, 'accepted'],
  ]);
  expect(truth.fills).toHaveLength(3);
  expect(new Set(truth.fills.map((f) => f.executionId)).size).toBe(3);
  expect(truth.book.cash).toBe(truth.fromFills.cash);
  expect(truth.book.positions).toEqual(truth.fromFills.positions);
  expect(truth.book.positions).toEqual({ SPY: 3 });
  expect(truth.memory?.calls).toBe(4);
}

/** Everything the ledger says about a team, and its cash and positions recomputed from its fills in SQL. */
export async function teamTruth(pool: PgPool, teamId: string, startingCash: number): Promise<TeamTruth> {
  const orders = await pool.query<{ client_order_id: string; status: string; side: string; quantity: string }>(
    'SELECT client_order_id, status, side, quantity FROM orders WHERE team_id = $1 ORDER BY minute, seq',
    [teamId],
  );
  const fills = await pool.query<{ execution_id: string; client_order_id: string; side: string; quantity: string; price: string }>(
    'SELECT execution_id, client_order_id, side, quantity, price::text FROM fills WHERE team_id = $1 ORDER BY executed_at, execution_id',
    [teamId],
  );
  const book = await pool.query<{ cash: string; reserved_cash: string }>('SELECT cash::text, reserved_cash::text FROM team_books WHERE team_id = $1', [teamId]);
  const positions = await pool.query<{ symbol: string; quantity: string }>('SELECT symbol, quantity FROM team_positions WHERE team_id = $1 AND quantity > 0', [teamId]);
  const cash = await pool.query<{ cash: string }>(
    `SELECT ($2::numeric - COALESCE(sum(CASE WHEN side = 'buy' THEN quantity * price ELSE -quantity * price END), 0))::numeric(20,4)::text AS cash
     FROM fills WHERE team_id = $1 AND applied`,
    [teamId, startingCash],
  );
  const held = await pool.query<{ symbol: string; quantity: string }>(
    `SELECT symbol, sum(CASE WHEN side = 'buy' THEN quantity ELSE -quantity END) AS quantity FROM fills WHERE team_id = $1 AND applied GROUP BY symbol
     HAVING sum(CASE WHEN side = 'buy' THEN quantity ELSE -quantity END) <> 0`,
    [teamId],
  );
  const memory = await pool.query<{ memory: Record<string, unknown> }>('SELECT memory FROM team_memory WHERE team_id = $1', [teamId]);
  return {
    teamId,
    orders: orders.rows.map((row) => ({ clientOrderId: row.client_order_id, status: row.status, side: row.side, quantity: Number(row.quantity) })),
    fills: fills.rows.map((row) => ({ executionId: row.execution_id, clientOrderId: row.client_order_id, side: row.side, quantity: Number(row.quantity), price: row.price })),
    book: {
      cash: book.rows[0]?.cash ?? 'none',
      reserved: book.rows[0]?.reserved_cash ?? 'none',
      positions: Object.fromEntries(positions.rows.map((row) => [row.symbol, Number(row.quantity)])),
    },
    fromFills: { cash: cash.rows[0]?.cash ?? 'none', positions: Object.fromEntries(held.rows.map((row) => [row.symbol, Number(row.quantity)])) },
    memory: memory.rows[0]?.memory ?? null,
  };
}

/**
 * A tick worker in this process on the fixture's database, Redis and registry, with the fixture's own
 * queue, activity stream and leaderboard keys; `deps` adds or overrides worker dependencies.
 */
export async function startFixtureWorker(fixture: TickFixture, redis: RedisClient, deps: Partial<WorkerDeps> = {}): Promise<RunningWorker> {
  const config = loadConfig({ DATABASE_URL: fixture.databaseUrl, REDIS_URL: fixture.redisUrl, QTC_REGISTRY_FILE: fixture.registryFile, SANDBOX_PROCESSES: '1' });
  const registry = new RegistryStore({ file: fixture.registryFile, log: silentLog });
  await registry.load();
  return startWorker({
    config,
    pg: fixture.pool,
    redis,
    registry,
    logger: silentLog,
    prefix: fixture.bullPrefix,
    activityStream: `${fixture.redisPrefix}:activity`,
    leaderboardKeys: { leaderboard: `${fixture.redisPrefix}:lb`, leaderboardChannel: `${fixture.redisPrefix}:lb:updates`, activityStream: `${fixture.redisPrefix}:activity` },
    ...deps,
  });
}
