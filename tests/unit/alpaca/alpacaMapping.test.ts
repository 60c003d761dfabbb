import { describe, expect, it } from 'vitest';
import { rebaseUrl } from '../../../data/market/alpaca/alpacaFetch.ts';
import { sessionFromAlpacaDay } from '../../../data/market/alpaca/alpacaCalendar.ts';
import { alpacaDecimalToMoney, alpacaWholeQuantity, moneyToAlpacaDecimal } from '../../../server/trading/brokers/alpaca/alpacaDecimal.ts';
import { classifyFailure } from '../../../server/trading/brokers/alpaca/alpacaErrors.ts';
import { executionFromActivity, executionFromTradeUpdate, fillFromExecution, mapOrderStatus, orderStateFromAlpaca } from '../../../server/trading/brokers/alpaca/alpacaOrders.ts';

describe('Alpaca decimal strings onto exact Money', () => {
  it.each([
    ['174.78', 1_747_800],
    ['100000', 1_000_000_000],
    ['0.0001', 1],
    ['-0.98', -9_800],
    ['122011.09751111286868', 1_220_110_975],
    ['1.00005', 10_001],
    ['1.00004999', 10_000],
    ['-1.00005', -10_001],
    ['0.00004', 0],
  ])('%s → %i', (text, money) => {
    expect(alpacaDecimalToMoney(text)).toBe(money);
  });

  it('refuses what is not a decimal', () => {
    expect(() => alpacaDecimalToMoney('1e5')).toThrow(/not a decimal/);
    expect(() => alpacaDecimalToMoney('')).toThrow(/not a decimal/);
  });

  it('reads whole share quantities and refuses fractional ones', () => {
    expect(alpacaWholeQuantity('10', 'qty')).toBe(10);
    expect(alpacaWholeQuantity('-5', 'qty')).toBe(-5);
    expect(alpacaWholeQuantity('3.000', 'qty')).toBe(3);
    expect(() => alpacaWholeQuantity('0.5', 'qty')).toThrow(/whole number of shares/);
  });

  it('writes limit prices without float noise', () => {
    expect(moneyToAlpacaDecimal(1_502_500)).toBe('150.25');
    expect(moneyToAlpacaDecimal(1_500_000)).toBe('150');
    expect(moneyToAlpacaDecimal(1)).toBe('0.0001');
  });
});

describe('Alpaca failures onto BrokerError kinds', () => {
  it.each([
    [422, 'client_order_id must be unique', 'duplicate_client_order_id'],
    [403, 'potential wash trade detected. use complex orders', 'wash_trade'],
    [403, 'insufficient buying power', 'insufficient_buying_power'],
    [403, 'insufficient qty available for order (requested: 1, available: 0)', 'rejected'],
    [403, 'request is not authorized', 'unauthorized'],
    [401, 'request is not authorized', 'unauthorized'],
    [404, 'order not found', 'not_found'],
    [429, 'rate limit exceeded', 'rate_limited'],
    [500, 'internal server error occurred', 'unavailable'],
    [503, 'service unavailable', 'unavailable'],
    [422, 'qty must be > 0', 'rejected'],
    [null, 'no answer from Alpaca (timed out)', 'unavailable'],
  ] as const)('HTTP %s "%s" → %s', (status, message, kind) => {
    expect(classifyFailure({ status, code: undefined, message })).toBe(kind);
  });
});

