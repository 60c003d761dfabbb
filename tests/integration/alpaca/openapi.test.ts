/**
 * The fake Alpaca stays faithful to the real service: every kind of answer it gives (and every
 * trade-update frame) is validated against Alpaca's official OpenAPI specs in ../shared/alpaca.
 * Skips when ../shared is absent; the other tests still exercise the fake.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlpacaCalendar } from '../../../data/market/alpaca/alpacaCalendar.ts';
import { createAlpacaLimiter } from '../../../data/market/alpaca/alpacaClient.ts';
import { AlpacaMarketData } from '../../../data/market/alpaca/alpacaMarketData.ts';
import { toMoney } from '../../../server/trading/money.ts';
import type { Operation, RecordedExchange, TradeUpdateData } from '../../fixtures/fakeAlpaca/index.ts';
import { silentLog } from '../../support/silentLog.ts';
import { intent, startHarness, waitFor, type BrokerHarness } from './support.ts';

const SPECS = path.resolve(import.meta.dirname, '../../../../shared/alpaca');
const haveSpecs = existsSync(path.join(SPECS, 'trading-api.json')) && existsSync(path.join(SPECS, 'market-data-api.json'));

// ajv-formats is CommonJS with a default export; under ESM the function may sit on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

const SPEC_PATH: Record<Exclude<Operation, 'unknown'>, { spec: 'trading' | 'data'; path: string; method: string }> = {
  postOrder: { spec: 'trading', path: '/v2/orders', method: 'post' },
  getAllOrders: { spec: 'trading', path: '/v2/orders', method: 'get' },
  getOrderByClientOrderId: { spec: 'trading', path: '/v2/orders:by_client_order_id', method: 'get' },
  getOrderByOrderID: { spec: 'trading', path: '/v2/orders/{order_id}', method: 'get' },
  deleteOrderByOrderID: { spec: 'trading', path: '/v2/orders/{order_id}', method: 'delete' },
  getAccount: { spec: 'trading', path: '/v2/account', method: 'get' },
  getAllOpenPositions: { spec: 'trading', path: '/v2/positions', method: 'get' },
  getAccountActivitiesByActivityType: { spec: 'trading', path: '/v2/account/activities/{activity_type}', method: 'get' },
  legacyClock: { spec: 'trading', path: '/v2/clock', method: 'get' },
  legacyCalendar: { spec: 'trading', path: '/v2/calendar', method: 'get' },
  stockBars: { spec: 'data', path: '/v2/stocks/bars', method: 'get' },
  stockLatestBars: { spec: 'data', path: '/v2/stocks/bars/latest', method: 'get' },
};

function pointer(...parts: string[]): string {
  return parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

function buildValidators(): { response: (operation: Operation, status: number) => ValidateFunction; schema: (name: string) => ValidateFunction } {
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  for (const format of ['decimal', 'double', 'float', 'int32', 'int64']) ajv.addFormat(format, true);
  ajv.addSchema(JSON.parse(readFileSync(path.join(SPECS, 'trading-api.json'), 'utf8')) as object, 'trading');
  ajv.addSchema(JSON.parse(readFileSync(path.join(SPECS, 'market-data-api.json'), 'utf8')) as object, 'data');
  const compiled = new Map<string, ValidateFunction>();
  const compile = (ref: string): ValidateFunction => {
    let validate = compiled.get(ref);
    if (validate === undefined) {
      validate = ajv.compile({ $ref: ref });
      compiled.set(ref, validate);
    }
    return validate;
  };
  return {
    response: (operation, status) => {
      if (operation === 'unknown') throw new Error('the fake answered an operation it does not implement');
      if (status >= 400) return compile('trading#/components/schemas/Error');
      const { spec, path: specPath, method } = SPEC_PATH[operation];
      return compile(`${spec}#/${pointer('paths', specPath, method, 'responses', String(status), 'content', 'application/json', 'schema')}`);
    },
    schema: (name) => compile(`trading#/components/schemas/${name}`),
  };
}

describe.skipIf(!haveSpecs)('the fake Alpaca answers as the official OpenAPI specs describe', () => {
  let harness: BrokerHarness;
  let validators: ReturnType<typeof buildValidators>;

  beforeAll(async () => {
    harness = await startHarness({
      fillMode: 'manual',
      bars: [0, 1, 2, 3, 4].flatMap((m) =>
        ['AAPL', 'SPY'].map((symbol) => ({ symbol, timestamp: Date.UTC(2025, 6, 8, 13, 30 + m), open: 200, high: 201.5, low: 199.25, close: 200.75, volume: 1200 })),
      ),
    });
    validators = buildValidators();
  });
  afterAll(async () => {
    await harness.close();
  });

  it('validates every answer of a session that uses every endpoint, successes and errors alike', async () => {
    const { fake, broker } = harness;
    const headers = { 'APCA-API-KEY-ID': fake.keyId, 'APCA-API-SECRET-KEY': fake.secretKey };
    const call = (method: string, url: string) => fetch(`${fake.url}${url}`, { method, headers }).then((response) => response.arrayBuffer());

    const buy = intent({ symbol: 'AAPL', quantity: 4 });
    const state = await broker.submit(buy);
    fake.book.fill(state.brokerOrderId as string, { qty: 1 });
    fake.book.fill(state.brokerOrderId as string);
    await broker.submit(buy); // 422 duplicate, then lookup
    const resting = await broker.submit(intent({ symbol: 'SPY', type: 'limit', limitPrice: toMoney(450), quantity: 1 }));
    await expect(broker.submit(intent({ symbol: 'SPY', side: 'sell', quantity: 1 }))).rejects.toThrow(/wash trade/); // 403
    await expect(broker.submit(intent({ symbol: 'MSFT', quantity: 100_000 }))).rejects.toThrow(/buying power/); // 403
    await broker.openOrders();
    await broker.positions();
    await broker.account();
    expect(await broker.getOrder('t-none-202507081431-1')).toBeNull(); // 404
    await call('GET', `/v2/orders/${String(state.brokerOrderId)}`);
    await broker.cancel(resting.clientOrderId); // 204
    await call('DELETE', `/v2/orders/${String(resting.brokerOrderId)}`); // 422 not cancelable
    await call('GET', '/v2/account/activities/FILL?direction=asc');
    fake.injectFault({ operation: 'getAccount', respond: 429, times: 3 });
    await expect(broker.account()).rejects.toThrow();
    fake.injectFault({ operation: 'getAllOpenPositions', respond: 500, times: 3 });
    await expect(broker.positions()).rejects.toThrow();
    // Alpaca's rules beyond the happy path: an order replaced at Alpaca, one expired.
    const working = await broker.submit(intent({ symbol: 'AAPL', type: 'limit', limitPrice: toMoney(150), quantity: 3 }));
    fake.book.fill(fake.book.replace(working.brokerOrderId as string, { limitPrice: 151 }).id, { qty: 1, price: 151 });
    const stale = await broker.submit(intent({ symbol: 'MSFT', type: 'limit', limitPrice: toMoney(90), quantity: 1 }));
    fake.book.expire(stale.brokerOrderId as string);

    const limiter = createAlpacaLimiter();
    const calendar = await AlpacaCalendar.load({
      keyId: fake.keyId,
      secretKey: fake.secretKey,
      paper: true,
      tradingUrl: fake.url,
      limiter,
      logger: silentLog,
      from: '2025-07-01',
      to: '2025-07-10',
    });
    await calendar.clock();
    const data = new AlpacaMarketData({ keyId: fake.keyId, secretKey: fake.secretKey, dataUrl: fake.url, feed: 'iex', limiter, logger: silentLog, pageLimit: 3 });
    await data.fetchBars(['AAPL', 'SPY'], Date.UTC(2025, 6, 8, 13, 30), Date.UTC(2025, 6, 8, 13, 35));
    await data.latestBars(['AAPL', 'SPY']);
    await call('GET', '/v2/stocks/bars?symbols=SPY&timeframe=1Hour'); // 400

    await waitFor(() => fake.streamFrames.length >= 5, 'the trade updates');

    const exchanges = fake.exchanges.filter((exchange) => exchange.status !== 0);
    const covered = new Set(exchanges.filter((e) => e.status < 300).map((e) => e.operation));
    expect([...covered].sort()).toEqual(Object.keys(SPEC_PATH).sort());
    expect(new Set(exchanges.map((e) => e.status))).toEqual(new Set([200, 204, 400, 403, 404, 422, 429, 500]));
    const problems: string[] = [];
    for (const exchange of exchanges) {
      const problem = checkExchange(exchange);
      if (problem !== null) problems.push(`${exchange.operation} ${String(exchange.status)}: ${problem}`);
    }
    expect(problems).toEqual([]);
  });

  /** What is wrong with a recorded answer according to the spec, or null. */
  function checkExchange(exchange: RecordedExchange): string | null {
    if (exchange.status === 204) return exchange.body === undefined ? null : 'a 204 with a body';
    if (exchange.operation === 'getAccountActivitiesByActivityType' && exchange.status < 300) {
      // The spec's items are `oneOf: [TradingActivities, NonTradeActivities]`: two open schemas that both match any
      // object, so that oneOf can never pass. A FILL activity is checked against TradingActivities itself.
      const item = validators.schema('TradingActivities');
      if (!Array.isArray(exchange.body)) return 'not an array';
      for (const activity of exchange.body) if (!item(activity)) return JSON.stringify(item.errors?.slice(0, 3));
      return null;
    }
    const validate = validators.response(exchange.operation, exchange.status);
    return validate(exchange.body) ? null : JSON.stringify(validate.errors?.slice(0, 3));
  }

  it('validates every trade-update frame: event, Order, and the fill fields Alpaca adds', () => {
    const events = new Set(harness.fake.streamFrames.map((frame) => frame.event));
    expect(events).toEqual(new Set(['new', 'partial_fill', 'fill', 'pending_cancel', 'canceled', 'pending_replace', 'replaced', 'expired']));
    checkFrames(harness.fake.streamFrames);
  });

  it('validates the answers and frames of a day with market hours: 429 with Retry-After, orders queued after the close, expiry at the close', async () => {
    const start = Date.parse('2025-07-08T19:58:00Z'); // 15:58 New York; advanceTo moves the fake's clock
    const dayHarness = await startHarness({ marketHours: true, now: () => start, serverRateLimit: { limit: 2, windowMs: 60_000 } }, { getRetries: 0 });
    try {
      const { fake, broker } = dayHarness;
      const resting = await broker.submit(intent({ symbol: 'SPY', type: 'limit', limitPrice: toMoney(400), quantity: 1 }));
      fake.advanceTo(Date.parse('2025-07-08T20:05:00Z')); // 16:00 rings: the resting day order expires
      const queued = await broker.submit(intent({ symbol: 'AAPL', quantity: 1 })); // after the close: accepted, waits
      expect(queued.status).toBe('accepted');
      expect(fake.book.orders.get(queued.brokerOrderId as string)?.status).toBe('accepted');
      await expect(broker.account()).rejects.toThrow(/rate limit/); // the 3rd request of the minute: 429
      expect(fake.exchanges.at(-1)?.status).toBe(429);
      const again = await fetch(`${fake.url}/v2/account`, { headers: { 'APCA-API-KEY-ID': fake.keyId, 'APCA-API-SECRET-KEY': fake.secretKey } });
      expect(again.status).toBe(429);
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(again.headers.get('x-ratelimit-remaining')).toBe('0');
      fake.advanceTo(Date.parse('2025-07-09T13:31:00Z')); // 09:30 rings: the queued order is routed and fills
      expect(fake.book.orders.get(queued.brokerOrderId as string)?.status).toBe('filled');
      expect(fake.book.orders.get(resting.brokerOrderId as string)?.status).toBe('expired');
      await waitFor(() => fake.streamFrames.filter((frame) => frame.event === 'fill').length === 1, 'the fill at the open');
      expect(fake.streamFrames.map((frame) => frame.event)).toEqual(['new', 'expired', 'accepted', 'new', 'fill']);
      checkFrames(fake.streamFrames);
      const problems = fake.exchanges.flatMap((exchange) => {
        const problem = checkExchange(exchange);
        return problem === null ? [] : [`${exchange.operation} ${String(exchange.status)}: ${problem}`];
      });
      expect(problems).toEqual([]);
    } finally {
      await dayHarness.close();
    }
  });

  function checkFrames(frames: readonly TradeUpdateData[]): void {
    const order = validators.schema('Order');
    for (const frame of frames) {
      expect(order(frame.order), JSON.stringify(order.errors)).toBe(true);
      expect(frame.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      expect(typeof frame.execution_id).toBe('string');
      if (frame.event === 'fill' || frame.event === 'partial_fill') {
        expect(frame.price).toMatch(/^\d+(\.\d+)?$/);
        expect(frame.qty).toMatch(/^\d+$/);
        expect(frame.position_qty).toMatch(/^-?\d+$/);
      }
    }
  }
});
