/**
 * The netted venue's rules with a scripted broker and memory books: a zero net sends nothing and fills
 * at the next bar's open; a refused net order still crosses the teams at the next bar's open, the rest of
 * the net side canceled with the reason; an intent arriving after its group was formed is refused, not
 * lost; the allocation's price is the net order's average fill price.
 */
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../../data/market/bar.ts';
import { MemoryBooks } from '../../../../server/engine/memoryBooks.ts';
import { clientOrderId } from '../../../../server/trading/clientOrderId.ts';
import { toMoney } from '../../../../server/trading/money.ts';
import { MemoryNetStore } from '../../../../server/trading/netting/netStore.ts';
import { NettedVenue } from '../../../../server/trading/netting/nettedVenue.ts';
import { BrokerError, type Broker, type BrokerOrderState, type OrderIntent } from '../../../../server/trading/types.ts';

const MINUTE = Date.UTC(2026, 11, 2, 15, 0);
const NOW = MINUTE + 60_000;

function intent(teamId: string, side: 'buy' | 'sell', quantity: number, minute = MINUTE): OrderIntent {
  return {
    clientOrderId: clientOrderId(teamId, minute, 1),
    teamId,
    minute,
    seq: 1,
    symbol: 'AAPL',
    side,
    quantity,
    type: 'market',
    limitPrice: null,
    referencePrice: toMoney(200),
    reason: null,
  };
}

const bars = (at: number, open = 201): Map<string, Bar> => new Map([['AAPL', { symbol: 'AAPL', timestamp: at, open, high: open, low: open, close: open, volume: 100 }]]);

/** Answers submissions with `answer`; remembers what was sent. */
function scriptedBroker(answer: (intent: OrderIntent) => BrokerOrderState | Error): Broker & { sent: OrderIntent[] } {
  const sent: OrderIntent[] = [];
  return {
    name: 'scripted',
    sent,
    submit: (order) => {
      sent.push(order);
      const result = answer(order);
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    },
    getOrder: () => Promise.resolve(null),
    cancel: () => Promise.resolve(),
    openOrders: () => Promise.resolve([]),
    positions: () => Promise.resolve([]),
    account: () => Promise.resolve({ cash: 0, equity: 0, buyingPower: 0 }),
    onFill: () => () => undefined,
    onOrderUpdate: () => () => undefined,
    close: () => Promise.resolve(),
  };
}

async function setUp(broker: Broker, holdings: Record<string, number> = {}) {
  const books = new MemoryBooks();
  await books.ensureTeamBooks(['alpha', 'bravo', 'charlie'], toMoney(100_000));
  // Shares to sell: bought in an earlier minute, filled directly.
  const earlier = MINUTE - 60_000;
  for (const [teamId, quantity] of Object.entries(holdings)) {
    const buy = intent(teamId, 'buy', quantity, earlier);
    await books.recordIntents([buy]);
    await books.applyFill({
      executionId: `seed-${teamId}`,
      clientOrderId: buy.clientOrderId,
      brokerOrderId: null,
      symbol: 'AAPL',
      side: 'buy',
      quantity,
      price: toMoney(200),
      at: MINUTE,
    });
  }
  const store = new MemoryNetStore();
  const venue = new NettedVenue({ books, broker, store, limiter: { acquire: () => Promise.resolve() } });
  return { books, store, venue };
}

