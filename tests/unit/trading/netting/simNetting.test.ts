import { describe, expect, it } from 'vitest';
import { simulateMinute, slippedMarketPrice, type SimOpenOrder } from '../../../../server/trading/brokers/sim/fillModel.ts';
import { executionMode } from '../../../../server/trading/netting/executionMode.ts';
import { toMoney } from '../../../../server/trading/money.ts';

const DECIDED = Date.UTC(2026, 11, 2, 15, 0);
const NEXT = DECIDED + 60_000;
const bar = { symbol: 'AAPL', timestamp: NEXT, open: 200, high: 201, low: 199, close: 200.5, volume: 1_000 };

function order(teamId: string, side: 'buy' | 'sell', quantity: number): SimOpenOrder {
  return {
    intent: {
      clientOrderId: `t-${teamId}-202612021500-1`,
      teamId,
      minute: DECIDED,
      seq: 1,
      symbol: 'AAPL',
      side,
      quantity,
      type: 'market',
      limitPrice: null,
      referencePrice: toMoney(200),
      reason: null,
    },
    status: 'accepted',
    filledQuantity: 0,
  };
}

const prices = (orders: SimOpenOrder[], netted: boolean) =>
  simulateMinute(orders, NEXT, new Map([['AAPL', bar]]), { slippageBps: 5, marketBuyCollarBps: 505, netted }).map((d) =>
    d.kind === 'fill' ? [d.fill.clientOrderId, d.fill.price] : null,
  );

describe('netted simulation', () => {
  it('fills every market order of a (minute, symbol) at one price: the open slipped against the net side', () => {
    const buyPrice = slippedMarketPrice(200, 'buy', 5);
    expect(prices([order('a', 'buy', 10), order('b', 'sell', 4)], true)).toEqual([
      ['t-a-202612021500-1', buyPrice],
      ['t-b-202612021500-1', buyPrice],
    ]);
    // Per team: each side pays its own slippage.
    expect(prices([order('a', 'buy', 10), order('b', 'sell', 4)], false)).toEqual([
      ['t-a-202612021500-1', buyPrice],
      ['t-b-202612021500-1', slippedMarketPrice(200, 'sell', 5)],
    ]);
  });

  it('fills a zero net at the plain open', () => {
    expect(prices([order('a', 'buy', 5), order('b', 'sell', 5)], true)).toEqual([
      ['t-a-202612021500-1', toMoney(200)],
      ['t-b-202612021500-1', toMoney(200)],
    ]);
  });

  it('is chosen by the registry: competition.execution; when unset, netted with Alpaca and per-team with the simulated broker', () => {
    expect(executionMode({ broker: { kind: 'alpaca', paper: true }, execution: 'netted' })).toBe('netted');
    expect(executionMode({ broker: { kind: 'alpaca', paper: true }, execution: 'per-team' })).toBe('per-team');
    expect(executionMode({ broker: { kind: 'alpaca', paper: true } })).toBe('netted');
    expect(executionMode({ broker: { kind: 'simulated', paper: true } })).toBe('per-team');
    expect(executionMode({ broker: { kind: 'simulated', paper: true }, execution: 'netted' })).toBe('netted');
  });
});
