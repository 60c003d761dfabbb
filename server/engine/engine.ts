/**
 * The minute engine: every stage of a minute, in order, over the ports. `qtc backtest` calls `step` for
 * each minute; the live tick runs the same stage functions split into its BullMQ jobs (server/tick/tick.ts).
 *
 *   1. fills      orders from earlier minutes fill on this minute's bars (no look-ahead), or expire
 *   2. teams      books marked at the minute's prices → what each strategy sees
 *   3. strategies every team's strategy on the new bars (the host)
 *   4. decide     returned signals → validation → risk → intents, each refusal with its reason
 *   5. orders     intents recorded with their reservations, then submitted to the venue
 *   6. snapshot   every team marked to market at the minute's prices
 */
import type { Bar } from '../../data/market/bar.ts';
import type { RecordedIntent } from '../ledger/ledger.ts';
import type { EquitySnapshot } from '../ledger/snapshotOf.ts';
import type { RiskLimits, RiskState } from '../trading/risk/limits.ts';
import type { RateLimiter, SubmissionResult } from '../trading/router/orderRouter.ts';
import { decideTeams, type TeamOutcome } from './decide.ts';
import { fillsStage, type FillsOutcome } from './fillsStage.ts';
import { MinuteBars } from './minuteBars.ts';
import type { BookStore, Execution, StrategyHost } from './ports.ts';
import { moneyPricesOf } from './prices.ts';
import { submitStage, unlimited } from './submitStage.ts';
import { teamMinutes } from './teamView.ts';

export interface MinuteEngineConfig {
  books: BookStore;
  execution: Execution;
  host: StrategyHost;
  /** The teams, in the fixed order their decisions are taken. Their books must exist. */
  teamIds: readonly string[];
  universe: ReadonlySet<string>;
  /** Cash validation holds back per market buy beyond its price: the venue's collar, bps. */
  marketBuyBufferBps: number;
  limitsOf: (teamId: string) => RiskLimits;
  limiter?: RateLimiter;
}

export interface MinuteReport {
  minute: number;
  fills: FillsOutcome;
  /** One per team that ran: its result, intents, rejections. */
  teams: TeamOutcome[];
  recorded: RecordedIntent[];
  submissions: SubmissionResult[];
  snapshots: EquitySnapshot[];
}

const MINUTE_MS = 60_000;

export function createMinuteEngine(config: MinuteEngineConfig) {
  const { books, execution, host } = config;
  const risk = new Map<string, RiskState>();
  const intake = new MinuteBars();
  const dollarsOf = (symbol: string): number | undefined => intake.priceOf(symbol);
  const priced = (): readonly string[] => intake.prices.keys;

  async function step(minute: number, bars: ReadonlyMap<string, Bar>): Promise<MinuteReport> {
    const fills = await fillsStage(execution, minute, bars);

    const encoded = intake.take(bars);
    const prices = moneyPricesOf(dollarsOf, priced);
    const teams = teamMinutes(config.teamIds, await books.loadBooks(), await books.openOrders(), prices, config.marketBuyBufferBps);

    const results =
      teams.size === 0
        ? new Map()
        : await host.run(
            minute,
            bars,
            [...teams.values()].map((team) => team.view),
            encoded,
            intake.prices,
          );

    const outcomes = decideTeams(teams, results, {
      minute,
      universe: config.universe,
      prices,
      marketBuyBufferBps: config.marketBuyBufferBps,
      limitsOf: config.limitsOf,
      riskOf: (teamId) => risk.get(teamId),
    });
    for (const outcome of outcomes) risk.set(outcome.teamId, outcome.decision.risk);

    const intents = outcomes.flatMap((outcome) => outcome.decision.intents);
    const recorded = intents.length === 0 ? [] : await books.recordIntents(intents);
    const submissions = intents.length === 0 ? [] : await submitStage({ books, execution, limiter: config.limiter ?? unlimited, now: () => minute + MINUTE_MS, teamIds: null });

    // Positions only change with fills (stage 1): the symbols held then are all a mark needs.
    const held = new Set<string>();
    for (const team of teams.values()) for (const symbol of Object.keys(team.book.positions)) held.add(symbol);
    const snapshots = await books.snapshotEquity(minute, prices.record(held));
    return { minute, fills, teams: outcomes, recorded, submissions, snapshots };
  }

  return { step };
}

export type MinuteEngine = ReturnType<typeof createMinuteEngine>;
