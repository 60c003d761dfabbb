/**
 * The worker: a BullMQ worker on the tick queue that runs shards of minutes (strategies and orders) and
 * their books, with warm sandbox pools for the shards it runs. Any number of workers share one Redis;
 * every stage is idempotent by minute (server/tick), so a retried, stalled or duplicated job, or one
 * whose worker was killed, is completed by the next attempt without trading twice.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { MarketDataSource } from '../../data/market/source.ts';
import { createLedger } from '../ledger/ledger.ts';
import type { PgPool } from '../../data/postgres/pool.ts';
import { competitionSecret } from '../../data/postgres/secrets.ts';
import type { RedisClient } from '../../data/redis/client.ts';
import { REDIS_KEYS } from '../config/redisKeys.ts';
import type { RegistryStore } from '../../registry/store.ts';
import type { Config } from '../config/config.ts';
import { readHaltState } from '../control/halts.ts';
import { publishActivity } from '../live/activity.ts';
import { createReconciler, type Reconciler } from '../reconciliation/reconciler.ts';
import { computeAndPublishLeaderboard, type LeaderboardKeys } from '../leaderboard/publish.ts';
import { createOrderRouter, type OrderRouter, type RateLimiter } from '../trading/router/orderRouter.ts';
import { SimVenue } from '../trading/brokers/sim/simVenue.ts';
import type { Broker } from '../trading/types.ts';
import { competitionSettings, createMarketSource } from '../tick/competition.ts';
import { parsePauseSpec, pauseHookFrom, type PauseHook } from '../tick/pausePoint.ts';
import { tickPauseSpecText } from '../config/processHooks.ts';
import { TICK_QUEUE, type BooksJobData, type ShardJobData } from '../tick/queue.ts';
import { ShardPools } from '../tick/shardPools.ts';
import { handoversOf, ShardAffinity, withShardAffinity } from '../tick/shardAffinity.ts';
import { startSandboxHealthReporter } from './sandboxHealth.ts';
import { executionMode } from '../trading/netting/executionMode.ts';
import { NettedVenue } from '../trading/netting/nettedVenue.ts';
import { PgNetStore } from '../ledger/netGroups.ts';
import { createTickRunner, type TickExecution, type TickRunner } from '../tick/tick.ts';
import { barsBefore, failTick, lastRunMinutes, loadMemories, strategyBundles, symbolDebuts, tickHistory } from '../tick/tickStore.ts';

export interface WorkerDeps {
  config: Config;
  pg: PgPool;
  /** Used for the activity stream and the leaderboard cache; the BullMQ connection is a duplicate of it. */
  redis: RedisClient;
  /** The registry in force (the competition's universe, cash, limits, risk, market). */
  registry: RegistryStore;
  logger: Logger;
  /** The bars' source; default: REPLAY_FILE, else the registry's `marketData` (simulator or replay). */
  market?: MarketDataSource;
  /**
   * A broker that streams its fills (AlpacaBroker, connected). Default: the ledger-backed simulated broker.
   * The worker listens to its fills and order updates through the order router (each applied once by the
   * ledger, whichever worker receives it) and asks it for its open orders at start.
   */
  broker?: Broker;
  /** Permits for broker requests (with Alpaca: a limiter for order submissions); default: none (the simulated broker has no rate limit). */
  limiter?: RateLimiter;
  /** BullMQ key prefix; default `REDIS_KEYS.bullPrefix`. */
  prefix?: string;
  activityStream?: string;
  leaderboardKeys?: LeaderboardKeys;
  /** Prefix of this worker's sandbox health key; default REDIS_KEYS.sandboxHealthPrefix. */
  sandboxHealthPrefix?: string;
  /** Test-only pause point (see server/tick/pausePoint.ts); default: QTC_TICK_PAUSE_AT. */
  pause?: PauseHook;
  /** Teams per transaction when a shard's runs are stored; default 400 (tests make it small to store a few teams in parts). */
  runsPerStore?: number;
}

export interface RunningWorker {
  /** `<host>:<pid>:<random>`, stored with every run and shard this worker did. */
  workerId: string;
  runner: TickRunner;
  /** Stops taking jobs, waits for the running ones, closes the sandboxes. */
  stop(): Promise<void>;
}

