import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../../data/market/bar.ts';
import { SimBroker, slippedMarketPrice } from '../../../../server/trading/brokers/sim/simBroker.ts';
import { clientOrderId } from '../../../../server/trading/clientOrderId.ts';
import { toMoney } from '../../../../server/trading/money.ts';
import { BrokerError, type BrokerOrderState, type Fill, type OrderIntent } from '../../../../server/trading/types.ts';

const T0 = Date.parse('2025-07-08T13:30:00Z');
const at = (n: number): number => T0 + n * 60_000;

function bar(symbol: string, minute: number, open: number, high = open, low = open, close = open, volume = 1000): Bar {
  return { symbol, timestamp: minute, open, high, low, close, volume };
}

const barsOf = (...bars: Bar[]): Map<string, Bar> => new Map(bars.map((b) => [b.symbol, b]));

let seq = 0;
function intent(side: 'buy' | 'sell', symbol: string, quantity: number, options: { minute?: number; limit?: number; ref?: number; team?: string } = {}): OrderIntent {
  seq += 1;
  const minute = options.minute ?? at(0);
  return {
    clientOrderId: clientOrderId(options.team ?? 'alpha', minute, seq),
    teamId: options.team ?? 'alpha',
    minute,
    seq,
    symbol,
    side,
    quantity,
    type: options.limit === undefined ? 'market' : 'limit',
    limitPrice: options.limit === undefined ? null : toMoney(options.limit),
    referencePrice: toMoney(options.ref ?? 100),
    reason: null,
  };
}

function broker(slippageBps = 0, cash = 100_000): SimBroker {
  return new SimBroker({ startingCash: toMoney(cash), symbols: ['SPY', 'QQQ'], slippageBps });
}

describe('SimBroker: no look-ahead', () => {
  it('never fills on the bar of the minute the order was decided on, only on a later bar, at its open', async () => {
    const sim = broker();
    const order = intent('buy', 'SPY', 10, { minute: at(0) });
    await sim.submit(order);
    // The decision bar itself (and an out-of-order stale bar) must not fill it.
    expect(sim.advance(at(0), barsOf(bar('SPY', at(0), 99, 101, 98, 100))).fills).toEqual([]);
    const { fills, updates } = sim.advance(at(1), barsOf(bar('SPY', at(1), 100.5, 103, 100, 102)));
    expect(fills).toEqual([
      { executionId: `sim-${order.clientOrderId}-1`, clientOrderId: order.clientOrderId, brokerOrderId: 'sim-order-1', symbol: 'SPY', side: 'buy', quantity: 10, price: toMoney(100.5), at: at(1) },
    ]);
    expect(updates[0]).toMatchObject({ status: 'filled', filledQuantity: 10, filledAvgPrice: toMoney(100.5) });
  });

  it('leaves an order pending while its symbol has no bar (or a zero-volume bar), then fills on the next bar', () => {
    const sim = broker();
    sim.submitNow(intent('buy', 'SPY', 1));
    expect(sim.advance(at(1), barsOf(bar('QQQ', at(1), 50))).fills).toEqual([]);
    expect(sim.advance(at(2), barsOf(bar('SPY', at(2), 101, 101, 101, 101, 0))).fills).toEqual([]);
    const { fills } = sim.advance(at(3), barsOf(bar('SPY', at(3), 102)));
    expect(fills.map((f) => [f.price, f.at])).toEqual([[toMoney(102), at(3)]]);
  });

  it('refuses minutes that do not increase', () => {
    const sim = broker();
    sim.advance(at(2), barsOf());
    expect(() => sim.advance(at(2), barsOf())).toThrow(/increase/);
  });
});

