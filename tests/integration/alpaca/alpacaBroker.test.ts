import { afterEach, describe, expect, it } from 'vitest';
import { AlpacaBroker } from '../../../server/trading/brokers/alpaca/alpacaBroker.ts';
import { toMoney } from '../../../server/trading/money.ts';
import { BrokerError } from '../../../server/trading/types.ts';
import { FakeAlpaca } from '../../fixtures/fakeAlpaca/index.ts';
import { silentLog } from '../../support/silentLog.ts';
import { intent, startHarness, waitFor, type BrokerHarness } from './support.ts';

let harness: BrokerHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function rejection(promise: Promise<unknown>): Promise<BrokerError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  if (!(error instanceof BrokerError)) throw new Error(`expected a BrokerError, got ${String(error)}`);
  return error;
}

describe('AlpacaBroker orders against the fake Alpaca', () => {
  it('submits a market order with our client order id and reports its one fill exactly', async () => {
    harness = await startHarness();
    const order = intent({ symbol: 'MSFT', quantity: 3 });
    const state = await harness.broker.submit(order);
    expect(state).toMatchObject({ clientOrderId: order.clientOrderId, symbol: 'MSFT', side: 'buy', quantity: 3 });
    await waitFor(() => harness?.fills.length === 1, 'the fill');
    const [fill] = harness.fills;
    expect(fill).toMatchObject({ clientOrderId: order.clientOrderId, symbol: 'MSFT', side: 'buy', quantity: 3, price: 1_012_345 });
    expect(fill?.executionId).toBe(`${String(state.brokerOrderId)}:3`);
    await waitFor(() => harness?.updates.some((u) => u.status === 'filled') === true, 'the filled status');
    expect(harness.fake.ordersWithClientId(order.clientOrderId)).toHaveLength(1);
    expect(harness.fake.exchanges.find((e) => e.operation === 'postOrder')?.status).toBe(200);
  });

  it('answers a resubmission (HTTP 422 "client_order_id must be unique") with the existing order, never a second one', async () => {
    harness = await startHarness();
    const order = intent();
    const first = await harness.broker.submit(order);
    const again = await harness.broker.submit(order);
    expect(again.brokerOrderId).toBe(first.brokerOrderId);
    expect(again.status).toBe('filled');
    const posts = harness.fake.exchanges.filter((e) => e.operation === 'postOrder');
    expect(posts.map((e) => e.status)).toEqual([200, 422]);
    expect(posts[1]?.body).toEqual({ code: 40010001, message: 'client_order_id must be unique' });
    expect(harness.fake.count('getOrderByClientOrderId')).toBe(1);
    expect(harness.fake.ordersWithClientId(order.clientOrderId)).toHaveLength(1);
    await waitFor(() => harness?.fills.length === 1, 'the fill');
  });

  it.each([500, 502, 503])('HTTP %i after the order was created: returns the created order (looked up), one order', async (status) => {
    harness = await startHarness();
    harness.fake.injectFault({ operation: 'postOrder', respond: status, afterEffect: true });
    const order = intent();
    const state = await harness.broker.submit(order);
    expect(state.clientOrderId).toBe(order.clientOrderId);
    expect(harness.fake.ordersWithClientId(order.clientOrderId)).toHaveLength(1);
  });

  it('HTTP 500 before the order existed: unavailable, and the retry creates exactly one order', async () => {
    harness = await startHarness();
    harness.fake.injectFault({ operation: 'postOrder', respond: 500 });
    const order = intent();
    const error = await rejection(harness.broker.submit(order));
    expect(error.kind).toBe('unavailable');
    expect(error.status).toBe(500);
    expect(harness.fake.ordersWithClientId(order.clientOrderId)).toHaveLength(0);
    await harness.broker.submit(order);
    await harness.broker.submit(order);
    expect(harness.fake.ordersWithClientId(order.clientOrderId)).toHaveLength(1);
  });

  it('a submit that is never answered times out; the order Alpaca did create is found, not duplicated', async () => {
    harness = await startHarness({}, { requestTimeoutMs: 300 });
    harness.fake.injectFault({ operation: 'postOrder', respond: 'timeout', afterEffect: true });
    const order = intent();
    const state = await harness.broker.submit(order);
    expect(state.clientOrderId).toBe(order.clientOrderId);
    await harness.broker.submit(order);
    expect(harness.fake.ordersWithClientId(order.clientOrderId)).toHaveLength(1);
  });

  it('a submit that timed out before Alpaca saw it: unavailable, then one order on retry', async () => {
    harness = await startHarness({}, { requestTimeoutMs: 300 });
    harness.fake.injectFault({ operation: 'postOrder', respond: 'timeout' });
    const order = intent();
    expect((await rejection(harness.broker.submit(order))).kind).toBe('unavailable');
    await harness.broker.submit(order);
    expect(harness.fake.ordersWithClientId(order.clientOrderId)).toHaveLength(1);
  });

  it('HTTP 429 on a submit is rate_limited (the SDK never replays a POST); the retry makes one order', async () => {
    harness = await startHarness();
    harness.fake.injectFault({ operation: 'postOrder', respond: 429 });
    const order = intent();
    const error = await rejection(harness.broker.submit(order));
    expect(error.kind).toBe('rate_limited');
    await harness.broker.submit(order);
    expect(harness.fake.ordersWithClientId(order.clientOrderId)).toHaveLength(1);
  });

  it('a GET that meets 429 or 5xx is retried by the SDK; past the retries it is rate_limited / unavailable', async () => {
    harness = await startHarness();
    const order = intent();
    await harness.broker.submit(order);
    harness.fake.injectFault({ operation: 'getOrderByClientOrderId', respond: 429, times: 2 });
    expect((await harness.broker.getOrder(order.clientOrderId))?.clientOrderId).toBe(order.clientOrderId);
    harness.fake.injectFault({ operation: 'getOrderByClientOrderId', respond: 429, times: 3 });
    expect((await rejection(harness.broker.getOrder(order.clientOrderId))).kind).toBe('rate_limited');
    harness.fake.injectFault({ operation: 'getOrderByClientOrderId', respond: 503, times: 3 });
    expect((await rejection(harness.broker.getOrder(order.clientOrderId))).kind).toBe('unavailable');
  });

  it('refuses an order opposite an open one on the same symbol: wash_trade (HTTP 403)', async () => {
    harness = await startHarness({ fillMode: 'manual' });
    await harness.broker.submit(intent({ type: 'limit', limitPrice: toMoney(490), quantity: 1 }));
    const error = await rejection(harness.broker.submit(intent({ side: 'sell', quantity: 1 })));
    expect(error.kind).toBe('wash_trade');
    expect(error.status).toBe(403);
  });

  it('refuses a buy beyond the buying power: insufficient_buying_power (HTTP 403)', async () => {
    harness = await startHarness();
    const error = await rejection(harness.broker.submit(intent({ quantity: 1_000 })));
    expect(error.kind).toBe('insufficient_buying_power');
    expect(error.message).toMatch(/insufficient buying power/);
  });

  it('maps 404 to null / not_found and a sell without shares to rejected', async () => {
    harness = await startHarness();
    expect(await harness.broker.getOrder('t-nobody-202507081431-1')).toBeNull();
    expect((await rejection(harness.broker.cancel('t-nobody-202507081431-1'))).kind).toBe('not_found');
    expect((await rejection(harness.broker.submit(intent({ side: 'sell', quantity: 1 })))).kind).toBe('rejected');
  });

  it('refuses bad keys: the stream login fails with unauthorized, REST answers 401 → unauthorized', async () => {
    const fake = await FakeAlpaca.start({ prices: { SPY: 500 } });
    try {
      const connecting = AlpacaBroker.connect({
        keyId: fake.keyId,
        secretKey: 'wrong',
        paper: true,
        tradingUrl: fake.url,
        streamUrl: fake.streamUrl,
        logger: silentLog,
        listenTimeoutMs: 5_000,
      });
      const error = await rejection(connecting);
      expect(error.kind).toBe('unauthorized');
      expect(error.message).toMatch(/ALPACA_KEY_ID/);
    } finally {
      await fake.close();
    }
    harness = await startHarness();
    harness.fake.injectFault({ operation: 'getAccount', respond: 401 });
    expect((await rejection(harness.broker.account())).kind).toBe('unauthorized');
  });

  it('cancels an open order, lists open orders, and reads positions and the account exactly', async () => {
    harness = await startHarness({ fillMode: 'manual' });
    const resting = intent({ symbol: 'AAPL', type: 'limit', limitPrice: toMoney(150.25), quantity: 2 });
    await harness.broker.submit(resting);
    expect((await harness.broker.openOrders()).map((o) => o.clientOrderId)).toEqual([resting.clientOrderId]);
    expect(harness.fake.exchanges.find((e) => e.operation === 'postOrder')?.query.toString()).toBe('');
    await harness.broker.cancel(resting.clientOrderId);
    await waitFor(() => harness?.updates.some((u) => u.clientOrderId === resting.clientOrderId && u.status === 'canceled') === true, 'the cancel');
    expect(await harness.broker.openOrders()).toEqual([]);
    expect((await rejection(harness.broker.cancel(resting.clientOrderId))).kind).toBe('rejected');

    const buy = intent({ symbol: 'MSFT', quantity: 3 });
    const state = await harness.broker.submit(buy);
    harness.fake.book.fill(state.brokerOrderId as string);
    await waitFor(() => harness?.fills.length === 1, 'the fill');
    expect(await harness.broker.positions()).toEqual([{ symbol: 'MSFT', quantity: 3, avgEntryPrice: 1_012_345 }]);
    const account = await harness.broker.account();
    // 100,000 − 3 × 101.2345 = 99,696.2965, to the 1/10,000 dollar.
    expect(account.cash).toBe(996_962_965);
    expect(account.equity).toBe(1_000_000_000);
  });
});

