import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../../server/tick/shards.ts';
import { selectShards } from '../../../server/tick/tickStore.ts';
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
 * Shard affinity: two `qtc worker` processes, two shards a minute. Each shard stays with one worker, so
 * each team's isolate is loaded once however many minutes run; when a worker stops, its shards move to
 * the other (loaded there once, with their memory from Postgres) and the minutes go on.
 */

const TEAMS = ['t-one', 't-two', 't-three', 't-four', 't-five', 't-six'];
const BEFORE = 6;
const AFTER = 3;

/**
 * `calls` lives in the isolate, not in team.memory: it restarts at 1 whenever the isolate is (re)loaded.
 * So `sinceLoad` records the loads, and `seen` (in team.memory) the minutes.
 */
const LOAD_COUNTER = bundle(`
let calls = 0;
class Strategy {
  generateSignal(team) {
    calls += 1;
    team.memory.sinceLoad = [...(team.memory.sinceLoad ?? []), calls];
    return null;
  }
}`);

let fixture: TickFixture;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  fixture = await createTickFixture({ teams: TEAMS, strategy: LOAD_COUNTER });
}, 60_000);

afterAll(async () => {
  for (const worker of workers) await stopWorkerProcess(worker);
  await fixture?.close();
});

async function runMinute(index: number): Promise<Map<number, string>> {
  await enqueueMinute(fixture, minuteAt(index), 2);
  const tick = await waitForTick(fixture.pool, minuteAt(index), 90_000);
  expect(tick.status, JSON.stringify(tick.errors)).toBe('completed');
  expect(tick.teamsRun).toBe(TEAMS.length);
  return new Map((await selectShards(fixture.pool, minuteAt(index))).map((shard) => [shard.shard, shard.worker]));
}

describe('shard affinity', { timeout: 240_000 }, () => {
  it('keeps each shard on one worker (isolates loaded once), and moves a stopped worker’s shards to the other', async () => {
    expect(new Set(TEAMS.map((team) => shardOf(team, 2))).size).toBe(2);
    for (let i = 0; i < 2; i++) workers.push(startWorkerProcess(fixture));
    await Promise.all(workers.map((worker) => worker.waitFor('tick worker ready')));

    const owners: Array<Map<number, string>> = [];
    for (let index = 0; index < BEFORE; index++) owners.push(await runMinute(index));
    const first = owners[0]!;
    expect(new Set(first.values()).size).toBe(2); // one shard each
    for (const minuteOwners of owners) expect(minuteOwners).toEqual(first);
    for (const teamId of TEAMS) {
      const memory = (await teamTruth(fixture.pool, teamId, 100_000)).memory as { sinceLoad: number[] };
      expect(memory.sinceLoad, teamId).toEqual(Array.from({ length: BEFORE }, (_, i) => i + 1));
    }

    // The worker of shard 0 stops (SIGTERM: it finishes its jobs and releases its shards).
    const leaving = workers.find((worker) => first.get(0)!.includes(`:${String(worker.child.pid)}:`))!;
    const staying = workers.find((worker) => worker !== leaving)!;
    await stopWorkerProcess(leaving);
    for (let index = BEFORE; index < BEFORE + AFTER; index++) {
      const minuteOwners = await runMinute(index);
      expect(minuteOwners).toEqual(
        new Map([
          [0, first.get(1)!],
          [1, first.get(1)!],
        ]),
      );
    }
    expect(staying.child.exitCode).toBeNull();
    for (const teamId of TEAMS) {
      const memory = (await teamTruth(fixture.pool, teamId, 100_000)).memory as { sinceLoad: number[] };
      const moved = shardOf(teamId, 2) === 0;
      // A moved team is loaded once on its new worker (its count restarts at 1), the others never again.
      const after = moved ? Array.from({ length: AFTER }, (_, i) => i + 1) : Array.from({ length: AFTER }, (_, i) => BEFORE + i + 1);
      expect(memory.sinceLoad, teamId).toEqual([...Array.from({ length: BEFORE }, (_, i) => i + 1), ...after]);
    }
  });
});
