/**
 * The minute tick (DESIGN.md "The minute tick"), split the way BullMQ runs it: per minute one flow whose
 * children are shards of the teams and whose parent writes the books.
 *
 *   prepare (first shard to arrive, under a per-minute advisory lock; everyone else reuses it)
 *     1. bars   — the minute's snapshot from the market source, stored once with its hash and the
 *                 carried-forward prices: every team, in every shard and every attempt, sees exactly it
 *     2. fills  — the simulated broker fills orders from earlier minutes on these bars (deterministic
 *                 execution ids, applied once by the ledger); with a streaming broker fills arrive on
 *                 their own and this stage only waits for what was received to be recorded
 *   shard k (any worker)
 *     3. strategies — the shard's teams run in a warm sandbox pool
 *     4. orders     — validation → risk → the decision stored with the run, memory, risk state and the
 *                     orders of its intents (`recordIntentsIn`: durable, reserved) in one transaction → the router submits
 *   books (parent, after every shard)
 *     5. books  — leftover submissions, mark-to-market snapshot of every team, leaderboard, activity events,
 *                 the tick row completed with its per-stage timings
 *
 * Exactly once: a team's run of a minute is stored once (first writer wins) together with its memory
 * and risk state, and its orders are made from the stored run, never from a second run; intents and
 * fills are idempotent in the ledger; snapshots are first-write-wins per (team, minute). So a retried,
 * stalled, duplicated or killed job redoes only what is missing.
 */
import type { Logger } from 'pino';
import type { Bar } from '../../data/market/bar.ts';
import type { MarketDataSource } from '../../data/market/source.ts';
import type { Ledger, RecordedIntent } from '../ledger/ledger.ts';
import type { OrderIntent } from '../trading/types.ts';
import { query } from '../../data/postgres/query.ts';
import { inTransaction } from '../../data/postgres/transaction.ts';
import type { PgPool } from '../../data/postgres/pool.ts';
import type { RedisClient } from '../../data/redis/client.ts';
import type { HaltState } from '../control/halts.ts';
import type { BoardProblem, BoardSnapshot } from '../leaderboard/boardState.ts';
import { publishActivities } from '../live/activity.ts';
import type { ActivityEvent } from '../live/events.ts';
import { decideTeams } from '../engine/decide.ts';
import { fillsStage } from '../engine/fillsStage.ts';
import type { Execution } from '../engine/ports.ts';
import { moneyPrices } from '../engine/prices.ts';
import { submitStage } from '../engine/submitStage.ts';
import { teamMinutes } from '../engine/teamView.ts';
import { recordLoads, recordMinuteConditions } from '../replay/record.ts';
import { decimalStringToMoney, toDollars, type Money } from '../trading/money.ts';
import { rejectionRecord } from '../trading/orders/rejection.ts';
import { riskLimitsFrom, type RegistryRisk, type RiskState } from '../trading/risk/limits.ts';
import type { RateLimiter, SubmissionResult } from '../trading/router/orderRouter.ts';
import { barsHash, carryPrices, decodeBars, encodeBars } from './barsSnapshot.ts';
import type { PauseHook } from './pausePoint.ts';
import { TICK_JOB_ATTEMPTS } from './queue.ts';
import { teamsOfShard } from './shards.ts';
import type { ShardPools, TeamSpec } from './shardPools.ts';
import { errorText, failOrphanedTicks, markFailedUntilRecorded } from './tickMarks.ts';
import {
  appendTickErrors,
  completeTick,
  dueTeams,
  insertRuns,
  insertTick,
  loadRiskStates,
  markEventsPublished,
  markPrepared,
  pricesBefore,
  raiseAttempts,
  saveMemories,
  saveRiskStates,
  selectRunIntents,
  selectRuns,
  selectShards,
  selectTick,
  teamOverrides,
  teamsWithRuns,
  upsertShard,
  type StageTimings,
  type TeamRunRecord,
  type TickClock,
  type TickError,
  type TickRecord,
} from './tickStore.ts';

/** The competition's settings the tick applies (from the registry in force). */
export interface CompetitionSettings {
  universe: readonly string[];
  startingCash: Money;
  limits: { cpuMs: number; memoryMb: number };
  risk: RegistryRisk;
  /** Cash validation holds back per market buy beyond its price (the simulated broker's collar, bps). */
  marketBuyBufferBps: number;
}

/** How orders reach a market: the simulated venue on the ledger (fills computed each minute), or a broker that streams its fills (Alpaca). */
export type TickExecution = Execution;

