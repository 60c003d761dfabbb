/**
 * One Alpaca request budget for every process using the account, kept in Redis. Each "process" here is
 * an independent client: its own Redis connection, its own SharedAlpacaBudget, its own AlpacaBroker and
 * market data, as two `qtc worker` processes would have. The fake Alpaca enforces Alpaca's limit of 200
 * requests per window (the window is shortened to a few seconds so the test runs quickly; the count is
 * Alpaca's).
 */
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { AlpacaMarketData } from '../../../data/market/alpaca/alpacaMarketData.ts';
import { TokenBucket } from '../../../data/market/alpaca/tokenBucket.ts';
import { connectRedis, createRedis, type RedisClient } from '../../../data/redis/client.ts';
import { AlpacaBroker } from '../../../server/trading/brokers/alpaca/alpacaBroker.ts';
import { registerAlpacaBudgetMetrics } from '../../../server/trading/brokers/alpaca/budgetMetrics.ts';
import { accountTag, requestPriority, SharedAlpacaBudget, type SharedAlpacaBudgetOptions } from '../../../server/trading/brokers/alpaca/sharedBudget.ts';
import type { AlpacaLimiter } from '../../../data/market/alpaca/alpacaFetch.ts';
import { FakeAlpaca } from '../../fixtures/fakeAlpaca/index.ts';
import { silentLog } from '../../support/silentLog.ts';
import { intent } from './support.ts';

const WINDOW_MS = 4_000;
const LIMIT = 200;
// Arrival times are taken at the fake; network jitter can bring two requests a few ms closer there.
const JITTER_MS = 50;

const connections: RedisClient[] = [];
async function redisConnection(): Promise<RedisClient> {
  const redis = createRedis(inject('redisUrl'));
  await connectRedis(redis, 5_000);
  connections.push(redis);
  return redis;
}

let prefix: string;
const budget = async (options: Partial<SharedAlpacaBudgetOptions> = {}): Promise<SharedAlpacaBudget> =>
  new SharedAlpacaBudget({ redis: await redisConnection(), keyId: 'PKSHARED', keyPrefix: prefix, logger: silentLog, ...options });

let fake: FakeAlpaca | undefined;
const brokers: AlpacaBroker[] = [];
afterEach(async () => {
  for (const broker of brokers.splice(0)) await broker.close();
  await fake?.close();
  fake = undefined;
});
afterAll(() => {
  for (const redis of connections) redis.disconnect();
});

function mostInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (const [index, start] of sorted.entries()) {
    let count = 0;
    for (let next = index; next < sorted.length && (sorted[next] as number) < start + windowMs; next++) count += 1;
    most = Math.max(most, count);
  }
  return most;
}

/** A process's clients of the account: a broker and market data on one limiter. */
async function processClients(server: FakeAlpaca, limiter: AlpacaLimiter) {
  const broker = await AlpacaBroker.connect({
    keyId: server.keyId,
    secretKey: server.secretKey,
    paper: true,
    tradingUrl: server.url,
    streamUrl: server.streamUrl,
    logger: silentLog,
    limiter,
    getRetries: 0,
    requestTimeoutMs: 20_000,
  });
  brokers.push(broker);
  const data = new AlpacaMarketData({ keyId: server.keyId, secretKey: server.secretKey, dataUrl: server.url, feed: 'iex', limiter, logger: silentLog, getRetries: 0 });
  return { broker, data };
}

/** 150 requests from one process at once: orders, order lookups, positions and bars. */
function burstOf(clients: Awaited<ReturnType<typeof processClients>>): Array<Promise<unknown>> {
  return Array.from({ length: 150 }, (_, index) => {
    switch (index % 4) {
      case 0:
        return clients.broker.submit(intent({ quantity: 1 }));
      case 1:
        return clients.broker.getOrder('t-nobody-202507081431-1');
      case 2:
        return clients.broker.positions();
      default:
        return clients.data.latestBars(['SPY']);
    }
  });
}