describe('AlpacaBroker fills across stream failures', () => {
  it('recovers fills made while the stream was down (events lost), each exactly once', async () => {
    harness = await startHarness({ fillMode: 'manual' });
    const { fake, broker } = harness;
    const order = intent({ quantity: 10 });
    const state = await broker.submit(order);
    const connectionsBefore = broker.stats().streamConnections;
    fake.refuseStreams(true);
    fake.dropStreams();
    fake.book.fill(state.brokerOrderId as string, { qty: 4, price: 499.5 });
    fake.book.fill(state.brokerOrderId as string, { qty: 6, price: 500.25 });
    expect(fake.listeningStreams()).toBe(0);
    fake.refuseStreams(false);
    await waitFor(() => harness?.fills.length === 2, 'the recovered fills');
    await waitFor(() => broker.stats().streamConnections > connectionsBefore, 'the reconnect');
    expect(harness.fills.map((f) => [f.quantity, f.price, f.executionId])).toEqual([
      [4, 4_995_000, `${String(state.brokerOrderId)}:4`],
      [6, 5_002_500, `${String(state.brokerOrderId)}:10`],
    ]);
    expect(harness.fake.count('getAccountActivitiesByActivityType')).toBeGreaterThan(0);
    await waitFor(() => harness?.updates.at(-1)?.status === 'filled', 'the final status');

    // Another disconnect with nothing new: the catch-up finds everything reported already.
    const catchUps = broker.stats().catchUps;
    fake.dropStreams();
    await waitFor(() => broker.stats().catchUps > catchUps && fake.listeningStreams() === 1, 'the second catch-up');
    expect(harness.fills).toHaveLength(2);
    expect(fake.ordersWithClientId(order.clientOrderId)).toHaveLength(1);
  });

  it('notices a fill lost in transit (socket up) from the next one and recovers it', async () => {
    harness = await startHarness({ fillMode: 'manual' });
    const { fake, broker } = harness;
    const state = await broker.submit(intent({ quantity: 10 }));
    fake.loseStreamEvents(1);
    fake.book.fill(state.brokerOrderId as string, { qty: 3, price: 501 });
    fake.book.fill(state.brokerOrderId as string, { qty: 7, price: 502 });
    await waitFor(() => harness?.fills.length === 2, 'both fills');
    expect(harness.fills.map((f) => f.quantity).sort()).toEqual([3, 7]);
    expect(new Set(harness.fills.map((f) => f.executionId)).size).toBe(2);
    expect(broker.stats().ordersAwaitingExecutions).toBe(0);
  });

  it('after a restart, catchUp(since) reports the fills the new process missed, with the same execution ids', async () => {
    harness = await startHarness();
    const { fake } = harness;
    const before = Date.now();
    const state = await harness.broker.submit(intent({ quantity: 5 }));
    await harness.broker.submit(intent({ symbol: 'AAPL', quantity: 2 }));
    await waitFor(() => harness?.fills.length === 2, 'the first process sees both fills');
    const restarted = await AlpacaBroker.connect({
      keyId: fake.keyId,
      secretKey: fake.secretKey,
      paper: true,
      tradingUrl: fake.url,
      streamUrl: fake.streamUrl,
      logger: silentLog,
    });
    try {
      const seen: string[] = [];
      restarted.onFill((fill) => seen.push(fill.executionId));
      await restarted.catchUp(before);
      expect(seen.sort()).toEqual(harness.fills.map((fill) => fill.executionId).sort());
      expect(seen).toContain(`${String(state.brokerOrderId)}:5`);
      await restarted.catchUp(before);
      expect(seen).toHaveLength(2);
    } finally {
      await restarted.close();
    }
  });
});
