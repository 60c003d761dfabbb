/**
 * Stages 1 and 2 of a minute (bars, fills), once per minute whichever worker gets there first: under a
 * per-minute advisory lock, so the first shard job prepares and every other one reuses what it stored.
 */
import type pg from 'pg';
import type { Bar } from '../../data/market/bar.ts';
import { fillsStage } from '../engine/fillsStage.ts';
import { barsHash, carryPrices, decodeBars, encodeBars } from './barsSnapshot.ts';
import { failOrphanedTicks } from './tickMarks.ts';
import { appendTickErrors, dueTeams, insertTick, markPrepared, pricesBefore, raiseAttempts, selectTick, type TickError, type TickRecord } from './tickStore.ts';
import { elapsed, MINUTE_MS, type TickEnvironment, type TickJobSpec } from './tickTypes.ts';

// Advisory lock namespace of a minute's preparation (any constant distinct from the project's other locks).
const PREPARE_LOCK = 0x71_74_63_05;

/** The minute's tick row, prepared (bars stored, fills applied) by this call or an earlier one. */
export async function ensurePrepared(env: TickEnvironment, spec: TickJobSpec): Promise<TickRecord> {
  const known = await selectTick(env.pg, spec.minute);
  if (known?.preparedAt != null) {
    if (spec.attempt > known.attempts) await raiseAttempts(env.pg, spec.minute, spec.attempt);
    return known;
  }
  return withPrepareLock(env, spec.minute, async (client) => {
    let tick = await selectTick(client, spec.minute);
    if (tick === null) tick = await prepareBars(env, client, spec);
    else if (spec.attempt > tick.attempts) await raiseAttempts(client, spec.minute, spec.attempt);
    return tick.preparedAt === null ? prepareFills(env, client, spec.minute, tick) : tick;
  });
}

async function withPrepareLock<T>(env: TickEnvironment, minute: number, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await env.pg.connect();
  const key = Math.floor(minute / MINUTE_MS) % 2_147_483_647;
  let unlockFailed: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [PREPARE_LOCK, key]);
    try {
      return await work(client);
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

/** Stage 1: the minute's bars from the source, stored once with their hash, the carried prices and the due teams. */
async function prepareBars(env: TickEnvironment, client: pg.PoolClient, spec: TickJobSpec): Promise<TickRecord> {
  const competition = env.competition();
  const started = performance.now();
  const snapshot = await env.market.barsForMinute(spec.minute, competition.universe);
  const bars = encodeBars(snapshot.bars);
  const teams = await dueTeams(client);
  await env.ledger.openMissingBooks(
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
  const tick = (await selectTick(client, spec.minute))!;
  const orphans = await failOrphanedTicks(client, spec.minute);
  if (orphans.length > 0) env.log.warn({ minutes: orphans.map((minute) => new Date(minute).toISOString()) }, 'marked failed minutes left running with no live job');
  return tick;
}

/** Stage 2: earlier minutes' orders fill on the stored bars; the minute is marked prepared only after. */
async function prepareFills(env: TickEnvironment, client: pg.PoolClient, minute: number, tick: TickRecord): Promise<TickRecord> {
  const started = performance.now();
  const { applied, errors } = await applyFills(env, minute, decodeBars(minute, tick.bars));
  await appendTickErrors(client, minute, errors);
  await env.pause('after-fills', minute);
  await markPrepared(client, minute, applied, elapsed(started));
  return (await selectTick(client, minute))!;
}

async function applyFills(env: TickEnvironment, minute: number, bars: ReadonlyMap<string, Bar>): Promise<{ applied: number; errors: TickError[] }> {
  const outcome = await fillsStage(env.execution, minute, bars);
  return { applied: outcome.applied, errors: outcome.problems.map((problem) => ({ stage: 'fills', teamId: problem.teamId ?? undefined, message: problem.message })) };
}
