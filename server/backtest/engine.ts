/**
 * A backtest: the minute engine (server/engine) over in-memory books, the simulated venue and an
 * in-process sandbox pool, stepped through recorded or simulated minutes as fast as the strategies
 * allow. Everything that trades is the engine's; this file loads the strategies, feeds the minutes and
 * turns each minute's report into per-team trades, equity, metrics and errors.
 */
import type { Bar } from '../../data/market/bar.ts';
import type { MarketCalendar } from '../../data/market/calendar.ts';
import type { CompiledStrategy, SandboxPool } from '../../sandbox/index.ts';
import { createMinuteEngine, type MinuteReport } from '../engine/engine.ts';
import { MemoryBooks } from '../engine/memoryBooks.ts';
import type { StrategyHost } from '../engine/ports.ts';
import { marketBuyCollarBps } from '../trading/brokers/sim/fillModel.ts';
import { SimVenue } from '../trading/brokers/sim/simVenue.ts';
import type { Money } from '../trading/money.ts';
import type { RiskLimits } from '../trading/risk/limits.ts';
import type { BrokerOrderState, OrderIntent } from '../trading/types.ts';
import { TeamReport } from './teamReport.ts';

/** One minute of bars, keyed by symbol (a `MinuteSnapshot` or `MinuteBars` fits). */
export interface BacktestMinute {
  minute: number;
  bars: ReadonlyMap<string, Bar>;
}

export interface BacktestStrategy {
  /** Shown in reports: the folder name (unique within the run). */
  id: string;
  /** Used in client order ids: `[A-Za-z0-9_-]`, unique within the run. */
  teamId: string;
  compiled: CompiledStrategy;
  params: Record<string, unknown>;
  /** This team's risk limits (a registry team's overrides); default: the run's. */
  limits?: RiskLimits;
  /** CPU limit per call, ms; default: the pool's. */
  cpuMs?: number;
  /** Heap limit of the isolate, MB; default: the pool's. */
  memoryMb?: number;
}

export interface BacktestConfig {
  strategies: readonly BacktestStrategy[];
  /** Ascending minutes. */
  minutes: Iterable<BacktestMinute> | AsyncIterable<BacktestMinute>;
  /** Symbols strategies may trade. */
  universe: readonly string[];
  /** Starting cash per team, exact. */
  capital: Money;
  slippageBps: number;
  /** Netted execution (registry `competition.execution`): a (minute, symbol)'s market orders fill at one price. */
  netted?: boolean;
  limits: RiskLimits;
  /** A started pool; the backtest loads the strategies into it and leaves it open. */
  pool: SandboxPool;
  calendar?: MarketCalendar;
  /** Called after every minute with the number of minutes done. */
  onMinute?: (done: number) => void;
}

export interface LoadFailureReport {
  id: string;
  kind: string;
  message: string;
}

export interface BacktestOutcome {
  teams: TeamReport[];
  /** Strategies that did not load (they are not in `teams`). */
  loadFailures: LoadFailureReport[];
  minutes: number;
  /** Bars delivered (symbol-minutes). */
  bars: number;
}

/** The in-process pool as the engine's strategy host. */
export function poolHost(pool: SandboxPool): StrategyHost {
  return {
    run: (minute, _bars, teams, encoded, prices) => pool.runMinute({ minute, encodedPrices: prices, teams: [...teams], encoded }),
  };
}

const orderText = (order: Pick<OrderIntent, 'clientOrderId' | 'side' | 'quantity' | 'symbol'>): string =>
  `${order.clientOrderId} ${order.side} ${String(order.quantity)} ${order.symbol}`;

