import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../../data/market/bar.ts';
import { MemoryBooks } from '../../../../server/engine/memoryBooks.ts';
import { simExecutionId, simulateMinute, slippedMarketPrice, type SimOpenOrder } from '../../../../server/trading/brokers/sim/fillModel.ts';
import { SimVenue } from '../../../../server/trading/brokers/sim/simVenue.ts';
import { clientOrderId } from '../../../../server/trading/clientOrderId.ts';
import { toMoney } from '../../../../server/trading/money.ts';
import { BrokerError, type BrokerOrderState, type Fill, type OrderIntent } from '../../../../server/trading/types.ts';

/** The one simulated venue on the one fill model, over a backtest's books in memory. */

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

async function market(options: { slippageBps?: number; collarBps?: number; cash?: number } = {}) {
  const books = new MemoryBooks();
  await books.ensureTeamBooks(['alpha', 'beta'], toMoney(options.cash ?? 100_000));
  const venue = new SimVenue({
    books,
    knows: (symbol) => symbol === 'SPY' || symbol === 'QQQ',
    slippageBps: options.slippageBps ?? 0,
    marketBuyCollarBps: options.collarBps ?? 500,
  });
  /** What the engine does with an intent: record (reserve) it, submit it, record the answer. */
  const place = async (order: OrderIntent): Promise<BrokerOrderState> => {
    const [recorded] = await books.recordIntents([order]);
    if (recorded?.outcome !== 'recorded') throw new Error(`not recorded: ${JSON.stringify(recorded)}`);
    const state = await venue.submit(order);
    await books.recordBrokerStates([state]);
    return state;
  };
  const book = async (teamId = 'alpha') => (await books.loadBooks()).find((b) => b.teamId === teamId)!;
  return { books, venue, place, book };
}

describe('the fill model: no look-ahead', () => {
  it('never fills on the bar the order was decided on, only on a later bar, at its open', async () => {
    const { venue, place, book } = await market();
    const order = intent('buy', 'SPY', 10, { minute: at(0) });
    await place(order);
    expect((await venue.advance(at(0), barsOf(bar('SPY', at(0), 99, 101, 98, 100)))).fills).toEqual([]);
    const { fills } = await venue.advance(at(1), barsOf(bar('SPY', at(1), 100.5, 103, 100, 102)));
    expect(fills.map((f) => f.fill)).toEqual([
      {
        executionId: `sim-${order.clientOrderId}-1`,
        clientOrderId: order.clientOrderId,
        brokerOrderId: `sim-${order.clientOrderId}`,
        symbol: 'SPY',
        side: 'buy',
        quantity: 10,
        price: toMoney(100.5),
        at: at(1),
      },
    ]);
    expect(fills[0]?.result.outcome).toBe('applied');
    expect((await book()).positions.SPY?.quantity).toBe(10);
    expect(await venue.getOrder(order.clientOrderId)).toMatchObject({ status: 'filled', filledQuantity: 10 });
  });

  it('leaves an order open while its symbol has no bar (or a zero-volume bar), then fills on the next bar', async () => {
    const { venue, place } = await market();
    await place(intent('buy', 'SPY', 1));
    expect((await venue.advance(at(1), barsOf(bar('QQQ', at(1), 50)))).fills).toEqual([]);
    expect((await venue.advance(at(2), barsOf(bar('SPY', at(2), 101, 101, 101, 101, 0)))).fills).toEqual([]);
    const { fills } = await venue.advance(at(3), barsOf(bar('SPY', at(3), 102)));
    expect(fills.map((f) => [f.fill.price, f.fill.at])).toEqual([[toMoney(102), at(3)]]);
  });
});

