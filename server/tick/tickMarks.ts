/**
 * Marks for minutes that will not complete, so that after an outage every minute is either completed or
 * `failed` with its reason. Without them a Postgres outage leaves minutes unmarked: the last attempt of a
 * job fails because Postgres is down, so recording the failure fails too, and the minute stays `running`
 * forever (or has no row at all when its bars were never stored).
 *
 *  - `markFailedUntilRecorded`: the runner's mark after a job's last attempt, retried until Postgres answers;
 *  - `failOrphanedTicks`: for a process that died holding such a retry, run when a later minute starts.
 */
import type { Logger } from 'pino';
import { query } from '../../data/postgres/query.ts';
import { type Queryable } from '../../data/postgres/transaction.ts';
import type { PgPool } from '../../data/postgres/pool.ts';
import { barsHash } from './barsSnapshot.ts';
import type { TickClock, TickError } from './tickStore.ts';

export interface FailedMinute {
  minute: number;
  shards: number;
  clock: TickClock;
  attempts: number;
}

/** `source` of a row stored only to mark a minute whose bars never were. */
export const NO_BARS_SOURCE = 'none';

/**
 * Marks the minute failed with `error`: its `running` row, or, when it has none, a new `failed` row without
 * bars that carries the previous minute's prices forward (later minutes read their prices from the row
 * before them). A completed or already failed minute is left as it is.
 */
export async function markTickFailed(db: Queryable, tick: FailedMinute, error: TickError): Promise<void> {
  await query(
    db,
    `INSERT INTO ticks (minute, status, attempts, shards, clock, source, bar_hash, bars, prices, teams, errors, completed_at)
     VALUES ($1, 'failed', $2, $3, $4, $5, $6, '{}'::jsonb,
       COALESCE((SELECT prices FROM ticks WHERE minute < $1 ORDER BY minute DESC LIMIT 1), '{}'::jsonb), '[]'::jsonb, $7::jsonb, now())
     ON CONFLICT (minute) DO UPDATE SET status = 'failed', attempts = GREATEST(ticks.attempts, EXCLUDED.attempts),
       errors = ticks.errors || EXCLUDED.errors, completed_at = now()
     WHERE ticks.status = 'running'`,
    [new Date(tick.minute), tick.attempts, tick.shards, tick.clock, NO_BARS_SOURCE, barsHash(tick.minute, {}), JSON.stringify([error])],
  );
}

/**
 * `markTickFailed`, retried with capped back-off until Postgres answers (the failure usually *is* Postgres
 * being down). Runs in the background; its timer does not keep the process alive, and it gives up when
 * the pool is closed (shutdown): the orphan sweep marks the minute later.
 */
export function markFailedUntilRecorded(pool: PgPool, tick: FailedMinute, error: TickError, log: Pick<Logger, 'info' | 'warn'>): void {
  const minute = new Date(tick.minute).toISOString();
  let delayMs = 500;
  let tries = 0;
  const attempt = async (): Promise<void> => {
    tries += 1;
    try {
      await markTickFailed(pool, tick, error);
      log.info({ minute, tries, reason: error.message }, 'minute marked failed');
    } catch (failure) {
      if (pool.ending) return;
      if (tries === 1) log.warn({ err: failure, minute }, 'could not mark the failed minute yet; retrying until Postgres answers');
      delayMs = Math.min(delayMs * 2, 5_000);
      setTimeout(() => void attempt(), delayMs).unref();
    }
  };
  void attempt();
}

/** A `running` minute older than this, before a minute that starts, has no live job (well beyond any lock time). */
export const ORPHAN_AFTER_MS = 5 * 60_000;

/**
 * Marks failed every minute before `minute` still `running` and started more than `ORPHAN_AFTER_MS` ago.
 * The scheduler adds a minute only after the previous one's flow ended (completed or failed for good), so
 * when a new minute starts, such a row is one whose failure was never recorded (the process retrying
 * the mark died). Returns the minutes marked.
 */
export async function failOrphanedTicks(db: Queryable, minute: number): Promise<number[]> {
  const error: TickError = {
    stage: 'job',
    message: `left running with no live job (its failure was never recorded, e.g. while Postgres was down); marked failed when ${new Date(minute).toISOString()} started`,
  };
  const rows = await query<{ minute: Date }>(
    db,
    `UPDATE ticks SET status = 'failed', errors = errors || $2::jsonb, completed_at = now()
     WHERE status = 'running' AND minute < $1 AND started_at < now() - make_interval(secs => $3)
     RETURNING minute`,
    [new Date(minute), JSON.stringify([error]), ORPHAN_AFTER_MS / 1000],
  );
  return rows.map((row) => row.minute.getTime());
}

/** An error's message for a tick row (pg reports a refused dual-stack connect as an AggregateError without one). */
export function errorText(error: unknown): string {
  const e = error as { message?: string; code?: string; errors?: Array<{ message: string }> };
  return e.message || e.errors?.map((inner) => inner.message).join(', ') || e.code || String(error);
}