describe('NettedVenue', () => {
  it("sends nothing for a zero net and fills both sides at the next bar's open", async () => {
    const broker = scriptedBroker(() => new Error('must not be called'));
    const { books, venue } = await setUp(broker, { bravo: 10 });
    await books.recordIntents([intent('alpha', 'buy', 10), intent('bravo', 'sell', 10)]);
    const results = await venue.submit(NOW);
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    expect(broker.sent).toEqual([]);
    // No bar after the minute yet: waits.
    expect((await venue.settle(MINUTE, new Map())).waiting).toBe(1);
    const settled = await venue.settle(NOW, bars(NOW));
    expect(settled.fills.map(({ fill }) => [fill.clientOrderId, fill.quantity, fill.price])).toEqual([
      [clientOrderId('alpha', MINUTE, 1), 10, toMoney(201)],
      [clientOrderId('bravo', MINUTE, 1), 10, toMoney(201)],
    ]);
    expect((await books.loadBooks()).find((b) => b.teamId === 'alpha')?.positions.AAPL?.quantity).toBe(10);
  });

  it('allocates a filled net order at its average price, one order per (minute, symbol, side)', async () => {
    const broker = scriptedBroker((order) => ({
      clientOrderId: order.clientOrderId,
      brokerOrderId: 'b1',
      symbol: order.symbol,
      side: order.side,
      quantity: order.quantity,
      status: 'filled',
      filledQuantity: order.quantity,
      filledAvgPrice: toMoney(200.5),
      reason: null,
      updatedAt: NOW,
    }));
    const { books, venue, store } = await setUp(broker, { charlie: 60 });
    await books.recordIntents([intent('alpha', 'buy', 100), intent('bravo', 'buy', 50), intent('charlie', 'sell', 60)]);
    await venue.submit(NOW);
    expect(broker.sent.map((o) => [o.clientOrderId, o.side, o.quantity])).toEqual([['n-202612021500-AAPL-buy', 'buy', 90]]);
    // A retried pass sends nothing more.
    await venue.submit(NOW);
    expect(broker.sent).toHaveLength(1);
    const settled = await venue.settle(NOW, bars(NOW));
    expect(settled.fills.map(({ fill }) => [fill.quantity, fill.price, fill.executionId])).toEqual([
      [100, toMoney(200.5), `n-202612021500-AAPL-buy-${clientOrderId('alpha', MINUTE, 1)}`],
      [50, toMoney(200.5), `n-202612021500-AAPL-buy-${clientOrderId('bravo', MINUTE, 1)}`],
      [60, toMoney(200.5), `n-202612021500-AAPL-buy-${clientOrderId('charlie', MINUTE, 1)}`],
    ]);
    expect(store.all().every((r) => r.settled)).toBe(true);
    // Settling again applies nothing twice.
    expect((await venue.settle(NOW + 60_000, bars(NOW + 60_000))).fills).toEqual([]);
  });

  it("a refused net order still crosses the teams at the next bar's open; the rest of the net side is canceled with the reason", async () => {
    const broker = scriptedBroker(() => new BrokerError('insufficient_buying_power', 'insufficient buying power', 403));
    const { books, venue } = await setUp(broker, { charlie: 60 });
    await books.recordIntents([intent('alpha', 'buy', 100), intent('bravo', 'buy', 50), intent('charlie', 'sell', 60)]);
    await venue.submit(NOW);
    const settled = await venue.settle(NOW, bars(NOW));
    expect(settled.fills.map(({ fill }) => [fill.clientOrderId.split('-')[1], fill.quantity, fill.price])).toEqual([
      ['alpha', 40, toMoney(201)],
      ['bravo', 20, toMoney(201)],
      ['charlie', 60, toMoney(201)],
    ]);
    expect(settled.ended.map(({ state }) => [state.clientOrderId.split('-')[1], state.status, state.filledQuantity])).toEqual([
      ['alpha', 'canceled', 40],
      ['bravo', 'canceled', 20],
    ]);
    expect(settled.ended[0]?.state.reason).toContain('insufficient_buying_power');
    expect(await books.openOrders()).toEqual([]);
  });

  it('refuses, with the reason, an intent of a minute whose net order was already formed', async () => {
    const broker = scriptedBroker((order) => ({
      clientOrderId: order.clientOrderId,
      brokerOrderId: 'b1',
      symbol: order.symbol,
      side: order.side,
      quantity: order.quantity,
      status: 'accepted',
      filledQuantity: 0,
      filledAvgPrice: null,
      reason: null,
      updatedAt: NOW,
    }));
    const { books, venue } = await setUp(broker);
    await books.recordIntents([intent('alpha', 'buy', 5)]);
    await venue.submit(NOW);
    const late = { ...intent('bravo', 'buy', 5) };
    await books.recordIntents([late]);
    const results = await venue.submit(NOW);
    expect(results).toEqual([expect.objectContaining({ clientOrderId: late.clientOrderId, outcome: 'rejected', status: 'rejected' })]);
    expect(results[0]?.reason).toContain('net order of AAPL');
  });

  it('holds a net order while an opposite team limit order rests at the broker, and sends it once that has ended; a wash-trade refusal waits, never refuses the teams', async () => {
    let refuseAsWashTrade = false;
    const broker = scriptedBroker((order) =>
      refuseAsWashTrade && order.type === 'market'
        ? new BrokerError('wash_trade', 'potential wash trade detected. use complex orders', 403)
        : {
            clientOrderId: order.clientOrderId,
            brokerOrderId: `b-${order.clientOrderId}`,
            symbol: order.symbol,
            side: order.side,
            quantity: order.quantity,
            status: 'accepted',
            filledQuantity: 0,
            filledAvgPrice: null,
            reason: null,
            updatedAt: NOW,
          },
    );
    const { books, venue, store } = await setUp(broker, { bravo: 10 });
    const limitSell: OrderIntent = { ...intent('bravo', 'sell', 10), type: 'limit', limitPrice: toMoney(250) };
    await books.recordIntents([limitSell, intent('alpha', 'buy', 5)]);
    await venue.submit(NOW);
    expect(broker.sent.map((o) => [o.type, o.side])).toEqual([['limit', 'sell']]);
    expect(store.all()[0]?.state).toBeNull();
    // The limit order ends (canceled by its team): the net buy goes out with the next pass.
    await books.recordBrokerState({
      clientOrderId: limitSell.clientOrderId,
      brokerOrderId: 'b',
      symbol: 'AAPL',
      side: 'sell',
      quantity: 10,
      status: 'canceled',
      filledQuantity: 0,
      filledAvgPrice: null,
      reason: 'canceled',
      updatedAt: NOW + 1,
    });
    refuseAsWashTrade = true; // an opposite order we do not know of
    await venue.settle(NOW, bars(NOW));
    expect(store.all()[0]?.state).toBeNull();
    expect((await books.getOrder(clientOrderId('alpha', MINUTE, 1)))?.status).toBe('accepted');
    refuseAsWashTrade = false;
    await venue.settle(NOW + 60_000, bars(NOW + 60_000));
    expect(broker.sent.map((o) => [o.type, o.side, o.quantity])).toEqual([
      ['limit', 'sell', 10],
      ['market', 'buy', 5],
      ['market', 'buy', 5],
    ]);
    expect(store.all()[0]?.state?.status).toBe('accepted');
  });
});
