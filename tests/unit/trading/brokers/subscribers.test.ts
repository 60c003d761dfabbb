import { describe, expect, it } from 'vitest';
import { BrokerSubscribers } from '../../../../server/trading/brokers/subscribers.ts';
import type { Fill } from '../../../../server/trading/types.ts';

const fill: Fill = { executionId: 'e1', clientOrderId: 't-a-202507081330-1', brokerOrderId: 'b1', symbol: 'SPY', side: 'buy', quantity: 1, price: 6_000_000, at: 0 };

describe('broker subscribers', () => {
  it('gives every listener its own copy, and stops after unsubscribe', () => {
    const subscribers = new BrokerSubscribers();
    const seen: Fill[] = [];
    const stop = subscribers.onFill((f) => {
      f.quantity = 99;
      seen.push(f);
    });
    subscribers.onFill((f) => seen.push(f));
    subscribers.emitFill(fill);
    expect(seen.map((f) => f.quantity)).toEqual([99, 1]);
    expect(fill.quantity).toBe(1);
    stop();
    subscribers.emitFill(fill);
    expect(seen).toHaveLength(3);
  });

  it('delivers to every listener even when one throws; the error goes to the handler', () => {
    const reported: unknown[] = [];
    const subscribers = new BrokerSubscribers((error) => reported.push(error));
    let delivered = 0;
    subscribers.onFill(() => {
      throw new Error('boom');
    });
    subscribers.onFill(() => delivered++);
    subscribers.emitFill(fill);
    expect(delivered).toBe(1);
    expect(reported).toEqual([new Error('boom')]);
  });

  it('without a handler, rethrows after all listeners ran', () => {
    const subscribers = new BrokerSubscribers();
    let delivered = 0;
    subscribers.onOrderUpdate(() => {
      throw new Error('boom');
    });
    subscribers.onOrderUpdate(() => delivered++);
    expect(() =>
      subscribers.emitUpdate({
        clientOrderId: 'x',
        brokerOrderId: null,
        symbol: 'SPY',
        side: 'buy',
        quantity: 1,
        status: 'accepted',
        filledQuantity: 0,
        filledAvgPrice: null,
        reason: null,
        updatedAt: 0,
      }),
    ).toThrow('boom');
    expect(delivered).toBe(1);
  });
});
