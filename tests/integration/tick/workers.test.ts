import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger } from '../../../server/ledger/ledger.ts';
import { shardOf } from '../../../server/tick/shards.ts';
import { selectRuns, selectShards } from '../../../server/tick/tickStore.ts';
import {
  bundle,
  createTickFixture,
  enqueueMinute,
  minuteAt,
  startWorkerProcess,
  stopWorkerProcess,
  teamTruth,
  waitForTick,
  type TickFixture,
  type WorkerProcess,
} from './support.ts';

/**
 * Two `qtc worker` processes share the minutes of one Redis: each minute is a flow of two shards of the
 * teams and a books job. Whichever worker runs a shard, a team's strategy sees every minute's bar once
 * (its window grows by one bar per minute) and its memory from the minute before.
 */

const TEAMS = ['t-one', 't-two', 't-three', 't-four', 't-five', 't-six'];
const MINUTES = 6;

/** Records the length of its SPY window and the minute each call saw; trades a little. */
const WINDOW_WATCHER = bundle(`
class Strategy {
  generateSignal(team, bars) {
    team.memory.windows = [...(team.memory.windows ?? []), bars.SPY ? bars.SPY.close.length : 0];
    team.memory.minutes = [...(team.memory.minutes ?? []), Date.now()];
    const n = team.memory.windows.length;
    if (n % 3 === 1) return { symbol: 'QQQ', action: 'buy', quantity: 1 };
    if (n % 3 === 0 && (team.positions.QQQ?.quantity ?? 0) > 0) return { symbol: 'QQQ', action: 'sell', quantity: 1 };
    return null;
  }
}`);

let fixture: TickFixture;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  fixture = await createTickFixture({ teams: TEAMS, strategy: WINDOW_WATCHER });
}, 60_000);

afterAll(async () => {
  for (const worker of workers) await stopWorkerProcess(worker);
  await fixture?.close();
});

describe('several workers on one Redis', { timeout: 180_000 }, () => {
  it('spread the shards of each minute across the workers, and every team runs once per minute with a continuous window and memory', async () => {
    expect(new Set(TEAMS.map((team) => shardOf(team, 2))).size).toBe(2); // both shards have teams
    for (let i = 0; i < 2; i++) workers.push(startWorkerProcess(fixture));
    await Promise.all(workers.map((worker) => worker.waitFor('tick worker ready')));

    for (let index = 0; index < MINUTES; index++) {
      await enqueueMinute(fixture, minuteAt(index), 2);
      const tick = await waitForTick(fixture.pool, minuteAt(index));
      expect(tick.status, JSON.stringify(tick.errors)).toBe('completed');
      expect(tick.teamsRun).toBe(TEAMS.length);
      expect(await selectShards(fixture.pool, minuteAt(index))).toHaveLength(2);
      expect(await selectRuns(fixture.pool, minuteAt(index))).toHaveLength(TEAMS.length);
    }

    const shardWorkers = new Set<string>();
    for (let index = 0; index < MINUTES; index++) for (const shard of await selectShards(fixture.pool, minuteAt(index))) shardWorkers.add(shard.worker);
    expect(shardWorkers.size).toBe(2);

    for (const teamId of TEAMS) {
      const truth = await teamTruth(fixture.pool, teamId, 100_000);
      expect(truth.memory).toMatchObject({
        windows: Array.from({ length: MINUTES }, (_, i) => i + 1),
        minutes: Array.from({ length: MINUTES }, (_, i) => minuteAt(i)),
      });
      expect(new Set(truth.orders.map((o) => o.clientOrderId)).size).toBe(truth.orders.length);
      expect(truth.book.cash).toBe(truth.fromFills.cash);
      expect(truth.book.positions).toEqual(truth.fromFills.positions);
    }
    expect(await createLedger(fixture.pool).auditBooks()).toEqual([]);
  });
});