describe('Alpaca orders and executions', () => {
  it('maps the 17 Alpaca statuses onto ours by filled quantity', () => {
    expect(mapOrderStatus('new', 10, 0)).toBe('accepted');
    expect(mapOrderStatus('pending_new', 10, 0)).toBe('accepted');
    expect(mapOrderStatus('partially_filled', 10, 4)).toBe('partially_filled');
    expect(mapOrderStatus('pending_cancel', 10, 4)).toBe('partially_filled');
    expect(mapOrderStatus('filled', 10, 10)).toBe('filled');
    expect(mapOrderStatus('done_for_day', 10, 10)).toBe('filled');
    expect(mapOrderStatus('canceled', 10, 4)).toBe('canceled');
    expect(mapOrderStatus('replaced', 10, 0)).toBe('canceled');
    expect(mapOrderStatus('expired', 10, 0)).toBe('expired');
    expect(mapOrderStatus('rejected', 10, 0)).toBe('rejected');
  });

  it('turns an SDK order into our state, exactly', () => {
    const state = orderStateFromAlpaca({
      id: 'o-1',
      clientOrderId: 't-alpha-202507081431-1',
      symbol: 'SPY',
      side: 'buy',
      qty: '10',
      filledQty: '4',
      filledAvgPrice: '500.12345',
      status: 'partially_filled',
      updatedAt: new Date(Date.UTC(2025, 6, 8, 14, 31, 5)),
      notional: null,
      type: 'market',
      timeInForce: 'day',
    });
    expect(state).toEqual({
      clientOrderId: 't-alpha-202507081431-1',
      brokerOrderId: 'o-1',
      symbol: 'SPY',
      side: 'buy',
      quantity: 10,
      status: 'partially_filled',
      filledQuantity: 4,
      filledAvgPrice: 5_001_235,
      reason: null,
      updatedAt: Date.UTC(2025, 6, 8, 14, 31, 5),
    });
  });

  it('gives a stream fill and the same FILL activity one execution id', () => {
    const order = {
      id: 'o-1',
      clientOrderId: 'c-1',
      symbol: 'SPY',
      side: 'sell' as const,
      qty: '10',
      filledQty: '7',
      notional: null,
      type: 'market' as const,
      timeInForce: 'day' as const,
    };
    const fromStream = executionFromTradeUpdate({ event: 'partial_fill', order, qty: '3', price: '501.5', timestamp: new Date(1_000) });
    const fromActivity = executionFromActivity(
      {
        id: '20250708143105000::x',
        activity_type: 'FILL',
        order_id: 'o-1',
        symbol: 'SPY',
        side: 'sell',
        qty: '3',
        cum_qty: '7',
        price: '501.5',
        transaction_time: new Date(1_000).toISOString(),
      },
      'c-1',
    );
    expect(fromStream).toEqual(fromActivity);
    expect(fillFromExecution(fromActivity)).toEqual({
      executionId: 'o-1:7',
      clientOrderId: 'c-1',
      brokerOrderId: 'o-1',
      symbol: 'SPY',
      side: 'sell',
      quantity: 3,
      price: 5_015_000,
      at: 1_000,
    });
    expect(executionFromTradeUpdate({ event: 'new', order })).toBeNull();
  });
});

describe('Alpaca plumbing', () => {
  it('rebases SDK URLs onto the configured host, keeping a proxy path prefix', () => {
    expect(rebaseUrl('https://paper-api.alpaca.markets/v2/orders?status=open', 'http://127.0.0.1:9000').toString()).toBe('http://127.0.0.1:9000/v2/orders?status=open');
    expect(rebaseUrl('https://data.alpaca.markets/v2/stocks/bars?symbols=SPY', 'https://proxy.internal/alpaca-data/').toString()).toBe(
      'https://proxy.internal/alpaca-data/v2/stocks/bars?symbols=SPY',
    );
  });

  it('reads calendar days in New York time across DST', () => {
    expect(sessionFromAlpacaDay({ date: '2025-07-03', open: '09:30', close: '13:00' })).toEqual({
      date: '2025-07-03',
      open: Date.UTC(2025, 6, 3, 13, 30),
      close: Date.UTC(2025, 6, 3, 17, 0),
    });
    expect(sessionFromAlpacaDay({ date: new Date('2025-01-02'), open: '09:30', close: '16:00' })).toEqual({
      date: '2025-01-02',
      open: Date.UTC(2025, 0, 2, 14, 30),
      close: Date.UTC(2025, 0, 2, 21, 0),
    });
    expect(() => sessionFromAlpacaDay({ date: '2025-01-02', open: '9:30', close: '16:00' })).toThrow(/HH:MM/);
  });
});
