/**
 * What the tick's stages share: the environment a worker gives them, a job's spec and the outcomes
 * the jobs return. The stages themselves are one module each (prepareStage, shardStage, booksStage).
 */
import type { Logger } from 'pino';
import type { MarketDataSource } from '../../data/market/source.ts';
import type { PgPool } from '../../data/postgres/pool.ts';
import type { RedisClient } from '../../data/redis/client.ts';
import type { HaltState } from '../control/halts.ts';
import type { Execution } from '../engine/ports.ts';
import type { BoardProblem, BoardSnapshot } from '../leaderboard/boardState.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Money } from '../trading/money.ts';
import type { RegistryRisk } from '../trading/risk/limits.ts';
import type { RateLimiter } from '../trading/router/orderRouter.ts';
import type { PauseHook } from './pausePoint.ts';
import type { ShardPools } from './shardPools.ts';
import type { StageTimings, TickClock } from './tickStore.ts';

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
  /** Teams per transaction when a shard's runs are stored (see storeRuns in shardStage.ts); tests make it small. */
  runsPerStore?: number;
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

export const MINUTE_MS = 60_000;

/** When a minute's tick "happens": the wall clock when live, the end of the minute when simulated or replayed. */
export function tickNow(spec: Pick<TickJobSpec, 'minute' | 'clock'>): number {
  return spec.clock === 'live' ? Date.now() : spec.minute + MINUTE_MS;
}

/** Milliseconds since `since` (a performance.now() reading), to 0.01 ms. */
export const elapsed = (since: number): number => roundMs(performance.now() - since);

export const roundMs = (ms: number): number => Math.round(ms * 100) / 100;