describe('SimBroker: slippage', () => {
  it('moves market buys up and sells down by the basis points, rounded against the order', () => {
    expect(slippedMarketPrice(100, 'buy', 5)).toBe(toMoney(100.05));
    expect(slippedMarketPrice(100, 'sell', 5)).toBe(toMoney(99.95));
    // 100.01 × 1.0005 = 100.060005 → up to 100.0601 for a buy; 100.01 × 0.9995 = 99.959995 → down to 99.9599 for a sell.
    expect(slippedMarketPrice(100.01, 'buy', 5)).toBe(toMoney(100.0601));
    expect(slippedMarketPrice(100.01, 'sell', 5)).toBe(toMoney(99.9599));
    // Prices whose float product is inexact still land on the grid, never below the open for a buy.
    expect(slippedMarketPrice(100.1, 'buy', 0)).toBe(toMoney(100.1));
    expect(slippedMarketPrice(100.1, 'sell', 0)).toBe(toMoney(100.1));
  });

  it('applies slippage to market fills and the account cash exactly', async () => {
    const sim = broker(10, 10_000);
    sim.submitNow(intent('buy', 'SPY', 3, { ref: 50 }));
    const [fill] = sim.advance(at(1), barsOf(bar('SPY', at(1), 50.03))).fills;
    expect(fill?.price).toBe(toMoney(50.0801)); // 50.03 × 1.001 = 50.08003 → 50.0801
    expect((await sim.account()).cash).toBe(toMoney(10_000) - 3 * toMoney(50.0801));
  });

  it('does not slip limit orders', () => {
    const sim = broker(50);
    sim.submitNow(intent('buy', 'SPY', 1, { limit: 100 }));
    expect(sim.advance(at(1), barsOf(bar('SPY', at(1), 99, 99.5, 98.5, 99))).fills[0]?.price).toBe(toMoney(99));
  });
});

describe('SimBroker: limit orders', () => {
  it('fill when the bar trades through the limit, at the better of open and limit', () => {
    const sim = broker();
    sim.submitNow(intent('buy', 'SPY', 1, { limit: 99 }));
    sim.submitNow(intent('buy', 'QQQ', 1, { limit: 50, ref: 50 }));
    // SPY never trades down to 99: still open. QQQ opens above 50 and trades through: filled at 50.
    const first = sim.advance(at(1), barsOf(bar('SPY', at(1), 100, 101, 99.01, 100), bar('QQQ', at(1), 50.5, 50.6, 49.9, 50.2)));
    expect(first.fills.map((f) => [f.symbol, f.price])).toEqual([['QQQ', toMoney(50)]]);
    // SPY gaps down to open at 98: filled at the open, better than the limit.
    const second = sim.advance(at(2), barsOf(bar('SPY', at(2), 98, 98.5, 97, 98)));
    expect(second.fills.map((f) => [f.symbol, f.price])).toEqual([['SPY', toMoney(98)]]);
  });

  it('sell limits fill at the better of open and limit when the high reaches it', async () => {
    const sim = broker();
    sim.submitNow(intent('buy', 'SPY', 5));
    sim.advance(at(1), barsOf(bar('SPY', at(1), 100)));
    sim.submitNow(intent('sell', 'SPY', 5, { minute: at(1), limit: 102 }));
    expect(sim.advance(at(2), barsOf(bar('SPY', at(2), 100, 101.99, 99, 101))).fills).toEqual([]);
    expect(sim.advance(at(3), barsOf(bar('SPY', at(3), 101, 102.5, 100, 102))).fills[0]?.price).toBe(toMoney(102));
    expect(await sim.positions()).toEqual([]);
    expect((await sim.account()).cash).toBe(toMoney(100_000 - 500 + 510));
  });
});

