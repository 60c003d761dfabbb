/**
 * The minute tick (DESIGN.md "The minute tick"), split the way BullMQ runs it: per minute one flow whose
 * children are shards of the teams and whose parent writes the books. One module per stage:
 *
 *   prepare (prepareStage.ts; first shard to arrive, under a per-minute advisory lock; everyone else reuses it)
 *     1. bars   — the minute's snapshot from the market source, stored once with its hash and the
 *                 carried-forward prices: every team, in every shard and every attempt, sees exactly it
 *     2. fills  — the simulated broker fills orders from earlier minutes on these bars (deterministic
 *                 execution ids, applied once by the ledger); with a streaming broker fills arrive on
 *                 their own and this stage only waits for what was received to be recorded
 *   shard k (shardStage.ts; any worker)
 *     3. strategies — the shard's teams run in a warm sandbox pool
 *     4. orders     — validation → risk → the decision stored with the run, memory, risk state and the
 *                     orders of its intents (`recordIntentsIn`: durable, reserved) in one transaction → the router submits
 *   books (booksStage.ts; parent, after every shard)
 *     5. books  — leftover submissions, mark-to-market snapshot of every team, leaderboard, activity events,
 *                 the tick row completed with its per-stage timings
 *
 * Exactly once: a team's run of a minute is stored once (first writer wins) together with its memory
 * and risk state, and its orders are made from the stored run, never from a second run; intents and
 * fills are idempotent in the ledger; snapshots are first-write-wins per (team, minute). So a retried,
 * stalled, duplicated or killed job redoes only what is missing.
 */
import { runBooks } from './booksStage.ts';
import { ensurePrepared } from './prepareStage.ts';
import { TICK_JOB_ATTEMPTS } from './queue.ts';
import { runShard, type ShardJobSpec } from './shardStage.ts';
import { submitPass } from './submitPass.ts';
import { errorText, markFailedUntilRecorded } from './tickMarks.ts';
import type { TickEnvironment, TickJobSpec } from './tickTypes.ts';

export type { BooksOutcome, CompetitionSettings, ShardOutcome, TickEnvironment, TickExecution, TickJobSpec } from './tickTypes.ts';
export { tickNow } from './tickTypes.ts';

export function createTickRunner(env: TickEnvironment) {
  /**
   * A job's last attempt failed: BullMQ gives up on the minute, and worker.ts records that only once, which
   * fails while Postgres is down. So the minute is also marked here, retried until Postgres answers.
   */
  function markedOnLastFailure<T>(spec: TickJobSpec, job: string, work: Promise<T>): Promise<T> {
    return work.catch((error: unknown) => {
      if (spec.attempt >= TICK_JOB_ATTEMPTS) {
        const message = `${job} failed after ${String(spec.attempt)} attempts: ${errorText(error)}`;
        markFailedUntilRecorded(env.pg, { minute: spec.minute, shards: spec.shards, clock: spec.clock, attempts: spec.attempt }, { stage: 'job', message }, env.log);
      }
      throw error;
    });
  }

  return {
    ensurePrepared: (spec: TickJobSpec) => ensurePrepared(env, spec),
    runShard: (spec: ShardJobSpec) => markedOnLastFailure(spec, `shard ${String(spec.shard)}`, runShard(env, spec)),
    books: (spec: TickJobSpec) => markedOnLastFailure(spec, 'books', runBooks(env, spec)),
    submit: (spec: TickJobSpec, teamIds: ReadonlySet<string> | null) => submitPass(env, spec, teamIds),
  };
}

export type TickRunner = ReturnType<typeof createTickRunner>;
