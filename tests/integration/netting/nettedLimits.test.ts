/**
 * What limit orders do under netted execution today (README "Trading on Alpaca"), through the fake Alpaca
 * with its wash-trade rule, the Postgres ledger and PgNetStore: limit orders are not netted; each goes to
 * Alpaca under its team's own id as a day order, before the minute's net orders and only while no opposite
 * net order of its symbol is open; a resting one holds an opposite net order back (never a wash-trade
 * refusal) until it ends or 5 minutes pass, after which the crossed teams fill at the next bar's open and
 * the rest of the net side is canceled; another team's limit order opposite a resting one waits, pending,
 * until that has ended (Alpaca would refuse it as a wash trade).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bar } from '../../../data/market/bar.ts';
import { PgNetStore } from '../../../server/ledger/netGroups.ts';
import { toMoney } from '../../../server/trading/money.ts';
import { groupKey } from '../../../server/trading/netting/netStore.ts';
import { netClientOrderId } from '../../../server/trading/netting/netting.ts';
import { NettedVenue } from '../../../server/trading/netting/nettedVenue.ts';
import type { OrderIntent } from '../../../server/trading/types.ts';
import { startHarness, waitFor, type BrokerHarness } from '../alpaca/support.ts';
import { intentFor, MINUTE, openLedgerDatabase, type LedgerDatabase } from '../ledger/support.ts';

const M = (index: number): number => MINUTE + index * 60_000;
const teams = ['alpha', 'bravo', 'charlie', 'delta'];

let db: LedgerDatabase;
let harness: BrokerHarness;
let venue: NettedVenue;
let store: PgNetStore;

beforeAll(async () => {
  db = await openLedgerDatabase();
  for (const team of teams) await db.addTeam(team);
  harness = await startHarness({ prices: { SPY: 500 } });
  store = new PgNetStore(db.pool);
  venue = new NettedVenue({ books: db.ledger, broker: harness.broker, store, limiter: { acquire: () => Promise.resolve() } });
  venue.listen();
}, 60_000);

afterAll(async () => {
  await venue?.close();
  await harness?.close();
  await db?.close();
});

/** A bar of SPY opening at `open` dollars. */
const barAt = (minute: number, open = 500): Map<string, Bar> => new Map([['SPY', { symbol: 'SPY', timestamp: minute, open, high: open, low: open, close: open, volume: 100 }]]);
const market = (team: string, side: 'buy' | 'sell', quantity: number, minute: number, seq = 1): OrderIntent =>
  intentFor(team, seq, { side, quantity, referencePrice: toMoney(500) }, minute);
const limit = (team: string, side: 'buy' | 'sell', quantity: number, price: number, minute: number, seq = 2): OrderIntent =>
  intentFor(team, seq, { side, quantity, type: 'limit', limitPrice: toMoney(price), referencePrice: toMoney(500) }, minute);
const order = (intent: OrderIntent) => db.ledger.getOrder(intent.clientOrderId);
const atAlpaca = (intent: OrderIntent | string) => harness.fake.book.byClientId(typeof intent === 'string' ? intent : intent.clientOrderId);
const washTrades = () => harness.fake.exchanges.filter((exchange) => exchange.operation === 'postOrder' && exchange.status === 403);
/** Polls until Alpaca's stream has brought the venue `status` for the net order of (minute, SPY). */
const netReaches = (minute: number, status: string) => expect.poll(async () => (await store.find([groupKey(minute, 'SPY')]))[0]?.state?.status, { timeout: 10_000 }).toBe(status);
/** Polls until Alpaca's stream has brought the books `status` for a team's own (limit) order. */
const booksReach = (intent: OrderIntent, status: string) => expect.poll(async () => (await order(intent))?.status, { timeout: 10_000 }).toBe(status);

