/**
 * Stage 5 of a minute, after every shard: leftover submissions, the mark-to-market snapshot of every
 * team, the leaderboard advanced from it, the activity events, and the tick row completed with its
 * per-stage timings.
 */
import { publishActivities } from '../live/activity.ts';
import { moneyPrices } from '../engine/prices.ts';
import { activityEvents } from './activityEvents.ts';
import { ensurePrepared } from './prepareStage.ts';
import { submitPass } from './submitPass.ts';
import { appendTickErrors, completeTick, markEventsPublished, selectRunEvents, selectShards, type ShardRecord, type StageTimings } from './tickStore.ts';
import { elapsed, type BooksOutcome, type TickEnvironment, type TickJobSpec } from './tickTypes.ts';

export async function runBooks(env: TickEnvironment, spec: TickJobSpec): Promise<BooksOutcome> {
  const tick = await ensurePrepared(env, spec);
  await env.pause('before-books', spec.minute);
  const started = performance.now();
  const halts = await env.readHalts();
  if (halts.competition === null) await submitPass(env, spec, null);
  const snapshotStarted = performance.now();
  const snapshots = await env.ledger.snapshotEquity(spec.minute, moneyPrices(tick.prices).record());
  const snapshotMs = elapsed(snapshotStarted);
  const leaderboardStarted = performance.now();
  let leaderboardMs = 0;
  // The reads the events need do not depend on the leaderboard: they run on other connections meanwhile.
  const [runs, shards] = await Promise.all([
    selectRunEvents(env.pg, spec.minute),
    selectShards(env.pg, spec.minute),
    publishLeaderboard(env, spec.minute, snapshots).then(() => {
      leaderboardMs = elapsed(leaderboardStarted);
    }),
  ]);
  const stageMs: StageTimings = { ...shardStages(shards), snapshot: snapshotMs, leaderboard: leaderboardMs, books: elapsed(started) };
  stageMs.total = Math.max(0, Date.now() - tick.startedAt);
  if (!tick.eventsPublished) {
    const events = await activityEvents(env.pg, tick, runs, { ...tick.stageMs, ...stageMs });
    await publishActivities(env.redis, events, ...(env.activityStream === undefined ? [] : [env.activityStream]));
    await markEventsPublished(env.pg, spec.minute);
  }
  stageMs.books = elapsed(started);
  stageMs.total = Math.max(0, Date.now() - tick.startedAt);
  await completeTick(env.pg, spec.minute, runs.teamsRun, stageMs);
  return { minute: spec.minute, teamsRun: runs.teamsRun, stageMs: { ...tick.stageMs, ...stageMs }, snapshots: snapshots.length };
}

/** The leaderboard as of the minute; snapshots its metrics could not take become tick errors. */
async function publishLeaderboard(env: TickEnvironment, minute: number, snapshots: Parameters<TickEnvironment['publishLeaderboard']>[1]): Promise<void> {
  const problems = await env.publishLeaderboard(minute, snapshots);
  if (problems.length === 0) return;
  await appendTickErrors(
    env.pg,
    minute,
    problems.map((problem) => ({ stage: 'books', teamId: problem.teamId, message: `leaderboard: ${problem.message}` })),
  );
}

/** A stage run by every shard takes as long as its slowest shard. */
function shardStages(shards: readonly ShardRecord[]): StageTimings {
  const maxOf = (stage: 'load' | 'strategies' | 'orders' | 'submit'): number => Math.max(0, ...shards.map((shard) => shard.stageMs[stage] ?? 0));
  return { load: maxOf('load'), strategies: maxOf('strategies'), orders: maxOf('orders'), submit: maxOf('submit') };
}
