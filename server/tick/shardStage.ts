/**
 * Stages 3 and 4 of a minute for one shard of its teams: the strategies run in the shard's warm
 * sandbox pool, their decisions are stored (run, memory, risk state and the orders of the intents in
 * one transaction), and the router submits. A team with a stored run is never run again.
 */
import type pg from 'pg';
import { inTransaction } from '../../data/postgres/transaction.ts';
import { decideTeams, type TeamOutcome } from '../engine/decide.ts';
import { moneyPrices } from '../engine/prices.ts';
import { teamMinutes, type TeamMinute } from '../engine/teamView.ts';
import type { RecordedIntent } from '../ledger/ledger.ts';
import { recordLoads, recordMinuteConditions } from '../replay/record.ts';
import { rejectionRecord } from '../trading/orders/rejection.ts';
import { riskLimitsFrom, type RiskState } from '../trading/risk/limits.ts';
import type { OrderIntent } from '../trading/types.ts';
import { decodeBars } from './barsSnapshot.ts';
import { ensurePrepared } from './prepareStage.ts';
import { teamsOfShard } from './shards.ts';
import type { ShardPool, ShardRunOutcome, TeamSpec } from './shardPools.ts';
import { submitPass } from './submitPass.ts';
import {
  appendTickErrors,
  insertRunsWithState,
  loadRiskStates,
  selectRunIntents,
  teamOverrides,
  teamsWithRuns,
  upsertShard,
  type DueTeam,
  type StageTimings,
  type TeamOverrides,
  type RunWithState,
  type TickRecord,
} from './tickStore.ts';
import { elapsed, roundMs, type ShardOutcome, type TickEnvironment, type TickJobSpec } from './tickTypes.ts';

export type ShardJobSpec = TickJobSpec & { shard: number };

/** An intent's recording in the ledger, with the intents of the batch it came from (to name its team). */
interface Recorded {
  entry: RecordedIntent;
  intents: readonly OrderIntent[];
}

export async function runShard(env: TickEnvironment, spec: ShardJobSpec): Promise<ShardOutcome> {
  const tick = await ensurePrepared(env, spec);
  const mine = teamsOfShard(tick.teams, spec.shard, spec.shards);
  const ids = mine.map((team) => team.teamId);
  const halts = await env.readHalts();
  const [, done] = await Promise.all([recordMinuteConditions(env.pg, spec.minute, halts, ids, env.execution), teamsWithRuns(env.pg, spec.minute, ids)]);
  const toRun = halts.competition === null ? mine.filter((team) => !done.has(team.teamId) && !halts.teams.has(team.teamId)) : [];
  const ran = toRun.length > 0 ? await runTeams(env, spec, tick, toRun) : { stageMs: {}, teamsRun: 0, recorded: [] };
  const stageMs: StageTimings = ran.stageMs;
  await env.pause('after-runs', spec.minute);

  const ordersStarted = performance.now();
  await recordOrders(
    env,
    spec.minute,
    ran.recorded,
    ids.filter((id) => done.has(id)),
  );
  await env.pause('after-intents', spec.minute);
  const submitStarted = performance.now();
  if (halts.competition === null) await submitPass(env, spec, new Set(ids.filter((id) => !halts.teams.has(id))));
  stageMs.submit = elapsed(submitStarted);
  stageMs.orders = roundMs((stageMs.orders ?? 0) + elapsed(ordersStarted));
  await upsertShard(env.pg, { minute: spec.minute, shard: spec.shard, worker: env.workerId, teams: mine.length, teamsRun: ran.teamsRun, stageMs });
  return { minute: spec.minute, shard: spec.shard, teams: mine.length, teamsRun: ran.teamsRun, stageMs };
}

/** Stage 3 and the decision half of stage 4 for the teams still to run. */
async function runTeams(
  env: TickEnvironment,
  spec: ShardJobSpec,
  tick: TickRecord,
  toRun: readonly DueTeam[],
): Promise<{ stageMs: StageTimings; teamsRun: number; recorded: Recorded[] }> {
  const competition = env.competition();
  const runIds = toRun.map((team) => team.teamId);
  const [overrides, books, open, risks] = await Promise.all([teamOverrides(env.pg, runIds), env.ledger.loadBooks(), env.ledger.openOrders(), loadRiskStates(env.pg, runIds)]);
  const prices = moneyPrices(tick.prices);
  const teams = teamMinutes(runIds, books, open, prices, competition.marketBuyBufferBps);
  const specs = teamSpecs(env, toRun, teams, overrides);
  const shardPool = await env.pools.get(spec.shard, spec.shards);
  const states = new Map([...teams].map(([teamId, team]) => [teamId, team.view]));
  const outcome = await shardPool.run(spec.minute, decodeBars(spec.minute, tick.bars), tick.prices, specs, states);
  const stageMs: StageTimings = { load: roundMs(outcome.loadMs), strategies: roundMs(outcome.runMs) };

  const ordersStarted = performance.now();
  const decided = decideTeams(teams, outcome.results, {
    minute: spec.minute,
    universe: new Set(competition.universe),
    prices,
    marketBuyBufferBps: competition.marketBuyBufferBps,
    limitsOf: (teamId) => riskLimitsFrom({ ...competition.risk, ...overrides.get(teamId)?.risk }),
    riskOf: (teamId) => risks.get(teamId),
  });
  const { stored, recorded } = await storeRuns(env, spec, runRecords(env, spec, specs, decided, risks), outcome);
  forgetUnstored(shardPool, decided, stored);
  stageMs.orders = elapsed(ordersStarted);
  return { stageMs, teamsRun: stored.size, recorded };
}