describe('SimBroker: rejections like a broker', () => {
  const rejectionOf = (fn: () => unknown): BrokerError => {
    try {
      fn();
    } catch (error) {
      if (error instanceof BrokerError) return error;
      throw error;
    }
    throw new Error('expected a BrokerError');
  };

  it('rejects bad quantities and unknown symbols without creating an order', async () => {
    const sim = broker();
    expect(rejectionOf(() => sim.submitNow(intent('buy', 'SPY', 0))).kind).toBe('rejected');
    expect(rejectionOf(() => sim.submitNow(intent('buy', 'SPY', 2.5))).kind).toBe('rejected');
    expect(rejectionOf(() => sim.submitNow(intent('buy', 'TSLA', 1))).message).toContain('TSLA');
    await expect(sim.submit(intent('buy', 'TSLA', 1))).rejects.toBeInstanceOf(BrokerError);
    expect(await sim.openOrders()).toEqual([]);
  });

  it('rejects selling more than the account holds net of open sells (no shorting)', () => {
    const sim = broker();
    expect(rejectionOf(() => sim.submitNow(intent('sell', 'SPY', 1))).message).toContain('available: 0');
    sim.submitNow(intent('buy', 'SPY', 10));
    sim.advance(at(1), barsOf(bar('SPY', at(1), 100)));
    sim.submitNow(intent('sell', 'SPY', 6, { minute: at(1), limit: 110 }));
    expect(rejectionOf(() => sim.submitNow(intent('sell', 'SPY', 5, { minute: at(1) }))).message).toBe('insufficient qty available for order (requested: 5, available: 4)');
    expect(sim.submitNow(intent('sell', 'SPY', 4, { minute: at(1) })).status).toBe('accepted');
  });

  it('rejects buys beyond buying power: cash minus open buy orders of the shared account', async () => {
    const sim = broker(0, 1_000);
    sim.submitNow(intent('buy', 'SPY', 6, { team: 'alpha' }));
    const error = rejectionOf(() => sim.submitNow(intent('buy', 'SPY', 5, { team: 'beta' })));
    expect(error.kind).toBe('insufficient_buying_power');
    expect(error.message).toBe('insufficient buying power: order costs $500.00, buying power $400.00');
    expect((await sim.account()).buyingPower).toBe(toMoney(400));
  });
});

describe('SimBroker: idempotent submit', () => {
  it('returns the same order for a resubmitted client order id, never a second order', async () => {
    const sim = broker();
    const order = intent('buy', 'SPY', 10);
    const first = sim.submitNow(order);
    const again = await sim.submit({ ...order });
    expect(again).toEqual(first);
    expect(await sim.openOrders()).toHaveLength(1);
    expect((await sim.account()).buyingPower).toBe(toMoney(100_000 - 1_000));
    const { fills } = sim.advance(at(1), barsOf(bar('SPY', at(1), 100)));
    expect(fills).toHaveLength(1);
    // After the fill the id still answers with the filled order, and nothing new is created.
    expect(sim.submitNow(order)).toMatchObject({ status: 'filled', filledQuantity: 10 });
    expect(sim.advance(at(2), barsOf(bar('SPY', at(2), 100))).fills).toEqual([]);
    expect(await sim.positions()).toEqual([{ symbol: 'SPY', quantity: 10, avgEntryPrice: toMoney(100) }]);
  });
});