export interface TickEnvironment {
  pg: PgPool;
  redis: RedisClient;
  ledger: Ledger;
  market: MarketDataSource;
  competition: () => CompetitionSettings;
  execution: TickExecution;
  /** One permit per broker request of the order router. */
  limiter: RateLimiter;
  pools: ShardPools;
  workerId: string;
  log: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  pause: PauseHook;
  readHalts: () => Promise<HaltState>;
  /**
   * After the books: cache, publish and announce the leaderboard as of the minute, advanced from the
   * minute's snapshots just stored; returns the snapshots the metrics could not take.
   */
  publishLeaderboard: (minute: number, snapshots: readonly BoardSnapshot[]) => Promise<readonly BoardProblem[]>;
  /** The activity stream key (tests use their own). */
  activityStream?: string;
}

export interface TickJobSpec {
  minute: number;
  shards: number;
  clock: TickClock;
  /** The BullMQ attempt this is (1 = first). */
  attempt: number;
}

export interface ShardOutcome {
  minute: number;
  shard: number;
  teams: number;
  teamsRun: number;
  stageMs: StageTimings;
}

export interface BooksOutcome {
  minute: number;
  teamsRun: number;
  stageMs: StageTimings;
  snapshots: number;
}

// Advisory lock namespace of a minute's preparation (any constant distinct from the project's other locks).
const PREPARE_LOCK = 0x71_74_63_05;
const MINUTE_MS = 60_000;

/** When a minute's tick "happens": the wall clock when live, the end of the minute when simulated or replayed. */
export function tickNow(spec: Pick<TickJobSpec, 'minute' | 'clock'>): number {
  return spec.clock === 'live' ? Date.now() : spec.minute + MINUTE_MS;
}

const elapsed = (since: number): number => Math.round((performance.now() - since) * 100) / 100;