describe('limit orders under netted execution', { timeout: 60_000 }, () => {
  it('go per team, before the net orders and never against an open opposite order; a resting one holds an opposite net order back for at most 5 minutes', async () => {
    // Minute 0: everyone buys 20 (one net order), settled at minute 1.
    await db.ledger.recordIntents(teams.map((team) => market(team, 'buy', 20, M(0))));
    await venue.submit(M(1));
    await netReaches(M(0), 'filled');
    expect((await venue.settle(M(1), barAt(M(1)))).settled).toBe(1);

    // Minute 1: bravo offers 10 at $550 (not marketable), alpha and charlie buy 5 and 3 at market.
    const offer = limit('bravo', 'sell', 10, 550, M(1));
    const buys = [market('alpha', 'buy', 5, M(1)), market('charlie', 'buy', 3, M(1))];
    await db.ledger.recordIntents([offer, ...buys]);
    await venue.submit(M(2));
    // The limit order is at Alpaca under bravo's own id, resting; the net buy of 8 is held back (it would be
    // refused as a wash trade), the teams' market orders accepted by the venue and waiting.
    expect([atAlpaca(offer)?.type, atAlpaca(offer)?.status, atAlpaca(offer)?.qty]).toEqual(['limit', 'new', 10]);
    const netBuy = netClientOrderId(M(1), 'SPY', 'buy');
    expect(atAlpaca(netBuy)).toBeUndefined();
    expect(await Promise.all(buys.map(async (intent) => (await order(intent))?.status))).toEqual(['accepted', 'accepted']);

    // Minute 2: delta bids 5 at $450 while bravo's offer rests: it waits, pending (Alpaca would refuse it
    // as a wash trade), and so does the net buy.
    const bid = limit('delta', 'buy', 5, 450, M(2));
    await db.ledger.recordIntents([bid]);
    await venue.submit(M(3));
    expect(atAlpaca(bid)).toBeUndefined();
    expect((await order(bid))?.status).toBe('pending_submit');
    expect(atAlpaca(netBuy)).toBeUndefined();
    expect((await venue.settle(M(3), barAt(M(3)))).waiting).toBe(1);

    // bravo cancels its offer: the next pass sends delta's bid (it rests) and the net buy (the same side),
    // and the next fills stage allocates the net buy.
    await harness.broker.cancel(offer.clientOrderId);
    await waitFor(() => atAlpaca(offer)?.status === 'canceled', 'the offer canceled');
    await booksReach(offer, 'canceled');
    await venue.submit(M(4));
    expect([atAlpaca(bid)?.type, atAlpaca(bid)?.status]).toEqual(['limit', 'new']);
    expect([atAlpaca(netBuy)?.qty, atAlpaca(netBuy)?.status]).toEqual([8, 'filled']);
    await netReaches(M(1), 'filled');
    expect((await venue.settle(M(4), barAt(M(4)))).settled).toBe(1);
    for (const intent of buys) expect([(await order(intent))?.status, (await order(intent))?.filledQuantity]).toEqual(['filled', intent.quantity]);
    await harness.broker.cancel(bid.clientOrderId);
    await booksReach(bid, 'canceled');

    // Minute 4: bravo offers again (it rests); alpha buys 4, delta sells 1 at market: the net buy of 3 waits.
    const offer2 = limit('bravo', 'sell', 10, 550, M(4));
    const crossing = [market('alpha', 'buy', 4, M(4)), market('delta', 'sell', 1, M(4))];
    await db.ledger.recordIntents([offer2, ...crossing]);
    await venue.submit(M(5));
    expect(atAlpaca(offer2)?.status).toBe('new');
    for (let index = 5; index <= 8; index++) {
      await venue.submit(M(index) + 30_000);
      expect((await venue.settle(M(index) + 30_000, barAt(M(index) + 30_000))).settled).toBe(0);
    }
    // More than 5 minutes after its minute the net order is not sent any more: delta's sell crosses alpha's
    // buy at the next bar's open ($501), alpha gets that 1 share of its 4, and the rest is canceled.
    const late = await venue.settle(M(9) + 30_000, barAt(M(9) + 30_000, 501));
    expect(late.settled).toBe(1);
    expect(late.fills.map(({ fill }) => [fill.clientOrderId, fill.quantity, fill.price])).toEqual([
      [crossing[0]!.clientOrderId, 1, toMoney(501)],
      [crossing[1]!.clientOrderId, 1, toMoney(501)],
    ]);
    expect([(await order(crossing[0]!))?.status, (await order(crossing[0]!))?.filledQuantity]).toEqual(['canceled', 1]);
    expect(atAlpaca(netClientOrderId(M(4), 'SPY', 'buy'))).toBeUndefined();
    await harness.broker.cancel(offer2.clientOrderId);
    await waitFor(() => atAlpaca(offer2)?.status === 'canceled', 'the second offer canceled');
    await booksReach(offer2, 'canceled');

    // Minute 11: a net order that stays open (Alpaca fills it later) holds back an opposite limit order
    // until it has ended; the limit order then goes out with the next pass.
    harness.fake.book.fillMode = 'manual';
    await db.ledger.recordIntents([market('alpha', 'buy', 2, M(11))]);
    await venue.submit(M(12));
    const openNet = atAlpaca(netClientOrderId(M(11), 'SPY', 'buy'));
    expect(openNet?.status).toBe('new');
    const offer3 = limit('charlie', 'sell', 3, 550, M(12));
    await db.ledger.recordIntents([offer3]);
    await venue.submit(M(13));
    expect(atAlpaca(offer3)).toBeUndefined();
    expect((await order(offer3))?.status).toBe('pending_submit');
    harness.fake.book.fill(openNet!.id);
    await netReaches(M(11), 'filled');
    await venue.submit(M(13) + 30_000);
    expect(atAlpaca(offer3)?.status).toBe('new');
    harness.fake.book.fillMode = 'immediate';

    // Minute 13: two opposite limit orders in one pass: the first (alpha's bid, by team) goes out and rests,
    // bravo's offer waits for it.
    await harness.broker.cancel(offer3.clientOrderId);
    await booksReach(offer3, 'canceled');
    const [bid2, offer4] = [limit('alpha', 'buy', 2, 450, M(13)), limit('bravo', 'sell', 2, 550, M(13))];
    await db.ledger.recordIntents([bid2, offer4]);
    await venue.submit(M(14));
    expect([atAlpaca(bid2)?.status, atAlpaca(offer4)]).toEqual(['new', undefined]);
    expect((await order(offer4))?.status).toBe('pending_submit');
    expect(washTrades()).toEqual([]);
  });
});
