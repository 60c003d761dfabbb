/**
 * Replays a recorded season through the minute engine's stages (server/engine), the ones the live tick
 * runs: fills on the minute's stored bars (the simulated venue, its one fill model), team views, the
 * strategies (a sandbox pool, loaded when the live pools loaded), the one decision function, intents
 * reserved in the books, submission, the minute's snapshot. The books are in memory (MemoryBooks, the
 * ledger's contract); every input comes from the record (recorded.ts), nothing from files or Git.
 */
import type { EquitySnapshot } from '../ledger/snapshots.ts';
import type { SandboxError, Signal } from '../../sandbox/index.ts';
import { decideTeams } from '../engine/decide.ts';
import { fillsStage } from '../engine/fillsStage.ts';
import { MemoryBooks } from '../engine/memoryBooks.ts';
import type { Execution } from '../engine/ports.ts';
import { moneyPrices } from '../engine/prices.ts';
import { submitStage, unlimited } from '../engine/submitStage.ts';
import { teamMinutes } from '../engine/teamView.ts';
import { SimVenue } from '../trading/brokers/sim/simVenue.ts';
import { rejectionRecord } from '../trading/orders/rejection.ts';
import { riskLimitsFrom, type RiskState } from '../trading/risk/limits.ts';
import type { OrderIntent } from '../trading/types.ts';
import { barsHash, decodeBars } from '../tick/barsSnapshot.ts';
import type { TeamSpec } from '../tick/shardPools.ts';
import type { StoredRejection } from '../tick/tickStore.ts';
import type { ReplayHost } from './host.ts';
import type { RecordedFill, RecordedSeason } from './recorded.ts';
import { createSettingsResolver, registryVersionAt, type MinuteSettings } from './settings.ts';

export interface ReplayedRun {
  signals: Signal[];
  intents: OrderIntent[];
  rejections: StoredRejection[];
  error: SandboxError | null;
  versionId: number;
}

/** A fill the replay applied, with the realised P&L it closed (for the trade statistics). */
export interface ReplayedFill extends RecordedFill {
  closedTradePnl: number | null;
}

export interface ReplayedSeason {
  minutes: number;
  fills: Map<string, ReplayedFill[]>;
  snapshots: Map<string, EquitySnapshot[]>;
  /** minute → team → run. */
  runs: Map<number, Map<string, ReplayedRun>>;
  /** Minutes whose stored bars no longer match their stored hash (the replay used them anyway). */
  badBars: number[];
  /** Minutes recorded with a broker (Alpaca) as the venue: their fills were the market's, the replay's are simulated. */
  brokerMinutes: number[];
  /** Minutes where an input had to be assumed (recorded before the conditions were kept), with what was assumed. */
  assumptions: Array<{ minute: number; note: string }>;
}

export interface ReplayOptions {
  host: ReplayHost;
  /** The simulated venue's slippage for minutes recorded without it (SIM_SLIPPAGE_BPS's default is 0). */
  defaultSlippageBps: number;
  onMinute?: (done: number) => void;
}

const MINUTE_MS = 60_000;

const push = <T>(map: Map<string, T[]>, key: string, item: T): void => {
  const list = map.get(key);
  if (list === undefined) map.set(key, [item]);
  else list.push(item);
};