describe('the shared Alpaca budget in Redis', { timeout: 60_000 }, () => {
  it('two processes on one account stay together within Alpaca’s 200 per window and meet no 429', async () => {
    prefix = `test-${randomBytes(4).toString('hex')}`;
    fake = await FakeAlpaca.start({ prices: { SPY: 1 }, startingCash: 10_000_000, serverRateLimit: { limit: LIMIT, windowMs: WINDOW_MS } });
    // A few requests below Alpaca's count: a request granted at the window's edge can reach the fake a
    // little earlier or later than its neighbours, so the windows the two sides measure differ by ms.
    const shape = { limit: LIMIT - 5, intervalMs: WINDOW_MS, burst: 40 };
    const first = await processClients(fake, await budget(shape));
    const second = await processClients(fake, await budget(shape));
    const outcomes = await Promise.allSettled([...burstOf(first), ...burstOf(second)]);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    expect(fake.exchanges).toHaveLength(300);
    expect(fake.exchanges.filter((exchange) => exchange.status === 429)).toHaveLength(0);
    expect(
      mostInAnyWindow(
        fake.exchanges.map((exchange) => exchange.at),
        WINDOW_MS - JITTER_MS,
      ),
    ).toBeLessThanOrEqual(LIMIT);
  });

  it('with one limiter per process instead (the old way) the same two processes send twice the limit and meet 429s', async () => {
    fake = await FakeAlpaca.start({ prices: { SPY: 1 }, startingCash: 10_000_000, serverRateLimit: { limit: LIMIT, windowMs: WINDOW_MS } });
    const first = await processClients(fake, new TokenBucket({ limit: LIMIT, intervalMs: WINDOW_MS, burst: 150 }));
    const second = await processClients(fake, new TokenBucket({ limit: LIMIT, intervalMs: WINDOW_MS, burst: 150 }));
    await Promise.allSettled([...burstOf(first), ...burstOf(second)]);
    expect(fake.exchanges.filter((exchange) => exchange.status === 429).length).toBeGreaterThan(0);
  });

  it('order submissions go first: lookups and reconciliation reads wait while only the reserve is left, in every process', async () => {
    prefix = `test-${randomBytes(4).toString('hex')}`;
    // 1 token per 500 ms after the burst; lookups need 1 + 1 tokens, reconciliation 1 + 2.
    const shape = { limit: 6, intervalMs: 2_000, burst: 3, reserve: 1 };
    const here = await budget(shape);
    const there = await budget(shape);
    const order = { method: 'POST', url: new URL('http://alpaca/v2/orders') };
    const lookup = { method: 'GET', url: new URL('http://alpaca/v2/orders:by_client_order_id?client_order_id=x') };
    const positions = { method: 'GET', url: new URL('http://alpaca/v2/positions') };
    for (let index = 0; index < 3; index++) await here.acquire(undefined, order); // the burst is spent
    const granted: string[] = [];
    const take = (limiter: SharedAlpacaBudget, request: typeof order, name: string) => limiter.acquire(undefined, request).then(() => granted.push(name));
    await Promise.all([
      take(there, positions, 'reconcile (there)'),
      take(here, lookup, 'lookup (here)'),
      take(there, order, 'order 1 (there)'),
      take(here, order, 'order 2 (here)'),
    ]);
    // Which process's order wins a token is Redis's call; that both go before the others is the rule.
    expect(granted.slice(0, 2).sort()).toEqual(['order 1 (there)', 'order 2 (here)']);
    expect(granted.slice(2)).toEqual(['lookup (here)', 'reconcile (there)']);
  });

  it('a 429 pauses the budget for every process for its Retry-After', async () => {
    prefix = `test-${randomBytes(4).toString('hex')}`;
    fake = await FakeAlpaca.start({ prices: { SPY: 500 } });
    const first = await processClients(fake, await budget());
    const secondBudget = await budget();
    const second = await processClients(fake, secondBudget);
    fake.injectFault({ operation: 'getAccount', respond: 429, retryAfterSeconds: 2 });
    await expect(first.broker.account()).rejects.toThrow(/rate limit/);
    const pausedAt = Date.now();
    await second.broker.positions(); // another process, another endpoint: still held back
    const positionsAt = fake.exchanges.find((exchange) => exchange.operation === 'getAllOpenPositions')?.at ?? 0;
    expect(positionsAt - pausedAt).toBeGreaterThanOrEqual(1_800);
    const registry = new Registry();
    registerAlpacaBudgetMetrics(registry, await redisConnection(), 'PKSHARED', { keyPrefix: prefix });
    const text = await registry.metrics();
    const account = secondBudget.account;
    expect(text).toContain(`qtc_alpaca_rate_limited_total{account="${account}"} 1`);
    // GET /v2/account and GET /v2/positions: reconciliation reads, one each.
    expect(text).toContain(`qtc_alpaca_requests_total{account="${account}",priority="reconcile"} 2`);
    expect(text).toMatch(new RegExp(`qtc_alpaca_budget_tokens\\{account="${account}"\\} \\d`));
    expect(text).not.toContain('PKSHARED');
  });

  it('is keyed by a hash of the key id, never the key id itself, and classifies requests by what they do', async () => {
    prefix = 'qtc-test';
    const limiter = await budget({ keyId: 'PKSECRETKEYID' });
    expect(limiter.key).toBe(`${prefix}:alpaca:budget:${accountTag('PKSECRETKEYID')}`);
    expect(limiter.key).not.toContain('PKSECRETKEYID');
    expect(requestPriority('POST', new URL('https://paper-api.alpaca.markets/v2/orders'))).toBe('order');
    expect(requestPriority('DELETE', new URL('https://proxy/alpaca/v2/orders/0d5f'))).toBe('order');
    expect(requestPriority('GET', new URL('https://paper-api.alpaca.markets/v2/orders?status=open'))).toBe('lookup');
    expect(requestPriority('GET', new URL('https://data.alpaca.markets/v2/stocks/bars'))).toBe('lookup');
    expect(requestPriority('GET', new URL('https://paper-api.alpaca.markets/v2/account/activities/FILL'))).toBe('lookup');
    expect(requestPriority('GET', new URL('https://paper-api.alpaca.markets/v2/positions'))).toBe('reconcile');
    expect(() => new SharedAlpacaBudget({ redis: connections[0]!, keyId: 'x', burst: 4, reserve: 2 })).toThrow(/reserve/);
  });
});
