import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger } from '../../../server/ledger/ledger.ts';
import { minuteStamp } from '../../../server/tick/minuteId.ts';
import { selectRuns } from '../../../server/tick/tickStore.ts';
import { createTickFixture, enqueueMinute, minuteAt, stopWorkerProcess, teamTruth, waitForTick, workerProcesses, type TickFixture, type WorkerProcess } from './support.ts';

/**
 * Real `qtc worker` processes killed with SIGKILL in the middle of a minute: after the orders are durable
 * but before they are submitted; after the fills of a minute are applied but before the minute is marked
 * prepared; after the strategies' runs are stored but before their orders reach the ledger. The next worker takes the stalled job over and completes the minute: no
 * order twice, no fill lost or applied twice, books equal to what the fills say, each strategy run
 * once per minute.
 */

const TEAMS = ['alpha', 'beta', 'gamma'];
let fixture: TickFixture;
const workers = workerProcesses(() => fixture);

beforeAll(async () => {
  fixture = await createTickFixture({ teams: TEAMS });
}, 60_000);

afterAll(() => workers.closeAll());

async function kill(process_: WorkerProcess): Promise<void> {
  process_.child.kill('SIGKILL');
  await process_.exit;
}

describe('a worker killed in the middle of a tick', { timeout: 180_000 }, () => {
  it('leaves the minute to the next worker, which completes it without a duplicate order or a lost fill', async () => {
    // Worker A: minute 0 completes; minute 1 stops after its intents are durable, before submission.
    const a = workers.start({ QTC_TICK_PAUSE_AT: `after-intents@${minuteStamp(minuteAt(1))}` });
    await a.waitFor('tick worker ready');
    await enqueueMinute(fixture, minuteAt(0));
    expect((await waitForTick(fixture.pool, minuteAt(0))).status).toBe('completed');
    await enqueueMinute(fixture, minuteAt(1));
    await a.waitFor(`qtc-tick-paused after-intents ${minuteStamp(minuteAt(1))}`);
    const pending = await fixture.pool.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM orders WHERE minute = $1 GROUP BY status`, [
      new Date(minuteAt(1)),
    ]);
    expect(pending.rows).toEqual([{ status: 'pending_submit', n: TEAMS.length }]);
    await kill(a);

    // Worker B takes minute 1 over (stalled job), then stops inside minute 2 after its fills are applied.
    const b = workers.start({ QTC_TICK_PAUSE_AT: `after-fills@${minuteStamp(minuteAt(2))}` });
    const tick1 = await waitForTick(fixture.pool, minuteAt(1));
    expect(tick1.status, JSON.stringify(tick1.errors)).toBe('completed');
    expect(tick1.attempts).toBeGreaterThanOrEqual(2);
    await enqueueMinute(fixture, minuteAt(2));
    await b.waitFor(`qtc-tick-paused after-fills ${minuteStamp(minuteAt(2))}`);
    const fillsSoFar = await fixture.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM fills');
    expect(fillsSoFar.rows[0]?.n).toBe(2 * TEAMS.length); // minute 0's buys (at minute 1) and minute 1's sells (at minute 2)
    const prepared = await fixture.pool.query<{ prepared_at: Date | null }>('SELECT prepared_at FROM ticks WHERE minute = $1', [new Date(minuteAt(2))]);
    expect(prepared.rows[0]?.prepared_at).toBeNull();
    await kill(b);

    // Worker C completes minute 2, then stops inside minute 3 after the runs are stored: their intents' orders
    // were recorded in the same transaction, so none is left without its order (none sent yet).
    const c = workers.start({ QTC_TICK_PAUSE_AT: `after-runs@${minuteStamp(minuteAt(3))}` });
    const tick2 = await waitForTick(fixture.pool, minuteAt(2));
    expect(tick2.status, JSON.stringify(tick2.errors)).toBe('completed');
    await enqueueMinute(fixture, minuteAt(3));
    await c.waitFor(`qtc-tick-paused after-runs ${minuteStamp(minuteAt(3))}`);
    const ordersOf3 = await fixture.pool.query<{ n: number; pending: number }>(
      "SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'pending_submit')::int AS pending FROM orders WHERE minute = $1",
      [new Date(minuteAt(3))],
    );
    const intentsOf3 = await fixture.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM tick_team_runs r CROSS JOIN LATERAL jsonb_array_elements(r.intents) WHERE r.minute = $1',
      [new Date(minuteAt(3))],
    );
    expect(intentsOf3.rows[0]?.n).toBeGreaterThan(0);
    expect(ordersOf3.rows[0]).toEqual({ n: intentsOf3.rows[0]?.n, pending: intentsOf3.rows[0]?.n });
    await kill(c);

    // Worker D sends the orders of minute 3 (the strategies do not run again, no order is recorded twice).
    const d = workers.start();
    expect((await waitForTick(fixture.pool, minuteAt(3))).status).toBe('completed');

    for (const teamId of TEAMS) {
      const truth = await teamTruth(fixture.pool, teamId, 100_000);
      expect(truth.orders.map((o) => [o.clientOrderId, o.side, o.quantity, o.status])).toEqual([
        [`t-${teamId}-${minuteStamp(minuteAt(0))}-1`, 'buy', 2, 'filled'],
        [`t-${teamId}-${minuteStamp(minuteAt(1))}-1`, 'sell', 1, 'filled'],
        [`t-${teamId}-${minuteStamp(minuteAt(2))}-1`, 'buy', 2, 'filled'],
        [`t-${teamId}-${minuteStamp(minuteAt(3))}-1`, 'sell', 1, 'accepted'],
      ]);
      // One execution per filled order, none lost, none applied twice.
      expect(truth.fills.map((f) => f.clientOrderId)).toEqual(truth.orders.filter((o) => o.status === 'filled').map((o) => o.clientOrderId));
      expect(truth.book.cash).toBe(truth.fromFills.cash);
      expect(truth.book.positions).toEqual(truth.fromFills.positions);
      expect(truth.book.positions).toEqual({ SPY: 3 });
      // Each minute ran once for the strategy: its memory counts four calls, one per minute, in order.
      expect(truth.memory).toMatchObject({ calls: 4, minutes: [minuteAt(0), minuteAt(1), minuteAt(2), minuteAt(3)] });
    }
    expect(await createLedger(fixture.pool).auditBooks()).toEqual([]);
    for (let index = 0; index < 4; index++) expect(await selectRuns(fixture.pool, minuteAt(index))).toHaveLength(TEAMS.length);
    const snapshots = await fixture.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM equity_snapshots');
    expect(snapshots.rows[0]?.n).toBe(4 * TEAMS.length);
    await stopWorkerProcess(d);
  });
});