export async function replaySeason(season: RecordedSeason, options: ReplayOptions): Promise<ReplayedSeason> {
  const books = new MemoryBooks();
  const resolve = createSettingsResolver();
  const risk = new Map<string, RiskState>();
  // Conditions are recorded by every shard run from migration 1763800011000 on: before the first recorded
  // minute they are assumed; after it, a minute without them is one whose shards never ran (it failed).
  const recordedFrom = [...season.conditions.keys()].reduce((first, minute) => Math.min(first, minute), Infinity);
  const out: ReplayedSeason = { minutes: 0, fills: new Map(), snapshots: new Map(), runs: new Map(), badBars: [], brokerMinutes: [], assumptions: [] };

  for (const tick of season.ticks) {
    const { minute } = tick;
    const conditions = season.conditions.get(minute);
    const version = registryVersionAt(season.registries, conditions?.registryVersion ?? null, tick.startedAt);
    if (version === undefined) throw new Error(`no registry version is stored for ${new Date(minute).toISOString()}: the season cannot be rebuilt from Postgres`);
    const slippageBps = conditions?.simSlippageBps ?? options.defaultSlippageBps;
    if (conditions !== undefined && conditions.simSlippageBps === null) out.brokerMinutes.push(minute);
    const legacy = conditions === undefined && minute < recordedFrom;
    if (legacy)
      out.assumptions.push({
        minute,
        note: `no recorded conditions: registry version ${String(version.version)} by time, slippage ${String(slippageBps)} bps, no halts, loads inferred`,
      });
    const settings = resolve(version, slippageBps);
    if (barsHash(minute, tick.bars) !== tick.barHash) out.badBars.push(minute);

    // The simulated venue keeps nothing of its own (its orders are the books'), so one per minute follows
    // the minute's settings.
    const universe = new Set(settings.competition.universe);
    const execution: Execution = {
      kind: 'sim',
      venue: new SimVenue({
        books,
        knows: (symbol) => universe.has(symbol),
        slippageBps,
        marketBuyCollarBps: settings.competition.marketBuyBufferBps,
        netted: settings.execution === 'netted',
      }),
    };
    const bars = decodeBars(minute, tick.bars);

    // Stage 1-2 (prepare): the due teams' books, then fills on the minute's bars.
    if (tick.teams.length > 0)
      await books.ensureTeamBooks(
        tick.teams.map((team) => team.teamId),
        settings.competition.startingCash,
      );
    const fills = await fillsStage(execution, minute, bars);
    for (const { fill, result } of fills.fills) {
      if (result.outcome !== 'applied' || result.teamId === null) continue;
      push(out.fills, result.teamId, { ...fill, teamId: result.teamId, closedTradePnl: result.closedTradePnl });
    }

    // Stages 3-4 (shards): every due team not halted runs, then its orders.
    const haltedCompetition = conditions?.haltedCompetition ?? false;
    const shardsRan = conditions !== undefined || legacy;
    const toRun = haltedCompetition || !shardsRan ? [] : tick.teams.filter((team) => !(conditions?.haltedTeams.has(team.teamId) ?? false));
    const prices = moneyPrices(tick.prices);
    const teams = teamMinutes(
      toRun.map((team) => team.teamId),
      await books.loadBooks(),
      await books.openOrders(),
      prices,
      settings.competition.marketBuyBufferBps,
    );
    const specs = toRun.filter((team) => teams.has(team.teamId)).map((team) => teamSpec(team.teamId, team.versionId, settings));
    const results = await options.host.run({
      minute,
      bars,
      prices: tick.prices,
      teams: specs,
      states: new Map([...teams].map(([teamId, team]) => [teamId, team.view])),
      loads: conditions === undefined ? null : (season.loads.get(minute) ?? new Map()),
    });
    const decided = decideTeams(teams, results, {
      minute,
      universe,
      prices,
      marketBuyBufferBps: settings.competition.marketBuyBufferBps,
      limitsOf: (teamId) => riskLimitsFrom({ ...settings.competition.risk, ...settings.overrides.get(teamId)?.risk }),
      riskOf: (teamId) => risk.get(teamId),
    });
    const versionOf = new Map(specs.map((spec) => [spec.teamId, spec.versionId]));
    const runs = new Map<string, ReplayedRun>();
    for (const { teamId, result, decision } of decided) {
      risk.set(teamId, decision.risk);
      runs.set(teamId, {
        signals: result.signals,
        intents: decision.intents,
        rejections: decision.rejections.map(rejectionRecord),
        error: result.error,
        versionId: versionOf.get(teamId) ?? 0,
      });
    }
    out.runs.set(minute, runs);
    const intents = decided.flatMap((outcome) => outcome.decision.intents);
    if (intents.length > 0) await books.recordIntents(intents);
    if (!haltedCompetition) await submitStage({ books, execution, limiter: unlimited, now: () => minute + MINUTE_MS, teamIds: null });

    // Stage 5 (books): every team marked at the minute's carried prices.
    for (const snapshot of await books.snapshotEquity(minute, prices.record())) push(out.snapshots, snapshot.teamId, snapshot);
    out.minutes += 1;
    options.onMinute?.(out.minutes);
  }
  return out;
}

function teamSpec(teamId: string, versionId: number, settings: MinuteSettings): TeamSpec {
  const own = settings.overrides.get(teamId);
  return {
    teamId,
    versionId,
    params: own?.params ?? {},
    cpuMs: own?.limits.cpuMs ?? settings.competition.limits.cpuMs,
    memoryMb: own?.limits.memoryMb ?? settings.competition.limits.memoryMb,
  };
}
