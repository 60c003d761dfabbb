import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger } from '../../../server/ledger/ledger.ts';
import { connectRedis, createRedis, type RedisClient } from '../../../data/redis/client.ts';
import { RegistryStore } from '../../../registry/store.ts';
import { loadConfig } from '../../../server/config/config.ts';
import { minuteStamp } from '../../../server/tick/minuteId.ts';
import { toMoney } from '../../../server/trading/money.ts';
import { startWorker, type RunningWorker } from '../../../server/worker/worker.ts';
import { MemoryBroker } from '../ledger/memoryBroker.ts';
import { silentLog } from '../../support/silentLog.ts';
import { createTickFixture, enqueueMinute, minuteAt, teamTruth, waitForTick, type TickFixture } from './support.ts';

/**
 * A broker that streams its fills (as Alpaca does): the tick submits through the order router, fills
 * arrive whenever the broker executes and are applied once, and the next minute's strategy sees them.
 */

let fixture: TickFixture;
let redis: RedisClient;
let worker: RunningWorker;
const broker = new MemoryBroker();

beforeAll(async () => {
  fixture = await createTickFixture({ teams: ['alpha'] });
  redis = createRedis(fixture.redisUrl);
  await connectRedis(redis, 5_000);
  const registry = new RegistryStore({ file: fixture.registryFile, log: silentLog });
  await registry.load();
  worker = await startWorker({
    config: loadConfig({ DATABASE_URL: fixture.databaseUrl, REDIS_URL: fixture.redisUrl, QTC_REGISTRY_FILE: fixture.registryFile, SANDBOX_PROCESSES: '1' }),
    pg: fixture.pool,
    redis,
    registry,
    logger: silentLog,
    broker,
    prefix: fixture.bullPrefix,
    activityStream: `${fixture.redisPrefix}:activity`,
    leaderboardKeys: { leaderboard: `${fixture.redisPrefix}:lb`, leaderboardChannel: `${fixture.redisPrefix}:lb:updates`, activityStream: `${fixture.redisPrefix}:activity` },
  });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  redis?.disconnect();
  await fixture?.close();
});

describe('the tick with a streaming broker', () => {
  it("submits through the router and applies streamed fills once, before the next minute's strategies", async () => {
    await enqueueMinute(fixture, minuteAt(0));
    expect((await waitForTick(fixture.pool, minuteAt(0))).status).toBe('completed');
    const buy = `t-alpha-${minuteStamp(minuteAt(0))}-1`;
    expect(broker.calls).toContain(`submit ${buy}`);
    expect((await createLedger(fixture.pool).getOrder(buy))?.status).toBe('accepted');

    const fill = broker.execute(buy, 2, toMoney(101.25));
    broker.deliverFill(fill); // the stream delivers it twice (a reconnect's catch-up)
    await enqueueMinute(fixture, minuteAt(1));
    expect((await waitForTick(fixture.pool, minuteAt(1))).status).toBe('completed');

    const truth = await teamTruth(fixture.pool, 'alpha', 100_000);
    expect(truth.fills.map((f) => [f.executionId, f.quantity, f.price])).toEqual([[fill.executionId, 2, '101.2500']]);
    expect(truth.book.positions).toEqual({ SPY: 2 });
    expect(truth.book.cash).toBe(truth.fromFills.cash);
    // Minute 1's strategy saw the two shares: it sells one.
    expect(truth.orders.map((o) => [o.side, o.quantity, o.status])).toEqual([
      ['buy', 2, 'filled'],
      ['sell', 1, 'accepted'],
    ]);
  });
});