export function createTickRunner(env: TickEnvironment) {
  const { pg, ledger } = env;

  /** Stages 1 and 2, once per minute whichever worker gets there first. */
  async function ensurePrepared(spec: TickJobSpec): Promise<TickRecord> {
    const known = await selectTick(pg, spec.minute);
    if (known?.preparedAt != null) {
      if (spec.attempt > known.attempts) await raiseAttempts(pg, spec.minute, spec.attempt);
      return known;
    }
    const client = await pg.connect();
    const key = Math.floor(spec.minute / MINUTE_MS) % 2_147_483_647;
    let unlockFailed: Error | undefined;
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [PREPARE_LOCK, key]);
      try {
        let tick = await selectTick(client, spec.minute);
        if (tick === null) {
          const competition = env.competition();
          const started = performance.now();
          const snapshot = await env.market.barsForMinute(spec.minute, competition.universe);
          const bars = encodeBars(snapshot.bars);
          const teams = await dueTeams(client);
          if (teams.length > 0)
            await ledger.ensureTeamBooks(
              teams.map((team) => team.teamId),
              competition.startingCash,
            );
          await insertTick(client, {
            minute: spec.minute,
            attempts: spec.attempt,
            shards: spec.shards,
            clock: spec.clock,
            source: snapshot.source,
            stale: snapshot.stale,
            staleReason: snapshot.staleReason ?? null,
            barHash: barsHash(spec.minute, bars),
            bars,
            prices: carryPrices(await pricesBefore(client, spec.minute), bars),
            teams,
            barsMs: elapsed(started),
          });
          if (snapshot.stale) env.log.warn({ minute: new Date(spec.minute).toISOString(), reason: snapshot.staleReason }, "the minute's bars are stale");
          tick = (await selectTick(client, spec.minute))!;
          const orphans = await failOrphanedTicks(client, spec.minute);
          if (orphans.length > 0) env.log.warn({ minutes: orphans.map((minute) => new Date(minute).toISOString()) }, 'marked failed minutes left running with no live job');
        } else if (spec.attempt > tick.attempts) {
          await raiseAttempts(client, spec.minute, spec.attempt);
        }
        if (tick.preparedAt === null) {
          const started = performance.now();
          const { applied, errors } = await applyFills(spec.minute, decodeBars(spec.minute, tick.bars));
          await appendTickErrors(client, spec.minute, errors);
          await env.pause('after-fills', spec.minute);
          await markPrepared(client, spec.minute, applied, elapsed(started));
          tick = (await selectTick(client, spec.minute))!;
        }
        return tick;
      } finally {
        // Not thrown: it would hide the error in flight (a lost connection fails both). The client is
        // destroyed instead of released, which ends its session and so frees the lock.
        await client.query('SELECT pg_advisory_unlock($1, $2)', [PREPARE_LOCK, key]).catch((error: unknown) => {
          unlockFailed = error as Error;
        });
      }
    } finally {
      client.release(unlockFailed);
    }
  }

  async function applyFills(minute: number, bars: ReadonlyMap<string, Bar>): Promise<{ applied: number; errors: TickError[] }> {
    const outcome = await fillsStage(env.execution, minute, bars);
    return { applied: outcome.applied, errors: outcome.problems.map((problem) => ({ stage: 'fills', teamId: problem.teamId ?? undefined, message: problem.message })) };
  }

  /**
   * Submits the due intents of `teamIds` (null: every team) in one router pass. With the simulated broker
   * an acceptance is pure, so every answer of the pass is recorded in one ledger transaction; a remote
   * broker's answers are recorded as they come, in small batches (the router's defaults).
   */
  async function submit(spec: TickJobSpec, teamIds: ReadonlySet<string> | null): Promise<SubmissionResult[]> {
    return submitStage({
      books: ledger,
      execution: env.execution,
      limiter: env.limiter,
      now: () => tickNow(spec),
      teamIds,
      onProblem: (problem) => env.log.warn({ problem: { kind: problem.kind, clientOrderId: problem.clientOrderId, message: problem.message } }, 'order router problem'),
    });
  }

  /** Stages 3 and 4 for one shard of the minute's teams. */
  async function runShard(spec: TickJobSpec & { shard: number }): Promise<ShardOutcome> {
    const tick = await ensurePrepared(spec);
    const mine = teamsOfShard(tick.teams, spec.shard, spec.shards);
    const ids = mine.map((team) => team.teamId);
    const stageMs: StageTimings = {};
    let teamsRun = 0;
    const halts = await env.readHalts();
    await recordMinuteConditions(pg, spec.minute, halts, ids, env.execution);
    const done = await teamsWithRuns(pg, spec.minute, ids);
    const recordedWithRuns: Array<{ entry: RecordedIntent; intents: readonly OrderIntent[] }> = [];
    const toRun = halts.competition === null ? mine.filter((team) => !done.has(team.teamId) && !halts.teams.has(team.teamId)) : [];

    if (toRun.length > 0) {
      const competition = env.competition();
      const runIds = toRun.map((team) => team.teamId);
      const [overrides, books, open, risks] = await Promise.all([teamOverrides(pg, runIds), ledger.loadBooks(), ledger.openOrders(), loadRiskStates(pg, runIds)]);
      const prices = moneyPrices(tick.prices);
      const teams = teamMinutes(runIds, books, open, prices, competition.marketBuyBufferBps);
      const specs: TeamSpec[] = [];
      for (const team of toRun) {
        if (!teams.has(team.teamId)) continue;
        const own = overrides.get(team.teamId);
        specs.push({
          teamId: team.teamId,
          versionId: team.versionId,
          params: own?.params ?? {},
          cpuMs: own?.limits.cpuMs ?? competition.limits.cpuMs,
          memoryMb: own?.limits.memoryMb ?? competition.limits.memoryMb,
        });
      }
      const shardPool = await env.pools.get(spec.shard, spec.shards);
      const states = new Map([...teams].map(([teamId, team]) => [teamId, team.view]));
      const outcome = await shardPool.run(spec.minute, decodeBars(spec.minute, tick.bars), tick.prices, specs, states);
      stageMs.load = Math.round(outcome.loadMs * 100) / 100;
      stageMs.strategies = Math.round(outcome.runMs * 100) / 100;

      const ordersStarted = performance.now();
      const decided = decideTeams(teams, outcome.results, {
        minute: spec.minute,
        universe: new Set(competition.universe),
        prices,
        marketBuyBufferBps: competition.marketBuyBufferBps,
        limitsOf: (teamId) => riskLimitsFrom({ ...competition.risk, ...overrides.get(teamId)?.risk }),
        riskOf: (teamId) => risks.get(teamId),
      });
      const versionOf = new Map(specs.map((team) => [team.teamId, team.versionId]));
      const runs: TeamRunRecord[] = [];
      const riskAfter: Array<{ teamId: string; state: RiskState }> = [];
      const memories: Array<{ teamId: string; memory: unknown }> = [];
      for (const { teamId, result, decision } of decided) {
        runs.push({
          minute: spec.minute,
          teamId,
          versionId: versionOf.get(teamId) ?? null,
          shard: spec.shard,
          worker: env.workerId,
          signals: result.signals,
          intents: decision.intents,
          rejections: decision.rejections.map(rejectionRecord),
          error: result.error,
          logs: result.logs,
          cpuMs: result.cpuMs,
          wallMs: result.wallMs,
        });
        riskAfter.push({ teamId, state: decision.risk });
        memories.push({ teamId, memory: result.memory ?? {} });
      }
      const stored = await inTransaction(pg, async (client) => {
        const inserted = await insertRuns(client, runs);
        // The runs and the orders of their intents commit together: no stored intent is ever left without
        // its order (a Postgres outage between the two once failed the minute with its intents unrecorded).
        const intents = runs.filter((run) => inserted.has(run.teamId)).flatMap((run) => run.intents);
        if (intents.length > 0) recordedWithRuns.push(...(await ledger.recordIntentsIn(client, intents)).map((entry) => ({ entry, intents })));
        await recordLoads(client, spec.minute, outcome.loaded, inserted);
        await saveMemories(
          client,
          memories.filter((entry) => inserted.has(entry.teamId) && typeof entry.memory === 'object' && entry.memory !== null && !Array.isArray(entry.memory)),
        );
        await saveRiskStates(
          client,
          spec.minute,
          riskAfter.filter((entry) => inserted.has(entry.teamId)),
        );
        return inserted;
      });
      for (const run of runs) if (!stored.has(run.teamId)) shardPool.forget(run.teamId);
      teamsRun = stored.size;
      stageMs.orders = elapsed(ordersStarted);
    }
    await env.pause('after-runs', spec.minute);

    const ordersStarted = performance.now();
    // Runs stored by an earlier attempt of this minute (before their orders were recorded with them): idempotent by client order id.
    const earlier = await selectRunIntents(
      pg,
      spec.minute,
      ids.filter((id) => done.has(id)),
    );
    const recorded = [...recordedWithRuns, ...(earlier.length > 0 ? (await ledger.recordIntents(earlier)).map((entry) => ({ entry, intents: earlier })) : [])];
    const problems = recorded.filter(({ entry }) => entry.outcome === 'conflict' || entry.outcome === 'refused');
    if (problems.length > 0) {
      await appendTickErrors(
        pg,
        spec.minute,
        problems.map(({ entry, intents }) => ({
          stage: 'orders',
          teamId: intents.find((intent) => intent.clientOrderId === entry.clientOrderId)?.teamId,
          message: `${entry.clientOrderId} ${entry.outcome}: ${entry.reason ?? ''}`,
        })),
      );
    }
    await env.pause('after-intents', spec.minute);
    const submitStarted = performance.now();
    if (halts.competition === null) await submit(spec, new Set(ids.filter((id) => !halts.teams.has(id))));
    stageMs.submit = elapsed(submitStarted);
    stageMs.orders = Math.round(((stageMs.orders ?? 0) + elapsed(ordersStarted)) * 100) / 100;
    await upsertShard(pg, { minute: spec.minute, shard: spec.shard, worker: env.workerId, teams: mine.length, teamsRun, stageMs });
    return { minute: spec.minute, shard: spec.shard, teams: mine.length, teamsRun, stageMs };
  }

  /** Stage 5, after every shard of the minute. */
  async function books(spec: TickJobSpec): Promise<BooksOutcome> {
    const tick = await ensurePrepared(spec);
    await env.pause('before-books', spec.minute);
    const started = performance.now();
    const halts = await env.readHalts();
    if (halts.competition === null) await submit(spec, null);
    const snapshotStarted = performance.now();
    const snapshots = await ledger.snapshotEquity(spec.minute, moneyPrices(tick.prices).record());
    const snapshotMs = elapsed(snapshotStarted);
    const leaderboardStarted = performance.now();
    const boardProblems = await env.publishLeaderboard(spec.minute, snapshots);
    const leaderboardMs = elapsed(leaderboardStarted);
    if (boardProblems.length > 0) {
      await appendTickErrors(
        pg,
        spec.minute,
        boardProblems.map((problem) => ({ stage: 'books', teamId: problem.teamId, message: `leaderboard: ${problem.message}` })),
      );
    }
    const runs = await selectRuns(pg, spec.minute);
    const shards = await selectShards(pg, spec.minute);
    const maxOf = (stage: 'load' | 'strategies' | 'orders' | 'submit'): number => Math.max(0, ...shards.map((shard) => shard.stageMs[stage] ?? 0));
    const stageMs: StageTimings = {
      load: maxOf('load'),
      strategies: maxOf('strategies'),
      orders: maxOf('orders'),
      submit: maxOf('submit'),
      snapshot: snapshotMs,
      leaderboard: leaderboardMs,
      books: elapsed(started),
    };
    stageMs.total = Math.max(0, Date.now() - tick.startedAt);
    if (!tick.eventsPublished) {
      const events = await activityEvents(tick, runs, { ...tick.stageMs, ...stageMs });
      await publishActivities(env.redis, events, ...(env.activityStream === undefined ? [] : [env.activityStream]));
      await markEventsPublished(pg, spec.minute);
    }
    stageMs.books = elapsed(started);
    stageMs.total = Math.max(0, Date.now() - tick.startedAt);
    await completeTick(pg, spec.minute, runs.length, stageMs);
    return { minute: spec.minute, teamsRun: runs.length, stageMs: { ...tick.stageMs, ...stageMs }, snapshots: snapshots.length };
  }

  async function activityEvents(tick: TickRecord, runs: readonly TeamRunRecord[], stageMs: StageTimings): Promise<ActivityEvent[]> {
    const at = Date.now();
    const events: ActivityEvent[] = [];
    const fills = await query<{ team_id: string; symbol: string; side: 'buy' | 'sell'; quantity: string; price: string; client_order_id: string; executed_at: Date }>(
      pg,
      `SELECT team_id, symbol, side, quantity, price, client_order_id, executed_at FROM fills
       WHERE applied AND executed_at >= $1 AND executed_at < $2 ORDER BY executed_at, team_id, client_order_id`,
      [new Date(tick.minute), new Date(tick.minute + MINUTE_MS)],
    );
    for (const fill of fills) {
      events.push({
        type: 'trade',
        at: fill.executed_at.getTime(),
        teamId: fill.team_id,
        symbol: fill.symbol,
        side: fill.side,
        quantity: Number(fill.quantity),
        price: toDollars(decimalStringToMoney(fill.price)),
        clientOrderId: fill.client_order_id,
      });
    }
    for (const run of runs) {
      if (run.error !== null) events.push({ type: 'strategy_error', at, teamId: run.teamId, kind: run.error.kind, message: run.error.message });
      for (const rejection of run.rejections)
        events.push({ type: 'order_rejected', at, teamId: run.teamId, symbol: rejection.symbol, code: rejection.code, message: rejection.message });
    }
    const refused = await query<{ team_id: string; symbol: string; client_order_id: string; broker_reason: string | null }>(
      pg,
      `SELECT team_id, symbol, client_order_id, broker_reason FROM orders WHERE minute = $1 AND status = 'rejected' ORDER BY team_id, seq`,
      [new Date(tick.minute)],
    );
    for (const order of refused) {
      events.push({
        type: 'order_rejected',
        at,
        teamId: order.team_id,
        symbol: order.symbol,
        code: 'broker_rejected',
        message: order.broker_reason ?? 'rejected',
        clientOrderId: order.client_order_id,
      });
    }
    const stages: Record<string, number> = {};
    for (const [stage, ms] of Object.entries(stageMs)) if (typeof ms === 'number' && stage !== 'total') stages[stage] = ms;
    events.push({ type: 'tick', at, minute: tick.minute, teams: runs.length, durationMs: stageMs.total ?? 0, stages });
    return events;
  }

  /**
   * A job's last attempt failed: BullMQ gives up on the minute, and worker.ts records that only once, which
   * fails while Postgres is down. So the minute is also marked here, retried until Postgres answers.
   */
  function markedOnLastFailure<T>(spec: TickJobSpec, job: string, work: Promise<T>): Promise<T> {
    return work.catch((error: unknown) => {
      if (spec.attempt >= TICK_JOB_ATTEMPTS) {
        const message = `${job} failed after ${String(spec.attempt)} attempts: ${errorText(error)}`;
        markFailedUntilRecorded(pg, { minute: spec.minute, shards: spec.shards, clock: spec.clock, attempts: spec.attempt }, { stage: 'job', message }, env.log);
      }
      throw error;
    });
  }

  return {
    ensurePrepared,
    runShard: (spec: TickJobSpec & { shard: number }) => markedOnLastFailure(spec, `shard ${String(spec.shard)}`, runShard(spec)),
    books: (spec: TickJobSpec) => markedOnLastFailure(spec, 'books', books(spec)),
    submit,
  };
}

export type TickRunner = ReturnType<typeof createTickRunner>;
