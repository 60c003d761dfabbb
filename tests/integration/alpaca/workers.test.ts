/**
 * Two real `qtc worker` processes on one Redis trading through the fake Alpaca: both draw on the one
 * request budget of the account in Redis, and each reconciles the account with the team books when it
 * starts and after the books of every minute it runs; a difference that stays becomes an alert in the
 * stored report and is announced on the activity stream.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectLatestReconciliationReport } from '../../../data/postgres/ledger/reconciliationReports.ts';
import { connectRedis, createRedis, type RedisClient } from '../../../data/redis/client.ts';
import { alpacaBudgetKey } from '../../../server/trading/brokers/alpaca/sharedBudget.ts';
import { FakeAlpaca } from '../../fixtures/fakeAlpaca/index.ts';
import { createTickFixture, enqueueMinute, minuteAt, startWorkerProcess, stopWorkerProcess, waitForTick, type TickFixture, type WorkerProcess } from '../tick/support.ts';

let fixture: TickFixture;
let fake: FakeAlpaca;
let redis: RedisClient;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  fixture = await createTickFixture({ teams: ['alpha', 'beta'] });
  const yaml = readFileSync(fixture.registryFile, 'utf8');
  const marketLine = '  marketData: { source: simulator, seed: 7 }\n';
  if (!yaml.includes(marketLine)) throw new Error('the tick fixture registry changed: update this test');
  writeFileSync(fixture.registryFile, yaml.replace(marketLine, `${marketLine}  broker: { kind: alpaca }\n`));
  fake = await FakeAlpaca.start({ prices: { SPY: 500, QQQ: 400 } });
  redis = createRedis(fixture.redisUrl);
  await connectRedis(redis, 5_000);
}, 60_000);

afterAll(async () => {
  for (const worker of workers) await stopWorkerProcess(worker);
  redis?.disconnect();
  await fake?.close();
  await fixture?.close();
});

const latest = () => selectLatestReconciliationReport(fixture.pool);

describe('qtc workers on one Alpaca account', { timeout: 120_000 }, () => {
  it('share one request budget in Redis and reconcile at start and after every minute, raising an alert for a difference that stays', async () => {
    const env = { ALPACA_KEY_ID: fake.keyId, ALPACA_SECRET_KEY: fake.secretKey, ALPACA_TRADING_URL: fake.url, ALPACA_DATA_URL: fake.url, ALPACA_STREAM_URL: fake.streamUrl };
    for (let index = 0; index < 2; index++) {
      const worker = startWorkerProcess(fixture, env);
      workers.push(worker);
      await worker.waitFor('tick worker ready');
    }
    // Each process reconciled once at start, reading positions through the shared budget.
    const key = alpacaBudgetKey(fake.keyId, fixture.redisPrefix);
    await expect.poll(() => fake.count('getAllOpenPositions'), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(Number(await redis.hget(key, 'granted:reconcile'))).toBeGreaterThanOrEqual(2);
    expect((await latest())?.broker).toBe('alpaca');

    for (const index of [0, 1]) {
      await enqueueMinute(fixture, minuteAt(index));
      expect((await waitForTick(fixture.pool, minuteAt(index))).status).toBe('completed');
    }
    // Both teams bought 2 SPY, then sold 1: the account holds 2, the books hold 1 + 1.
    await expect.poll(async () => { const report = await latest(); return [report?.brokerPositions, report?.booksPositions, report?.discrepancies]; }, { timeout: 10_000 }).toEqual([{ SPY: 2 }, { SPY: 2 }, []]);
    expect(Number(await redis.hget(key, 'granted:order'))).toBe(fake.count('postOrder'));

    // Someone buys 3 QQQ in the shared account outside the competition.
    expect('id' in fake.book.submit({ symbol: 'QQQ', qty: '3', side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'by-hand-1' })).toBe(true);
    for (const index of [2, 3, 4]) {
      await enqueueMinute(fixture, minuteAt(index));
      expect((await waitForTick(fixture.pool, minuteAt(index))).status).toBe('completed');
      await expect.poll(async () => (await latest())?.discrepancies.find((d) => d.symbol === 'QQQ')?.consecutiveRuns ?? 0, { timeout: 10_000 }).toBeGreaterThanOrEqual(index - 1);
    }
    const report = await latest();
    expect(report?.discrepancies).toEqual([{ symbol: 'QQQ', kind: 'missing_locally', brokerQuantity: 3, booksQuantity: 0, consecutiveRuns: expect.any(Number) as number, alert: true }]);
    const events = (await redis.xrange(`${fixture.redisPrefix}:activity`, '-', '+')).map(([, fields]) => JSON.parse(fields[1] ?? '{}') as { type: string; symbols?: string[]; alerts?: string[] });
    const news = events.filter((event) => event.type === 'reconciliation');
    expect(news.map((event) => [event.symbols, event.alerts])).toEqual([
      [['QQQ'], []],
      [['QQQ'], ['QQQ']],
    ]);
    expect(fake.exchanges.filter((exchange) => exchange.status === 429)).toEqual([]);
  });
});
