/**
 * Two real `qtc worker` processes on one Redis trading through the fake Alpaca (netted execution, the
 * default with `broker.kind: alpaca`): both draw on the one
 * request budget of the account in Redis, and each reconciles the account with the team books when it
 * starts and after the books of every minute it runs; a difference that stays becomes an alert in the
 * stored report and is announced on the activity stream.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectLatestReconciliationReport } from '../../../server/ledger/reconciliationReports.ts';
import { connectRedis, createRedis, type RedisClient } from '../../../data/redis/client.ts';
import { alpacaBudgetKey } from '../../../server/trading/brokers/alpaca/sharedBudget.ts';
import { minuteStamp } from '../../../server/tick/minuteId.ts';
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
/** The shares of SPY the (fake) Alpaca account itself holds. */
const spyAtAlpaca = () => fake.book.holdings().find(([symbol]) => symbol === 'SPY')?.[1].qty ?? 0;

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
    await expect.poll(() => fake.count('getAllOpenPositions'), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    expect(Number(await redis.hget(key, 'granted:reconcile'))).toBeGreaterThanOrEqual(2);
    expect((await latest())?.broker).toBe('alpaca');

    for (const index of [0, 1]) {
      await enqueueMinute(fixture, minuteAt(index));
      expect((await waitForTick(fixture.pool, minuteAt(index))).status).toBe('completed');
    }
    // Netted execution (the default with Alpaca): minute 0 sent one net order, buy 4 SPY, allocated 2 + 2 at
    // minute 1's fills stage; minute 1 sent one net sell of 2. Alpaca fills that sell within moments, but it
    // is allocated to the teams only at the next minute's fills stage, the documented settlement point (the
    // point where the simulated broker fills a minute's market orders, and where a zero net gets its price,
    // the next bar's open). Until then the account holds 2 and the books 4, and reconciliation counts the
    // filled, unallocated sell as the account's: 4 = 4, no difference.
    await expect.poll(() => spyAtAlpaca(), { timeout: 30_000 }).toBe(2);
    await expect
      .poll(
        async () => {
          const report = await latest();
          return [report?.brokerPositions, report?.booksPositions, report?.discrepancies];
        },
        { timeout: 30_000 },
      )
      .toEqual([{ SPY: 4 }, { SPY: 4 }, []]);
    expect([...fake.book.orders.values()].map((order) => [order.clientOrderId, order.qty, order.status])).toEqual([
      [`n-${minuteStamp(minuteAt(0))}-SPY-buy`, 4, 'filled'],
      [`n-${minuteStamp(minuteAt(1))}-SPY-sell`, 2, 'filled'],
    ]);
    expect(Number(await redis.hget(key, 'granted:order'))).toBe(fake.count('postOrder'));

    // Someone buys 3 QQQ in the shared account outside the competition.
    expect('id' in fake.book.submit({ symbol: 'QQQ', qty: '3', side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'by-hand-1' })).toBe(true);
    for (const index of [2, 3, 4]) {
      await enqueueMinute(fixture, minuteAt(index));
      expect((await waitForTick(fixture.pool, minuteAt(index))).status).toBe('completed');
      await expect.poll(async () => (await latest())?.discrepancies.find((d) => d.symbol === 'QQQ')?.consecutiveRuns ?? 0, { timeout: 30_000 }).toBeGreaterThanOrEqual(index - 1);
    }
    const report = await latest();
    // Minutes 0–4 bought 4, sold 2, bought 4, sold 2, bought 4: Alpaca holds 8 SPY; the teams' books 4, since
    // minute 4's net buy settles at minute 5's fills stage.
    expect(spyAtAlpaca()).toBe(8);
    expect([report?.brokerPositions, report?.booksPositions]).toEqual([{ QQQ: 3, SPY: 4 }, { SPY: 4 }]);
    expect(report?.discrepancies).toEqual([
      { symbol: 'QQQ', kind: 'missing_locally', brokerQuantity: 3, booksQuantity: 0, consecutiveRuns: expect.any(Number) as number, alert: true },
    ]);
    const events = (await redis.xrange(`${fixture.redisPrefix}:activity`, '-', '+')).map(
      ([, fields]) => JSON.parse(fields[1] ?? '{}') as { type: string; symbols?: string[]; alerts?: string[] },
    );
    const news = events.filter((event) => event.type === 'reconciliation');
    expect(news.map((event) => [event.symbols, event.alerts])).toEqual([
      [['QQQ'], []],
      [['QQQ'], ['QQQ']],
    ]);
    expect(fake.exchanges.filter((exchange) => exchange.status === 429)).toEqual([]);
  });
});