describe('the fill model: prices', () => {
  it('moves market buys up and sells down by the slippage, rounded against the order', () => {
    expect(slippedMarketPrice(100, 'buy', 5)).toBe(toMoney(100.05));
    expect(slippedMarketPrice(100, 'sell', 5)).toBe(toMoney(99.95));
    // 100.01 × 1.0005 = 100.060005 → up to 100.0601 for a buy; 100.01 × 0.9995 = 99.959995 → down to 99.9599 for a sell.
    expect(slippedMarketPrice(100.01, 'buy', 5)).toBe(toMoney(100.0601));
    expect(slippedMarketPrice(100.01, 'sell', 5)).toBe(toMoney(99.9599));
    expect(slippedMarketPrice(100.1, 'buy', 0)).toBe(toMoney(100.1));
    expect(slippedMarketPrice(100.1, 'sell', 0)).toBe(toMoney(100.1));
  });

  it('applies slippage to market fills and the books exactly, not to limits', async () => {
    const { venue, place, book } = await market({ slippageBps: 10, cash: 10_000 });
    await place(intent('buy', 'SPY', 3, { ref: 50 }));
    await place(intent('buy', 'QQQ', 1, { ref: 50, limit: 50 }));
    const { fills } = await venue.advance(at(1), barsOf(bar('SPY', at(1), 50.03), bar('QQQ', at(1), 49, 49.5, 48.5, 49)));
    expect(fills.map((f) => f.fill.price)).toEqual([toMoney(50.0801), toMoney(49)]); // 50.03 × 1.001 = 50.08003 → 50.0801
    expect((await book()).cash).toBe(toMoney(10_000) - 3 * toMoney(50.0801) - toMoney(49));
  });

  it('fills limits when the bar trades through them, at the better of open and limit', async () => {
    const { venue, place } = await market();
    await place(intent('buy', 'SPY', 1, { limit: 99 }));
    await place(intent('buy', 'QQQ', 1, { limit: 50, ref: 50 }));
    const first = await venue.advance(at(1), barsOf(bar('SPY', at(1), 100, 101, 99.01, 100), bar('QQQ', at(1), 50.5, 50.6, 49.9, 50.2)));
    expect(first.fills.map((f) => [f.fill.symbol, f.fill.price])).toEqual([['QQQ', toMoney(50)]]);
    const second = await venue.advance(at(2), barsOf(bar('SPY', at(2), 98, 98.5, 97, 98)));
    expect(second.fills.map((f) => [f.fill.symbol, f.fill.price])).toEqual([['SPY', toMoney(98)]]);
  });

  it('cancels a market buy that would fill above its collar, giving its cash back', async () => {
    const { venue, place, book } = await market({ slippageBps: 10, collarBps: 510, cash: 10_000 });
    await place(intent('buy', 'SPY', 10, { ref: 100 }));
    // The collar is 100 × 1.051 = 105.10; the open 105.20 × 1.001 = 105.3052 is above it.
    const { fills, ended } = await venue.advance(at(1), barsOf(bar('SPY', at(1), 105.2)));
    expect(fills).toEqual([]);
    expect(ended.map((e) => [e.state.status, e.state.reason])).toEqual([['canceled', 'market buy would fill at $105.3052, above the price collar $105.10 ($100.00 + 5.1%)']]);
    expect((await book()).reservedCash).toBe(0);
    await place(intent('buy', 'SPY', 10, { ref: 100, minute: at(1) }));
    expect((await venue.advance(at(2), barsOf(bar('SPY', at(2), 104.89)))).fills[0]?.fill.price).toBe(toMoney(104.9949));
  });
});