/** The sandbox settings of each team to run: the competition's, overridden per team. */
function teamSpecs(env: TickEnvironment, toRun: readonly DueTeam[], teams: ReadonlyMap<string, TeamMinute>, overrides: ReadonlyMap<string, TeamOverrides>): TeamSpec[] {
  const competition = env.competition();
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
  return specs;
}

/** Most minutes leave a team's risk state as it was (it moves with trades and the day): those are not written again. */
const sameRisk = (a: RiskState, b: RiskState | undefined): boolean =>
  b !== undefined &&
  a.day === b.day &&
  a.startOfDayEquity === b.startOfDayEquity &&
  a.tradesToday === b.tradesToday &&
  a.haltedForDay === b.haltedForDay &&
  a.killSwitch === b.killSwitch;

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function runRecords(env: TickEnvironment, spec: ShardJobSpec, specs: readonly TeamSpec[], decided: readonly TeamOutcome[], risks: ReadonlyMap<string, RiskState>): RunWithState[] {
  const versionOf = new Map(specs.map((team) => [team.teamId, team.versionId]));
  return decided.map(({ teamId, result, decision }) => {
    const memory = result.memory ?? {};
    return {
      run: {
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
      },
      memory: isPlainObject(memory) ? memory : null,
      risk: sameRisk(decision.risk, risks.get(teamId)) ? null : decision.risk,
    };
  });
}

/**
 * Teams per transaction when a shard's runs are stored: a shard's runs are split into transactions of at
 * least this many teams that run at once on their own connections, so Postgres stores them on several
 * cores while this process waits (one transaction of 1,000 runs was the largest statement of a minute).
 */
const RUNS_PER_STORE = 400;
/** At most this many of those transactions at once (the machine has few cores, and other jobs need connections). */
const MAX_CONCURRENT_STORES = 2;

/**
 * The runs (first writer wins) with their memory, risk state and the orders of their intents, each team's
 * in one transaction: no stored intent is ever left without its order (a Postgres outage between the two
 * once failed the minute with its intents unrecorded). Large shards are stored in a few transactions at
 * once, by team; if one fails, the runs of the others stay stored, as those of an earlier attempt do: the
 * retry runs only the teams without a stored run (tests/integration/tick/storeParts.test.ts).
 */
async function storeRuns(
  env: TickEnvironment,
  spec: ShardJobSpec,
  entries: readonly RunWithState[],
  outcome: ShardRunOutcome,
): Promise<{ stored: Set<string>; recorded: Recorded[] }> {
  const parts = storeParts(entries, env.runsPerStore ?? RUNS_PER_STORE);
  // Every part settles before a failure is thrown, so a retry never overlaps a part still committing.
  const settled = await Promise.allSettled(parts.map((part) => storeRunsOnce(env, spec, part, outcome)));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  const results = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  return { stored: new Set(results.flatMap(({ stored }) => [...stored])), recorded: results.flatMap(({ recorded }) => recorded) };
}

/** The entries split into up to MAX_CONCURRENT_STORES parts of at least `perPart` teams each. */
function storeParts(entries: readonly RunWithState[], perPart: number): Array<readonly RunWithState[]> {
  const count = Math.max(1, Math.min(MAX_CONCURRENT_STORES, Math.floor(entries.length / perPart)));
  const size = Math.ceil(entries.length / count);
  return Array.from({ length: count }, (_, part) => entries.slice(part * size, (part + 1) * size));
}

async function storeRunsOnce(
  env: TickEnvironment,
  spec: ShardJobSpec,
  entries: readonly RunWithState[],
  outcome: ShardRunOutcome,
): Promise<{ stored: Set<string>; recorded: Recorded[] }> {
  const recorded: Recorded[] = [];
  const stored = await inTransaction(env.pg, async (client: pg.PoolClient) => {
    recorded.length = 0;
    const inserted = await insertRunsWithState(client, spec.minute, entries);
    const intents = entries.filter(({ run }) => inserted.has(run.teamId)).flatMap(({ run }) => run.intents);
    if (intents.length > 0) recorded.push(...(await env.ledger.recordIntentsIn(client, intents)).map((entry) => ({ entry, intents })));
    await recordLoads(client, spec.minute, outcome.loaded, inserted);
    return inserted;
  });
  return { stored, recorded };
}

/** A team another job stored first: its isolate ran a minute whose run is not the stored one, so it reloads next time. */
function forgetUnstored(shardPool: ShardPool, decided: readonly TeamOutcome[], stored: ReadonlySet<string>): void {
  for (const { teamId } of decided) if (!stored.has(teamId)) shardPool.forget(teamId);
}

/**
 * The orders of runs stored by an earlier attempt of this minute (before their orders were recorded
 * with them; idempotent by client order id), and the minute's refused or conflicting intents as tick errors.
 */
async function recordOrders(env: TickEnvironment, minute: number, recordedWithRuns: readonly Recorded[], earlierTeams: readonly string[]): Promise<void> {
  const earlier = earlierTeams.length === 0 ? [] : await selectRunIntents(env.pg, minute, earlierTeams);
  const recorded = [...recordedWithRuns, ...(earlier.length > 0 ? (await env.ledger.recordIntents(earlier)).map((entry) => ({ entry, intents: earlier })) : [])];
  const problems = recorded.filter(({ entry }) => entry.outcome === 'conflict' || entry.outcome === 'refused');
  if (problems.length === 0) return;
  await appendTickErrors(
    env.pg,
    minute,
    problems.map(({ entry, intents }) => ({
      stage: 'orders',
      teamId: intents.find((intent) => intent.clientOrderId === entry.clientOrderId)?.teamId,
      message: `${entry.clientOrderId} ${entry.outcome}: ${entry.reason ?? ''}`,
    })),
  );
}
