import { afterEach, describe, expect, it } from 'vitest';
import { AlpacaMarketData } from '../../../data/market/alpaca/alpacaMarketData.ts';
import { TokenBucket } from '../../../data/market/alpaca/tokenBucket.ts';
import type { FakeAlpaca } from '../../fixtures/fakeAlpaca/index.ts';
import { silentLog } from '../../support/silentLog.ts';
import { intent, startHarness, type BrokerHarness } from './support.ts';

const WINDOW_MS = 1_000;
// Arrival times are taken at the fake; network jitter can bring two requests a few ms closer there.
const JITTER_MS = 50;

function mostInAnyWindow(fake: FakeAlpaca, windowMs: number): number {
  const times = fake.exchanges.map((exchange) => exchange.at).sort((a, b) => a - b);
  let most = 0;
  for (const [index, start] of times.entries()) {
    let count = 0;
    for (let next = index; next < times.length && (times[next] as number) < start + windowMs; next++) count += 1;
    most = Math.max(most, count);
  }
  return most;
}

let harness: BrokerHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('the shared Alpaca rate limit', () => {
  it('queues every caller of one account (orders, lookups, market data) under the limit, dropping none', async () => {
    const limiter = new TokenBucket({ limit: 5, intervalMs: WINDOW_MS, burst: 2 });
    // The fake enforces Alpaca's own limit one above ours: a request over it would get a 429.
    harness = await startHarness({ serverRateLimit: { limit: 6, windowMs: WINDOW_MS }, bars: [] }, { limiter });
    const { fake, broker } = harness;
    const data = new AlpacaMarketData({ keyId: fake.keyId, secretKey: fake.secretKey, dataUrl: fake.url, feed: 'iex', limiter, logger: silentLog });
    const orders = [0, 1, 2].map(() => intent());
    const results = await Promise.all([
      ...orders.map((order) => broker.submit(order)),
      ...[0, 1, 2, 3, 4].map(() => broker.getOrder('t-nobody-202507081431-1')),
      ...[0, 1, 2, 3].map(() => data.latestBars(['SPY'])),
      broker.positions(),
      broker.account(),
    ]);
    expect(results).toHaveLength(14);
    expect(fake.exchanges).toHaveLength(14);
    expect(fake.exchanges.filter((exchange) => exchange.status === 429)).toEqual([]);
    expect(mostInAnyWindow(fake, WINDOW_MS - JITTER_MS)).toBeLessThanOrEqual(5);
    expect(limiter.stats()).toMatchObject({ granted: 14, waiting: 0 });
    // At most a burst plus what refilled went without waiting.
    expect(limiter.stats().delayed).toBeGreaterThanOrEqual(14 - 5);
    for (const order of orders) expect(fake.ordersWithClientId(order.clientOrderId)).toHaveLength(1);
  });

  it('without the client-side limit the same burst meets Alpaca 429s (what the limiter prevents)', async () => {
    harness = await startHarness(
      { serverRateLimit: { limit: 6, windowMs: WINDOW_MS } },
      { limiter: new TokenBucket({ limit: 1_000, intervalMs: WINDOW_MS, burst: 1_000 }), getRetries: 0 },
    );
    const { fake, broker } = harness;
    const outcomes = await Promise.allSettled([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => broker.account()));
    expect(outcomes.filter((outcome) => outcome.status === 'rejected').length).toBeGreaterThan(0);
    expect(fake.exchanges.filter((exchange) => exchange.status === 429).length).toBeGreaterThan(0);
  });
});