const unlimited: RateLimiter = { acquire: () => Promise.resolve() };

export async function startWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const { config, pg, logger } = deps;
  const log = logger.child({ component: 'worker' });
  const workerId = `${hostname()}:${String(process.pid)}:${randomBytes(3).toString('hex')}`;
  const ledger = createLedger(pg);
  const market = deps.market ?? (await createMarketSource(deps.registry.current(), { replayFile: config.tick.replayFile, registryFile: config.registryFile }));
  const competition = () => competitionSettings(deps.registry.current(), config.tick.simSlippageBps);
  const limiter = deps.limiter ?? unlimited;
  let streamRouter: OrderRouter | null = null;
  let reconciler: Reconciler | null = null;
  let execution: TickExecution;
  if (deps.broker === undefined) {
    execution = {
      kind: 'sim',
      venue: new SimVenue({
        books: ledger,
        knows: (symbol) => competition().universe.includes(symbol),
        slippageBps: config.tick.simSlippageBps,
        marketBuyCollarBps: competition().marketBuyBufferBps,
        netted: executionMode(deps.registry.current().competition) === 'netted',
      }),
    };
  } else if (executionMode(deps.registry.current().competition) === 'netted') {
    // One net order per minute and symbol, allocated to the teams (server/trading/netting). The venue takes
    // the broker's events itself: a net order's fills are allocated, never applied as they are.
    const venue = new NettedVenue({
      books: ledger,
      broker: deps.broker,
      store: new PgNetStore(pg),
      limiter,
      onProblem: (problem) => log.warn({ problem: { kind: problem.kind, clientOrderId: problem.clientOrderId, message: problem.message } }, 'netted venue problem'),
    });
    venue.listen();
    reconciler = createReconciler({
      broker: venue.accountView(),
      ledger,
      settled: () => venue.idle(),
      announce: (news) => publishActivity(deps.redis, news, deps.activityStream),
      log,
    });
    void reconciler.run('worker start');
    execution = { kind: 'netted', venue };
  } else {
    const router = createOrderRouter({
      broker: deps.broker,
      ledger,
      limiter,
      onProblem: (problem) => log.warn({ problem: { kind: problem.kind, clientOrderId: problem.clientOrderId, message: problem.message } }, 'order router problem'),
    });
    router.listen();
    streamRouter = router;
    // Orders that moved while no worker listened (a restart) are brought up to date now.
    await router.refreshOpenOrders().catch((error: unknown) => log.warn({ err: error }, 'could not refresh the open orders from the broker'));
    // The broker account against the team books: now, and after every minute's books (below).
    reconciler = createReconciler({ broker: deps.broker, ledger, settled: () => router.idle(), announce: (news) => publishActivity(deps.redis, news, deps.activityStream), log });
    void reconciler.run('worker start');
    execution = { kind: 'stream', broker: deps.broker, idle: () => router.idle() };
  }
  const pools = new ShardPools({
    store: {
      history: (after, before, limit) => tickHistory(pg, after, before, limit),
      symbolDebuts: (before) => symbolDebuts(pg, before),
      barsBefore: (wanted, before) => barsBefore(pg, wanted, before),
      lastRuns: (teamIds, before) => lastRunMinutes(pg, teamIds, before),
      bundles: (versionIds) => strategyBundles(pg, versionIds),
      memories: (teamIds) => loadMemories(pg, teamIds),
    },
    poolOptions: {
      processes: config.tick.sandboxProcesses ?? Math.min(2, availableParallelism()),
      randomSecret: await competitionSecret(pg, 'random-seed'),
      logger: (event) => log.info({ sandbox: event }, `sandbox: ${event.type}`),
    },
    idleCloseMs: 10 * 60_000,
  });
  const runner = createTickRunner({
    pg,
    redis: deps.redis,
    ledger,
    market,
    competition,
    execution,
    limiter,
    pools,
    workerId,
    log,
    pause: deps.pause ?? pauseHookFrom(parsePauseSpec(tickPauseSpecText())),
    readHalts: () => readHaltState(pg),
    publishLeaderboard: async (minute, snapshots) =>
      (await computeAndPublishLeaderboard(pg, deps.redis, minute, { snapshots, ...(deps.leaderboardKeys === undefined ? {} : { keys: deps.leaderboardKeys }) })).problems,
    ...(deps.activityStream === undefined ? {} : { activityStream: deps.activityStream }),
    ...(deps.runsPerStore === undefined ? {} : { runsPerStore: deps.runsPerStore }),
  });

  const connection = deps.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: false });
  connection.on('error', () => undefined);
  // A shard runs on the worker holding its warm isolates; others hand its jobs back (server/tick/shardAffinity.ts).
  const affinity = new ShardAffinity({ redis: deps.redis, prefix: `${deps.prefix ?? REDIS_KEYS.bullPrefix}:affinity`, workerId });
  await affinity.start();
  const process_ = async (job: Job<ShardJobData | BooksJobData>, token?: string): Promise<unknown> => {
    if (job.name === 'shard') return withShardAffinity(affinity, job as Job<ShardJobData>, token, () => run(job));
    return run(job);
  };
  const run = async (job: Job<ShardJobData | BooksJobData>): Promise<unknown> => {
    // Hand-overs to a shard's owner start the job without attempting it.
    const attempt = Math.max(1, job.attemptsStarted - (job.name === 'shard' ? handoversOf(job as Job<ShardJobData>) : 0));
    const minute = new Date(job.data.minute).toISOString();
    try {
      if (job.name === 'shard') {
        const { handovers: _handovers, ...data } = job.data as ShardJobData;
        const outcome = await runner.runShard({ ...data, attempt });
        log.debug({ minute, shard: data.shard, teams: outcome.teams, teamsRun: outcome.teamsRun, stageMs: outcome.stageMs }, 'shard done');
        return outcome;
      }
      if (job.name === 'books') {
        const outcome = await runner.books({ ...job.data, attempt });
        log.info({ minute, teams: outcome.teamsRun, stageMs: outcome.stageMs }, 'tick done');
        void reconciler?.run(`after the books of ${minute}`); // not awaited: it never holds up the next minute
        return outcome;
      }
      throw new Error(`unknown job ${job.name} in the ${TICK_QUEUE} queue`);
    } catch (error) {
      log.warn({ err: error, job: job.id, attempt, minute }, 'tick job failed; BullMQ retries it');
      throw error;
    }
  };
  const worker = new Worker<ShardJobData | BooksJobData>(TICK_QUEUE, process_, {
    connection,
    prefix: deps.prefix ?? REDIS_KEYS.bullPrefix,
    concurrency: config.tick.workerConcurrency,
    lockDuration: config.tick.lockMs,
    stalledInterval: config.tick.lockMs,
    // A worker killed mid-job leaves it stalled; another worker takes it over (a few times before giving up).
    maxStalledCount: 3,
  });
  worker.on('error', (error) => log.error({ err: error }, 'BullMQ worker error'));
  worker.on('failed', (job, error) => {
    if (job === undefined || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    log.error({ err: error, job: job.id }, 'tick job failed for good');
    void failTick(pg, job.data.minute, { stage: 'job', message: `${job.name} ${job.id ?? ''} failed after ${String(job.attemptsMade)} attempts: ${error.message}` }).catch(
      (failure: unknown) => log.error({ err: failure }, 'could not record the failed tick'),
    );
  });
  await worker.waitUntilReady();
  log.info({ workerId, concurrency: config.tick.workerConcurrency }, 'tick worker ready');
  const stopHealth = startSandboxHealthReporter({
    redis: deps.redis,
    keyPrefix: deps.sandboxHealthPrefix ?? REDIS_KEYS.sandboxHealthPrefix,
    workerId,
    pools,
    intervalMs: 10_000,
    log,
  });

  return {
    workerId,
    runner,
    stop: async () => {
      await worker.close();
      await affinity.stop().catch((error: unknown) => log.warn({ err: error }, 'could not release the shard leases; they lapse by themselves'));
      await stopHealth();
      await pools.close();
      await reconciler?.close();
      if (streamRouter !== null) await streamRouter.close();
      else if (execution.kind === 'sim' || execution.kind === 'netted') await execution.venue.close();
      connection.disconnect();
    },
  };
}
