// Shared by the outage tests with real worker processes: a season played as the scheduler plays it
// (minute M+1 added once M is final; adding waits while Redis is down and is tried again when it fails,
// reading waits while Postgres is down), and the checks that nothing was lost: every minute final,
// every stored intent an order that left pending_submit, every book equal to its fills.
import { expect } from 'vitest';
import { auditBooks } from '../../../server/ledger/audit.ts';
import { selectTick, type TickRecord } from '../../../server/tick/tickStore.ts';
import { enqueueMinute, minuteAt, teamTruth, type TickFixture, type WorkerProcess } from '../tick/support.ts';

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface Season {
  /** Each minute's final record, in order, as it ends. */
  finals: Map<number, TickRecord>;
  done: Promise<void>;
  /**
   * Resolves once `count` minutes are final and the next one has started (its row is `running`), or
   * shortly after if it was too quick to be seen: the moment to cut a service "in the middle of ticks".
   */
  midMinuteAfter(count: number): Promise<void>;
}

export function playSeason(fixture: TickFixture, minutes: number, shards = 2): Season {
  const finals = new Map<number, TickRecord>();
  const done = (async () => {
    for (let index = 0; index < minutes; index++) {
      const minute = minuteAt(index);
      // As the scheduler does, a failed add is tried again a second later (a duplicate adds nothing): a
      // connection cut while the flow's pipeline is half sent rejects it ("Command aborted due to
      // connection close") rather than queueing it for the reconnect.
      await until(`minute ${String(index)} added`, () => enqueueMinute(fixture, minute, shards).then(() => true), 150_000, 1_000);
      finals.set(
        minute,
        await until(
          `minute ${String(index)} final`,
          async () => {
            const tick = await selectTick(fixture.pool, minute);
            return tick !== null && tick.status !== 'running' ? tick : undefined;
          },
          150_000,
        ),
      );
    }
  })();
  done.catch(() => undefined);
  return {
    finals,
    done,
    midMinuteAfter: async (count) => {
      await until(`${String(count)} minutes final`, () => Promise.resolve(finals.size >= count ? true : undefined), 120_000);
      await until(`minute ${String(count)} running`, async () => ((await selectTick(fixture.pool, minuteAt(count)))?.status === 'running' ? true : undefined), 3_000, 5).catch(
        () => undefined,
      );
    },
  };
}

export function expectAlive(workers: readonly WorkerProcess[]): void {
  for (const worker of workers) {
    expect(worker.child.exitCode, worker.output()).toBeNull();
    expect(worker.child.signalCode, worker.output()).toBeNull();
  }
}

/** Every minute final (completed, or failed with its reason), the season trading again at the end, nothing lost. */
export async function expectNothingLost(fixture: TickFixture, season: Season, options: { minutes: number; cleanBefore: number; startingCash?: number }): Promise<void> {
  const ticks = [...season.finals.values()];
  expect(ticks).toHaveLength(options.minutes);
  for (const tick of ticks) {
    expect(['completed', 'failed']).toContain(tick.status);
    if (tick.status === 'failed') expect(tick.errors.length, JSON.stringify(tick)).toBeGreaterThan(0);
  }
  const statuses = ticks.map((tick) => tick.status);
  expect(statuses.slice(0, options.cleanBefore)).toEqual(Array(options.cleanBefore).fill('completed'));
  expect(statuses.at(-1)).toBe('completed');

  // Every stored intent became an order, and none is left waiting to be sent.
  const orphans = await fixture.pool.query<{ client_order_id: string }>(
    `SELECT intent->>'clientOrderId' AS client_order_id
     FROM tick_team_runs r CROSS JOIN LATERAL jsonb_array_elements(r.intents) AS intent
     WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.client_order_id = intent->>'clientOrderId')`,
  );
  expect(orphans.rows).toEqual([]);
  const intents = await fixture.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tick_team_runs r CROSS JOIN LATERAL jsonb_array_elements(r.intents)');
  expect(intents.rows[0]!.n).toBeGreaterThan(0);
  const waiting = await fixture.pool.query<{ client_order_id: string; status: string }>("SELECT client_order_id, status FROM orders WHERE status = 'pending_submit'");
  expect(waiting.rows).toEqual([]);

  // Books equal fills.
  expect(await auditBooks(fixture.pool)).toEqual([]);
  for (const teamId of fixture.teamIds) {
    const truth = await teamTruth(fixture.pool, teamId, options.startingCash ?? 100_000);
    expect(truth.book.cash).toBe(truth.fromFills.cash);
    expect(truth.book.positions).toEqual(truth.fromFills.positions);
  }
}
