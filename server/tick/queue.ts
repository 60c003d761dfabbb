/**
 * The BullMQ shape of a minute: one flow per minute, de-duplicated by job ids derived from it. The
 * parent `books` job (`tick-<yyyyMMddHHmm>`) waits for one `shard` child per share of the teams
 * (`tick-<yyyyMMddHHmm>-s<k>of<n>`); adding a minute that exists (in any state) adds nothing.
 */
import type { FlowJob, JobsOptions } from 'bullmq';
import { shardJobId, tickJobId } from './minuteId.ts';
import type { TickClock } from './tickStore.ts';

export const TICK_QUEUE = 'ticks';

export interface ShardJobData {
  minute: number;
  shard: number;
  shards: number;
  clock: TickClock;
  /** Times a worker handed the job back to the shard's owner (server/tick/shardAffinity.ts); absent: none. */
  handovers?: number;
}

export interface BooksJobData {
  minute: number;
  shards: number;
  clock: TickClock;
}

/** Attempts of every tick job: the runner marks the minute failed when the last one fails (server/tick/tickMarks.ts). */
export const TICK_JOB_ATTEMPTS = 5;

/** Retries with back-off; finished jobs are kept a day so a re-added minute stays a duplicate. */
const COMMON: JobsOptions = {
  attempts: TICK_JOB_ATTEMPTS,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 24 * 3600, count: 5_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export function tickFlow(minute: number, shards: number, clock: TickClock): FlowJob {
  const books: BooksJobData = { minute, shards, clock };
  return {
    name: 'books',
    queueName: TICK_QUEUE,
    data: books,
    opts: { ...COMMON, jobId: tickJobId(minute) },
    children: Array.from({ length: shards }, (_, shard) => {
      const data: ShardJobData = { minute, shard, shards, clock };
      return {
        name: 'shard',
        queueName: TICK_QUEUE,
        data,
        // A shard that fails for good fails its minute (the parent), so the scheduler learns of it.
        opts: { ...COMMON, jobId: shardJobId(minute, shard, shards), failParentOnFailure: true },
      };
    }),
  };
}
