import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketSimulator } from '../../../data/market/simulator.ts';
import { createLedger } from '../../../server/ledger/ledger.ts';
import type { RedisClient } from '../../../data/redis/client.ts';
import { decodeStreamEntry } from '../../../server/live/activity.ts';
import { barsHash, encodeBars } from '../../../server/tick/barsSnapshot.ts';
import { recentTeamRuns, recentTicks, selectRuns, selectShards } from '../../../server/tick/tickStore.ts';
import type { RunningWorker } from '../../../server/worker/worker.ts';
import { enqueueMinute, expectFourTraderMinutes, expectMinutesCompleted, minuteAt, startTickWorld, teamTruth, waitForTick, type TickFixture, type TickWorld } from './support.ts';

/** The whole minute pipeline in one worker: bars, fills first, strategies, orders, books, events. */

let world: TickWorld | undefined;
let fixture: TickFixture;
let redis: RedisClient;
let worker: RunningWorker;
const TEAMS = ['alpha', 'beta'];

beforeAll(async () => {
  world = await startTickWorld({ teams: TEAMS });
  ({ fixture, redis, worker } = world);
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe('the minute tick', () => {
  it('runs four minutes: fills on the next bar, books equal to the fills, one run per team and minute, events published', async () => {
    for (const tick of await expectMinutesCompleted(fixture, 4)) {
      expect(Object.keys(tick.stageMs).sort()).toEqual(['bars', 'books', 'fills', 'leaderboard', 'load', 'orders', 'snapshot', 'strategies', 'submit', 'total']);
    }

    // Every team saw the simulator's snapshot, and its hash is the one stored.
    const simulator = new MarketSimulator({ seed: 7 });
    const expected = encodeBars((await simulator.barsForMinute(minuteAt(2), ['SPY', 'QQQ'])).bars);
    const tick2 = await waitForTick(fixture.pool, minuteAt(2));
    expect(tick2.bars).toEqual(expected);
    expect(tick2.barHash).toBe(barsHash(minuteAt(2), expected));

    for (const teamId of TEAMS) await expectFourTraderMinutes(fixture.pool, teamId);
    expect(await createLedger(fixture.pool).auditBooks()).toEqual([]);

    // A fill happens at the next bar's open (no look-ahead).
    const spyAt1 = (await simulator.barsForMinute(minuteAt(1), ['SPY'])).bars.get('SPY')!;
    const alpha = await teamTruth(fixture.pool, 'alpha', 100_000);
    expect(Number(alpha.fills[0]!.price)).toBeCloseTo(spyAt1.open, 4);

    const entries = await redis.xrange(`${fixture.redisPrefix}:activity`, '-', '+');
    const events = entries.map((entry) => decodeStreamEntry(entry)?.event);
    expect(events.filter((event) => event?.type === 'tick')).toHaveLength(4);
    expect(events.filter((event) => event?.type === 'trade')).toHaveLength(6);
    expect(events.filter((event) => event?.type === 'leaderboard').length).toBeGreaterThanOrEqual(4);
    expect(await redis.get(`${fixture.redisPrefix}:lb`)).toContain('alpha');

    // What the API shows: recent ticks and a team's runs, newest first, paged.
    expect((await recentTicks(fixture.pool, 2)).map((tick) => tick.minute)).toEqual([minuteAt(3), minuteAt(2)]);
    const runs = await recentTeamRuns(fixture.pool, 'alpha', 2, minuteAt(3));
    expect(runs.map((run) => [run.minute, run.signals.map((signal) => signal.action), run.error])).toEqual([
      [minuteAt(2), ['buy'], null],
      [minuteAt(1), ['sell'], null],
    ]);
  });

  it('does nothing twice: a duplicated flow, a re-run shard and re-run books after completion', async () => {
    const before = await Promise.all(TEAMS.map((teamId) => teamTruth(fixture.pool, teamId, 100_000)));
    await enqueueMinute(fixture, minuteAt(2)); // already completed: the same job ids, nothing added
    const again = await worker.runner.runShard({ minute: minuteAt(3), shard: 0, shards: 1, clock: 'simulated', attempt: 2 });
    expect(again.teamsRun).toBe(0);
    await worker.runner.books({ minute: minuteAt(3), shards: 1, clock: 'simulated', attempt: 2 });
    const after = await Promise.all(TEAMS.map((teamId) => teamTruth(fixture.pool, teamId, 100_000)));
    expect(after).toEqual(before);
    expect(await selectRuns(fixture.pool, minuteAt(3))).toHaveLength(2);
    expect((await selectShards(fixture.pool, minuteAt(3))).map((s) => s.worker)).toEqual([worker.workerId]);
    const snapshots = await fixture.pool.query('SELECT count(*)::int AS n FROM equity_snapshots WHERE minute = $1', [new Date(minuteAt(3))]);
    expect(snapshots.rows[0]).toEqual({ n: 2 });
  });
});
