import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createRedis, type RedisClient } from '../../../data/redis/client.ts';
import { RegistryStore } from '../../../registry/store.ts';
import { loadConfig } from '../../../server/config/config.ts';
import { startScheduler } from '../../../server/scheduler/scheduler.ts';
import { recentTicks } from '../../../server/tick/tickStore.ts';
import { startWorker, type RunningWorker } from '../../../server/worker/worker.ts';
import { silentLog } from '../../support/silentLog.ts';
import { makeTempDir } from '../../support/tempDir.ts';
import { createTickFixture, type TickFixture } from './support.ts';

/** The scheduler's clocks driving a real worker: a simulated clock across a half day's close and a holiday weekend, resumed after a restart; a replay file. */

let fixture: TickFixture;
let redis: RedisClient;
let worker: RunningWorker;
const temp = makeTempDir('qtc-scheduler-');

function configWith(env: Record<string, string>) {
  return loadConfig({ DATABASE_URL: fixture.databaseUrl, REDIS_URL: fixture.redisUrl, QTC_REGISTRY_FILE: fixture.registryFile, SANDBOX_PROCESSES: '1', ...env });
}

async function untilTicks(count: number): Promise<number[]> {
  for (;;) {
    const ticks = (await recentTicks(fixture.pool, 100)).filter((tick) => tick.status === 'completed');
    if (ticks.length >= count) return ticks.map((tick) => tick.minute).sort((a, b) => a - b);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  fixture = await createTickFixture({ teams: ['alpha'] });
  redis = createRedis(fixture.redisUrl);
  await connectRedis(redis, 5_000);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  redis?.disconnect();
  await fixture?.close();
  temp.remove();
});

async function startWorkerWith(env: Record<string, string>): Promise<RunningWorker> {
  const registry = new RegistryStore({ file: fixture.registryFile, log: silentLog });
  await registry.load();
  return startWorker({
    config: configWith(env),
    pg: fixture.pool,
    redis,
    registry,
    logger: silentLog,
    prefix: fixture.bullPrefix,
    activityStream: `${fixture.redisPrefix}:activity`,
    leaderboardKeys: { leaderboard: `${fixture.redisPrefix}:lb`, leaderboardChannel: `${fixture.redisPrefix}:lb:updates`, activityStream: `${fixture.redisPrefix}:activity` },
  });
}

async function scheduler(env: Record<string, string>) {
  const registry = new RegistryStore({ file: fixture.registryFile, log: silentLog });
  await registry.load();
  return startScheduler({ config: configWith(env), pg: fixture.pool, redis, registry, logger: silentLog, prefix: fixture.bullPrefix });
}

describe('the scheduler', { timeout: 120_000 }, () => {
  it("runs a simulated clock minute after minute, over a half day's close and a holiday weekend, and resumes after a restart", async () => {
    const env = { SIM_MINUTE_MS: '50', SIM_START: '2025-07-03T16:58:00Z' };
    worker = await startWorkerWith(env);
    const first = await scheduler(env);
    expect(first.clock).toBe('simulated');
    await untilTicks(3);
    await first.stop();
    const second = await scheduler(env);
    const minutes = await untilTicks(5);
    await second.stop();
    // 2025-07-03 closes at 13:00 New York (17:00Z); 07-04 is a holiday; Monday 07-07 opens at 13:30Z.
    expect(minutes.slice(0, 5).map((minute) => new Date(minute).toISOString())).toEqual([
      '2025-07-03T16:58:00.000Z',
      '2025-07-03T16:59:00.000Z',
      '2025-07-07T13:30:00.000Z',
      '2025-07-07T13:31:00.000Z',
      '2025-07-07T13:32:00.000Z',
    ]);
    await worker.stop();
  });

  it('replays the minutes of a CSV file with bars, after the last stored minute, and finishes', async () => {
    const file = path.join(temp.dir, 'bars.csv');
    const rows = ['timestamp,symbol,open,high,low,close,volume'];
    for (const [minute, price] of [
      ['13:40', 100],
      ['13:41', 101],
      ['13:43', 102],
    ] as const) {
      rows.push(`2025-07-07T${minute}:00Z,SPY,${String(price)},${String(price + 1)},${String(price - 1)},${String(price + 0.5)},1000`);
    }
    rows.push('2025-07-07T12:00:00Z,SPY,1,1,1,1,1'); // pre-market: not replayed
    writeFileSync(file, `${rows.join('\n')}\n`);
    const env = { REPLAY_FILE: file };
    worker = await startWorkerWith(env);
    const replay = await scheduler(env);
    expect(replay.clock).toBe('replay');
    await replay.finished;
    await replay.stop();
    const ticks = (await recentTicks(fixture.pool, 100)).filter((tick) => tick.source === 'replay');
    expect(ticks.map((tick) => [new Date(tick.minute).toISOString(), tick.status, tick.source, tick.bars.SPY?.[3]]).reverse()).toEqual([
      ['2025-07-07T13:40:00.000Z', 'completed', 'replay', 100.5],
      ['2025-07-07T13:41:00.000Z', 'completed', 'replay', 101.5],
      ['2025-07-07T13:43:00.000Z', 'completed', 'replay', 102.5],
    ]);
  });
});
