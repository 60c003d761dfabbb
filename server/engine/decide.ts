/**
 * The one decision function: a team's returned signals → validation → risk → order intents, with each
 * refused signal's reason. Pure: the team's state goes in and comes out, so the backtest keeps it in
 * memory and the live tick stores it with the run in one transaction.
 */
import type { TeamRunResult } from '../../sandbox/index.ts';
import type { Money } from '../trading/money.ts';
import type { OrderRejection, ReturnedSignal } from '../trading/orders/rejection.ts';
import { validateSignals, type PriceLookup } from '../trading/orders/validate.ts';
import { applyRiskLimits, beginRiskMinute, INITIAL_RISK_STATE, setKillSwitch, type RiskLimits, type RiskState } from '../trading/risk/limits.ts';
import type { OrderIntent, TeamBook } from '../trading/types.ts';
import { returnedSignals } from './signals.ts';
import { extraReservedCash, type TeamMinute } from './teamView.ts';

export interface TeamDecisionInput {
  teamId: string;
  minute: number;
  /** What the strategy returned, in its order (malformed entries included). */
  signals: readonly ReturnedSignal[];
  book: TeamBook;
  /** The team's orders the venue may still fill (pending buys count towards position limits). */
  openOrders: readonly OrderIntent[];
  equity: Money;
  risk: RiskState;
  limits: RiskLimits;
  universe: ReadonlySet<string>;
  prices: PriceLookup;
  marketBuyBufferBps: number;
  /** An administrator's halt of the team or of the competition: every order is refused with it. */
  halt: string | null;
}

export interface TeamDecision {
  intents: OrderIntent[];
  /** In signal order. */
  rejections: OrderRejection[];
  risk: RiskState;
}

export function decideTeamOrders(input: TeamDecisionInput): TeamDecision {
  // The risk day rolls (and the daily loss is checked) every minute the team runs, signals or not.
  let risk = beginRiskMinute(input.risk, input.minute, input.equity, input.limits);
  if (risk.killSwitch !== input.halt) risk = setKillSwitch(risk, input.halt);
  if (input.signals.length === 0) return { intents: [], rejections: [], risk };
  const validated = validateSignals(input.signals, {
    teamId: input.teamId,
    minute: input.minute,
    universe: input.universe,
    prices: input.prices,
    book: input.book,
    extraReservedCash: extraReservedCash(input.openOrders, input.marketBuyBufferBps),
    marketBuyBufferBps: input.marketBuyBufferBps,
  });
  const pendingBuys = new Map<string, number>();
  for (const intent of input.openOrders) if (intent.side === 'buy') pendingBuys.set(intent.symbol, (pendingBuys.get(intent.symbol) ?? 0) + intent.quantity);
  const risked = applyRiskLimits(validated.intents, {
    limits: input.limits,
    state: risk,
    equity: input.equity,
    positions: input.book.positions,
    pendingBuys,
    signals: input.signals,
  });
  return {
    intents: risked.accepted,
    rejections: [...validated.rejections, ...risked.rejections].sort((a, b) => a.index - b.index),
    risk: risked.state,
  };
}

export interface DecideContext {
  minute: number;
  universe: ReadonlySet<string>;
  prices: PriceLookup;
  marketBuyBufferBps: number;
  limitsOf: (teamId: string) => RiskLimits;
  riskOf: (teamId: string) => RiskState | undefined;
}

export interface TeamOutcome {
  teamId: string;
  result: TeamRunResult;
  decision: TeamDecision;
}

/** Every team that ran, in the given order (a fixed order keeps runs reproducible). */
export function decideTeams(teams: ReadonlyMap<string, TeamMinute>, results: ReadonlyMap<string, TeamRunResult>, context: DecideContext): TeamOutcome[] {
  const outcomes: TeamOutcome[] = [];
  for (const [teamId, team] of teams) {
    const result = results.get(teamId);
    if (result === undefined) continue;
    const decision = decideTeamOrders({
      teamId,
      minute: context.minute,
      signals: returnedSignals(result),
      book: team.book,
      openOrders: team.openOrders,
      equity: team.equity,
      risk: context.riskOf(teamId) ?? INITIAL_RISK_STATE,
      limits: context.limitsOf(teamId),
      universe: context.universe,
      prices: context.prices,
      marketBuyBufferBps: context.marketBuyBufferBps,
      halt: null,
    });
    outcomes.push({ teamId, result, decision });
  }
  return outcomes;
}
