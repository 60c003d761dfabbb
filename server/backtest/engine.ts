/**
 * The backtest loop: the same sandbox, validation, risk, books and simulated broker as the live
 * competition, over recorded or simulated minutes, as fast as the strategies allow.
 *
 * Per minute, in the live tick's order:
 *   1. session close passed → day orders still open expire (reservations released);
 *   2. fills first: orders from earlier minutes fill on this minute's bars (SimBroker, no look-ahead);
 *      each fill is attributed to its team by client order id and applied to its books once;
 *   3. mark to market at this minute's closes → equity curve, metrics, daily-loss check;
 *   4. every strategy runs in the sandbox on the new bars;
 *   5. signals → validation → risk → intents reserved in the books → submitted to the SimBroker.
 */
import type { Bar } from '../../data/market/bar.ts';
import { embeddedCalendar, type MarketCalendar } from '../../data/market/calendar.ts';
import type { CompiledStrategy, SandboxPool, Bar as SandboxBar, TeamMinuteState, TeamRunResult } from '../../sandbox/index.ts';
import { SimBroker } from '../trading/brokers/sim/simBroker.ts';
import { parseClientOrderId } from '../trading/clientOrderId.ts';
import { toMoney, type Money } from '../trading/money.ts';
import type { PriceLookup } from '../trading/orders/validate.ts';
import { tradingDay, type RiskLimits } from '../trading/risk/limits.ts';
import { BrokerError, type BrokerOrderState } from '../trading/types.ts';
import { TeamRun } from './teamRun.ts';

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
  limits: RiskLimits;
  /** A started pool; the engine loads the strategies into it and leaves it open. */
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
  teams: TeamRun[];
  /** Strategies that did not load (they are not in `teams`). */
  loadFailures: LoadFailureReport[];
  minutes: number;
  /** Bars delivered (symbol-minutes). */
  bars: number;
  /** Fills or order updates whose client order id is not one of this run's teams (never applied). */
  unattributed: string[];
}

/**
 * A market buy never fills more than this above the price it was decided at (plus the slippage):
 * beyond it the simulated broker cancels it, so a buy can never cost more than the cash checked for it.
 */
export const MARKET_BUY_COLLAR_BPS = 500;

export async function runBacktest(config: BacktestConfig): Promise<BacktestOutcome> {
  const { pool } = config;
  const calendar = config.calendar ?? embeddedCalendar;
  const universe = new Set(config.universe);
  const collarBps = MARKET_BUY_COLLAR_BPS + config.slippageBps;
  const broker = new SimBroker({
    startingCash: config.capital * config.strategies.length,
    symbols: universe,
    slippageBps: config.slippageBps,
    marketBuyCollarBps: collarBps,
  });

  const teams: TeamRun[] = [];
  const loadFailures: LoadFailureReport[] = [];
  for (const strategy of config.strategies) {
    const loaded = await pool.load({ teamId: strategy.teamId, strategy: strategy.compiled, params: strategy.params });
    if (!loaded.ok) {
      loadFailures.push({ id: strategy.id, kind: loaded.error.kind, message: loaded.error.message });
      continue;
    }
    teams.push(new TeamRun({ id: strategy.id, teamId: strategy.teamId, capital: config.capital, limits: config.limits, universe, marketBuyBufferBps: collarBps }));
  }
  const byTeamId = new Map(teams.map((team) => [team.teamId, team]));
  const unattributed: string[] = [];
  const teamOf = (clientOrderId: string): TeamRun | undefined => {
    const parsed = parseClientOrderId(clientOrderId);
    const team = parsed === null ? undefined : byTeamId.get(parsed.teamId);
    if (team === undefined) unattributed.push(clientOrderId);
    return team;
  };
  const endOrders = (states: readonly BrokerOrderState[]): void => {
    for (const state of states) if (state.status === 'canceled' || state.status === 'expired' || state.status === 'rejected') teamOf(state.clientOrderId)?.endOrder(state);
  };

  // Prices carry forward for symbols without a bar this minute (sparse data). `lastPrices` goes to the
  // sandbox as is: runMinute has serialised it before it resolves, and it is only changed after that.
  const lastPrices: Record<string, number> = {};
  const moneyPrices: PriceLookup = {
    get: (symbol) => {
      const price = lastPrices[symbol];
      return price === undefined ? undefined : toMoney(price);
    },
  };
  let sessionClose = -Infinity;
  let sessionDay = '';
  let minutes = 0;
  let bars = 0;

  for await (const { minute, bars: minuteBars } of config.minutes) {
    // 1. Day orders expire at the close of their session.
    if (minute >= sessionClose && sessionClose !== -Infinity) {
      endOrders(broker.expireOpenOrders(sessionClose));
      sessionClose = -Infinity;
    }
    const day = tradingDay(minute);
    if (day !== sessionDay) {
      sessionDay = day;
      sessionClose = calendar.sessionFor(day)?.close ?? -Infinity;
    }

    // 2. Fills first, on this minute's bars.
    const { fills, updates } = broker.advance(minute, minuteBars);
    for (const fill of fills) teamOf(fill.clientOrderId)?.applyFill(fill);
    endOrders(updates);

    // 3. Prices and books.
    const newBars: Record<string, SandboxBar> = {};
    for (const [symbol, bar] of minuteBars) {
      newBars[symbol] = bar;
      lastPrices[symbol] = bar.close;
    }
    bars += minuteBars.size;
    const states: TeamMinuteState[] = [];
    for (const team of teams) {
      team.markMinute(minute, lastPrices);
      states.push(team.minuteState());
    }

    // 4. Strategies.
    const results: ReadonlyMap<string, TeamRunResult> = teams.length === 0 ? new Map() : await pool.runMinute({ minute, bars: newBars, prices: lastPrices, teams: states });

    // 5. Orders, team by team in a fixed order so runs are reproducible.
    for (const team of teams) {
      const result = results.get(team.teamId);
      if (result === undefined) continue;
      if (result.error !== null) team.strategyError(minute, result.error);
      for (const intent of team.decide(minute, result.signals, moneyPrices)) {
        try {
          broker.submitNow(intent);
        } catch (error) {
          if (!(error instanceof BrokerError)) throw error;
          team.brokerRejected(intent, error.message);
        }
      }
    }
    minutes += 1;
    config.onMinute?.(minutes);
  }
  if (sessionClose !== -Infinity) endOrders(broker.expireOpenOrders(sessionClose));
  await broker.close();
  return { teams, loadFailures, minutes, bars, unattributed };
}