/** Folds one minute's report into the teams' reports. */
function record(report: MinuteReport, byTeamId: ReadonlyMap<string, TeamReport>, intents: ReadonlyMap<string, OrderIntent>): void {
  const teamOf = (teamId: string | null | undefined): TeamReport | undefined => (teamId == null ? undefined : byTeamId.get(teamId));
  for (const { fill, result } of report.fills.fills) if (result.outcome === 'applied') teamOf(result.teamId)?.filled(fill, result);
  for (const { state, result } of report.fills.ended) endedOrder(teamOf(result.teamId), state);
  for (const problem of report.fills.problems) teamOf(problem.teamId)?.error(report.minute, 'order', 'fill_refused', problem.message);
  for (const { teamId, result, decision } of report.teams) {
    const team = teamOf(teamId);
    if (result.error !== null) team?.strategyError(report.minute, result.error);
    for (const rejection of decision.rejections) team?.rejected(report.minute, rejection);
  }
  for (const entry of report.recorded) {
    const intent = intents.get(entry.clientOrderId);
    if (entry.outcome === 'refused' && intent !== undefined) teamOf(intent.teamId)?.error(report.minute, 'order', 'refused', `${orderText(intent)}: ${entry.reason ?? ''}`);
  }
  for (const submission of report.submissions) {
    const intent = intents.get(submission.clientOrderId);
    if (submission.outcome === 'rejected' && intent !== undefined)
      teamOf(intent.teamId)?.error(intent.minute, 'order', 'broker_rejected', `${orderText(intent)}: ${submission.reason ?? ''}`);
  }
  for (const snapshot of report.snapshots) teamOf(snapshot.teamId)?.snapshot(snapshot);
}

const NO_INTENTS: ReadonlyMap<string, OrderIntent> = new Map();

/** Canceled orders say why (the price collar); expiries at the close are routine. */
function endedOrder(team: TeamReport | undefined, state: BrokerOrderState): void {
  if (team === undefined || state.status !== 'canceled' || state.reason === null) return;
  team.error(state.updatedAt, 'order', 'canceled', `${orderText(state)}: ${state.reason}`);
}

export async function runBacktest(config: BacktestConfig): Promise<BacktestOutcome> {
  const { pool } = config;
  const teams: TeamReport[] = [];
  const limits = new Map<string, RiskLimits>();
  const loadFailures: LoadFailureReport[] = [];
  for (const strategy of config.strategies) {
    const loaded = await pool.load({
      teamId: strategy.teamId,
      strategy: strategy.compiled,
      params: strategy.params,
      ...(strategy.cpuMs === undefined ? {} : { cpuMs: strategy.cpuMs }),
      ...(strategy.memoryMb === undefined ? {} : { memoryMb: strategy.memoryMb }),
    });
    if (!loaded.ok) {
      loadFailures.push({ id: strategy.id, kind: loaded.error.kind, message: loaded.error.message });
      continue;
    }
    teams.push(new TeamReport(strategy.id, strategy.teamId, config.capital));
    limits.set(strategy.teamId, strategy.limits ?? config.limits);
  }
  const byTeamId = new Map(teams.map((team) => [team.teamId, team]));
  const teamIds = teams.map((team) => team.teamId);

  const books = new MemoryBooks();
  await books.ensureTeamBooks(teamIds, config.capital);
  const universe = new Set(config.universe);
  const collarBps = marketBuyCollarBps(config.slippageBps);
  const venue = new SimVenue({
    books,
    knows: (symbol) => universe.has(symbol),
    slippageBps: config.slippageBps,
    marketBuyCollarBps: collarBps,
    ...(config.calendar === undefined ? {} : { calendar: config.calendar }),
    ...(config.netted === true ? { netted: true } : {}),
  });
  const engine = createMinuteEngine({
    books,
    execution: { kind: 'sim', venue },
    host: poolHost(pool),
    teamIds,
    universe,
    marketBuyBufferBps: collarBps,
    limitsOf: (teamId) => limits.get(teamId) ?? config.limits,
  });

  let minutes = 0;
  let bars = 0;
  for await (const { minute, bars: minuteBars } of config.minutes) {
    const report = await engine.step(minute, minuteBars);
    // Only a minute that recorded or submitted orders looks intents up (most minutes decide none).
    const intents =
      report.recorded.length === 0 && report.submissions.length === 0
        ? NO_INTENTS
        : new Map(report.teams.flatMap((team) => team.decision.intents.map((intent) => [intent.clientOrderId, intent] as const)));
    record(report, byTeamId, intents);
    bars += minuteBars.size;
    minutes += 1;
    config.onMinute?.(minutes);
  }
  await venue.close();
  return { teams, loadFailures, minutes, bars };
}