describe('SimBroker: expiry, cancel and listeners', () => {
  it('expires day orders still open at the session close and releases their buying power', async () => {
    const sim = broker(0, 1_000);
    const order = intent('buy', 'SPY', 5, { limit: 95 });
    sim.submitNow(order);
    sim.advance(at(1), barsOf(bar('SPY', at(1), 100)));
    const close = Date.parse('2025-07-08T20:00:00Z');
    const expired = sim.expireOpenOrders(close);
    expect(expired).toEqual([expect.objectContaining({ clientOrderId: order.clientOrderId, status: 'expired', updatedAt: close }) as unknown]);
    expect(await sim.openOrders()).toEqual([]);
    expect((await sim.account()).buyingPower).toBe(toMoney(1_000));
    expect(sim.advance(at(2000), barsOf(bar('SPY', at(2000), 90))).fills).toEqual([]);
  });

  it('cancels open orders; an unknown id is not_found', async () => {
    const sim = broker();
    const order = intent('buy', 'SPY', 1);
    sim.submitNow(order);
    await sim.cancel(order.clientOrderId);
    expect(await sim.getOrder(order.clientOrderId)).toMatchObject({ status: 'canceled' });
    await expect(sim.cancel('t-x-202507081330-9')).rejects.toMatchObject({ kind: 'not_found' });
    expect(await sim.getOrder('t-x-202507081330-9')).toBeNull();
  });

  it('emits accepted, fill and expiry events, and advance returns the same fills', () => {
    const sim = broker();
    const fills: Fill[] = [];
    const updates: BrokerOrderState[] = [];
    sim.onFill((fill) => fills.push(fill));
    const unsubscribe = sim.onOrderUpdate((state) => updates.push(state));
    sim.submitNow(intent('buy', 'SPY', 1));
    sim.submitNow(intent('buy', 'QQQ', 1, { limit: 40, ref: 50 }));
    const result = sim.advance(at(1), barsOf(bar('SPY', at(1), 100), bar('QQQ', at(1), 50)));
    sim.expireOpenOrders(at(2));
    expect(fills).toEqual(result.fills);
    expect(updates.map((u) => `${u.symbol}:${u.status}`)).toEqual(['SPY:accepted', 'QQQ:accepted', 'SPY:filled', 'QQQ:expired']);
    unsubscribe();
    sim.submitNow(intent('buy', 'SPY', 1, { minute: at(3) }));
    expect(updates).toHaveLength(4);
  });

  it('is deterministic: the same submissions and bars give the same fills', () => {
    const run = (): Fill[] => {
      seq = 100;
      const sim = broker(3);
      sim.submitNow(intent('buy', 'SPY', 7));
      sim.submitNow(intent('buy', 'QQQ', 3, { ref: 50, team: 'beta' }));
      return sim.advance(at(1), barsOf(bar('QQQ', at(1), 50.17), bar('SPY', at(1), 100.33))).fills;
    };
    const first = run();
    expect(first.map((f) => f.symbol)).toEqual(['SPY', 'QQQ']); // submission order, not bar order
    expect(run()).toEqual(first);
  });

  it('keeps the account exact over many fills', async () => {
    const sim = broker(7, 1_000_000);
    let expectedCash = toMoney(1_000_000);
    for (let i = 1; i <= 50; i++) {
      const side = i % 2 === 1 ? 'buy' : 'sell';
      sim.submitNow(intent(side, 'SPY', 3, { minute: at(i - 1) }));
      const [fill] = sim.advance(at(i), barsOf(bar('SPY', at(i), 100 + i / 7))).fills;
      if (fill === undefined) throw new Error('expected a fill');
      expect(Number.isInteger(fill.price)).toBe(true);
      expectedCash += (side === 'buy' ? -1 : 1) * 3 * fill.price;
    }
    expect((await sim.account()).cash).toBe(expectedCash);
  });
});

describe('SimBroker: market-buy price collar', () => {
  it('holds buying power at the collar price and cancels a buy that would fill above it', async () => {
    const sim = new SimBroker({ startingCash: toMoney(10_000), symbols: ['SPY'], slippageBps: 10, marketBuyCollarBps: 500 });
    const order = intent('buy', 'SPY', 10, { ref: 100 });
    sim.submitNow(order);
    expect((await sim.account()).buyingPower).toBe(toMoney(10_000 - 1_050));
    // 104.95 × 1.001 = 105.0550 > 105.00: canceled, nothing bought, buying power back.
    const { fills, updates } = sim.advance(at(1), barsOf(bar('SPY', at(1), 104.95)));
    expect(fills).toEqual([]);
    expect(updates).toEqual([
      expect.objectContaining({ status: 'canceled', reason: 'market buy would fill at $105.055, above the price collar $105.00 ($100.00 + 5%)' }) as unknown,
    ]);
    expect((await sim.account()).buyingPower).toBe(toMoney(10_000));
    // Within the collar it fills.
    sim.submitNow(intent('buy', 'SPY', 10, { ref: 100, minute: at(1) }));
    expect(sim.advance(at(2), barsOf(bar('SPY', at(2), 104.89))).fills[0]?.price).toBe(toMoney(104.9949));
  });
});
