// A worker reports its sandboxes to Redis; the admin route lists every live worker's processes
// (pid, memory, teams) and quarantines; a stopped worker's report goes away.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, connectRedis, type RedisClient } from '../../../data/redis/client.ts';
import { readSandboxHealth } from '../../../server/worker/sandboxHealth.ts';
import type { RunningWorker } from '../../../server/worker/worker.ts';
import { ADMIN_KEY, buildFullApiApp, type FullApiApp } from '../api/app.ts';
import { openApiWorld, type ApiWorld } from '../api/support.ts';
import { createTickFixture, enqueueMinute, minuteAt, startFixtureWorker, waitForTick, type TickFixture } from './support.ts';

let fixture: TickFixture;
let redis: RedisClient;
let worker: RunningWorker | undefined;
let world: ApiWorld;
let api: FullApiApp;
const prefix = `qtc-test-health-${String(process.pid)}:`;

beforeAll(async () => {
  fixture = await createTickFixture({ teams: ['alpha', 'beta'] });
  redis = createRedis(fixture.redisUrl);
  await connectRedis(redis, 5_000);
  worker = await startFixtureWorker(fixture, redis, { sandboxHealthPrefix: prefix });
  world = await openApiWorld();
  api = await buildFullApiApp(world, { live: { sandboxHealthPrefix: prefix } });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await world?.close();
  redis?.disconnect();
  await fixture?.close();
});

describe('sandbox health', () => {
  it('is reported by the worker and listed by the admin route', async () => {
    await enqueueMinute(fixture, minuteAt(0));
    expect((await waitForTick(fixture.pool, minuteAt(0))).status).toBe('completed');
    // The report is written every 10 s; wait for one that has seen the shard's pool.
    let reports = await readSandboxHealth(redis, prefix);
    for (let i = 0; i < 150 && (reports[0]?.shards.length ?? 0) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      reports = await readSandboxHealth(redis, prefix);
    }
    expect(reports.map((report) => report.workerId)).toEqual([worker?.workerId]);
    const process0 = reports[0]?.shards[0]?.processes[0];
    expect(process0?.teams).toBe(2);
    expect(process0?.rss).toBeGreaterThan(10 * 2 ** 20);

    const unauthenticated = await api.app.inject({ url: '/api/v1/admin/sandbox' });
    expect(unauthenticated.statusCode).toBe(401);
    const answer = await api.app.inject({ url: '/api/v1/admin/sandbox', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(answer.statusCode).toBe(200);
    expect(answer.json<{ workers: Array<{ workerId: string }> }>().workers.map((w) => w.workerId)).toEqual([worker?.workerId]);

    await worker?.stop();
    worker = undefined;
    expect(await readSandboxHealth(redis, prefix)).toEqual([]);
  }, 60_000);
});