describe('the venue: acceptance, expiry, cancel, events', () => {
  it('refuses what a broker refuses, and its books refuse what a team cannot pay or deliver', async () => {
    const { venue, books } = await market({ cash: 1_000 });
    await expect(venue.submit(intent('buy', 'SPY', 0))).rejects.toMatchObject({ kind: 'rejected' });
    await expect(venue.submit(intent('buy', 'SPY', 2.5))).rejects.toBeInstanceOf(BrokerError);
    await expect(venue.submit(intent('buy', 'TSLA', 1))).rejects.toThrow('TSLA');
    const [sell, buy] = await books.recordIntents([intent('sell', 'SPY', 1), intent('buy', 'SPY', 11)]);
    expect([sell?.outcome, buy?.outcome]).toEqual(['refused', 'refused']);
    expect(await venue.openOrders()).toEqual([]);
  });

  it('answers a resubmission with the same acceptance, and the books fill it once', async () => {
    const { venue, place, books } = await market();
    const order = intent('buy', 'SPY', 10);
    const first = await place(order);
    expect(await venue.submit({ ...order })).toEqual(first);
    await books.recordBrokerStates([first]);
    expect(await venue.openOrders()).toHaveLength(1);
    expect((await venue.advance(at(1), barsOf(bar('SPY', at(1), 100)))).fills).toHaveLength(1);
    expect((await venue.advance(at(2), barsOf(bar('SPY', at(2), 100)))).fills).toEqual([]);
    const again: Fill = {
      executionId: simExecutionId(order.clientOrderId),
      clientOrderId: order.clientOrderId,
      brokerOrderId: null,
      symbol: 'SPY',
      side: 'buy',
      quantity: 10,
      price: toMoney(100),
      at: at(1),
    };
    expect(await books.applyFills([again])).toMatchObject([{ outcome: 'duplicate' }]);
    expect(await venue.positions()).toEqual([{ symbol: 'SPY', quantity: 10, avgEntryPrice: toMoney(100) }]);
  });

  it("expires day orders at their session's close and releases their reservation", async () => {
    const { venue, place, book } = await market({ cash: 1_000 });
    await place(intent('buy', 'SPY', 5, { limit: 95 }));
    expect((await book()).reservedCash).toBe(toMoney(475));
    const nextMorning = Date.parse('2025-07-09T13:30:00Z');
    const { ended } = await venue.advance(nextMorning, barsOf(bar('SPY', nextMorning, 90)));
    expect(ended.map((e) => [e.state.status, e.state.updatedAt])).toEqual([['expired', Date.parse('2025-07-08T20:00:00Z')]]);
    expect((await book()).reservedCash).toBe(0);
    expect(await venue.openOrders()).toEqual([]);
  });

  it('cancels on request; an unknown id is not_found', async () => {
    const { venue, place } = await market();
    const order = intent('buy', 'SPY', 1);
    await place(order);
    await venue.cancel(order.clientOrderId);
    expect(await venue.getOrder(order.clientOrderId)).toMatchObject({ status: 'canceled' });
    await expect(venue.cancel('t-x-202507081330-9')).rejects.toMatchObject({ kind: 'not_found' });
    expect(await venue.getOrder('t-x-202507081330-9')).toBeNull();
  });

  it('emits acceptances and fills; fills in submission order (minute, team, sequence), deterministically', async () => {
    const { venue, place } = await market({ slippageBps: 3 });
    const fills: Fill[] = [];
    const updates: string[] = [];
    venue.onFill((fill) => fills.push(fill));
    venue.onOrderUpdate((state) => updates.push(`${state.symbol}:${state.status}`));
    await place(intent('buy', 'QQQ', 3, { ref: 50, team: 'beta' }));
    await place(intent('buy', 'SPY', 7));
    await place(intent('buy', 'SPY', 1, { limit: 40 }));
    const result = await venue.advance(at(1), barsOf(bar('QQQ', at(1), 50.17), bar('SPY', at(1), 100.33)));
    expect(fills).toEqual(result.fills.map((f) => f.fill));
    expect(fills.map((f) => f.symbol)).toEqual(['SPY', 'QQQ']); // alpha before beta, whatever the submission or bar order
    expect(updates).toEqual(['QQQ:accepted', 'SPY:accepted', 'SPY:accepted']);
  });
});

describe('the fill model on its own', () => {
  it('ignores orders the venue does not hold yet (pending submission) and orders of this minute', () => {
    const order = intent('buy', 'SPY', 1);
    const bars = barsOf(bar('SPY', at(1), 100));
    const open: SimOpenOrder[] = [
      { intent: order, status: 'pending_submit', filledQuantity: 0 },
      { intent: { ...order, minute: at(1) }, status: 'accepted', filledQuantity: 0 },
    ];
    expect(simulateMinute(open, at(1), bars, { slippageBps: 0, marketBuyCollarBps: 500 })).toEqual([]);
  });
});
