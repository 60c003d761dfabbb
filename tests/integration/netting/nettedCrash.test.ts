/**
 * Netted execution with the Postgres ledger and PgNetStore through the fake Alpaca, a process "killed"
 * between every two steps of a minute (the venue throws at that point and is replaced by a new one on new
 * connections, as a restarted worker would be): each retry re-derives the same group and allocation, the
 * net order is sent once, every fill is applied once, and the books equal the account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bar } from '../../../data/market/bar.ts';
import { PgNetStore } from '../../../server/ledger/netGroups.ts';
import type { PgPool } from '../../../data/postgres/pool.ts';
import { toMoney } from '../../../server/trading/money.ts';
import type { NetStore } from '../../../server/trading/netting/netStore.ts';
import { NettedVenue, type NettedBooks } from '../../../server/trading/netting/nettedVenue.ts';
import { startHarness, waitFor, type BrokerHarness } from '../alpaca/support.ts';
import { intentFor, MINUTE, openLedgerDatabase, type LedgerDatabase } from '../ledger/support.ts';

class Crash extends Error {}

/** `target` whose `method` throws once, before or after really doing its work, when armed. */
function crashing<T extends object>(target: T, method: string, when: 'before' | 'after', armed: { on: boolean }): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(object);
      if (property !== method) return bound;
      return async (...args: unknown[]) => {
        if (armed.on && when === 'before') {
          armed.on = false;
          throw new Crash(`killed before ${method}`);
        }
        const result = await bound(...args);
        if (armed.on && when === 'after') {
          armed.on = false;
          throw new Crash(`killed after ${method}`);
        }
        return result;
      };
    },
  });
}

const CRASH_POINTS: Array<{ target: 'store' | 'books'; method: string; when: 'before' | 'after' }> = [
  { target: 'store', method: 'recordGroups', when: 'after' }, // group durable, members not accepted
  { target: 'books', method: 'recordBrokerStates', when: 'after' }, // members accepted, net order not sent
  { target: 'store', method: 'recordNetState', when: 'before' }, // sent to Alpaca, its answer not recorded
  { target: 'store', method: 'recordAllocation', when: 'after' }, // allocation durable, not applied
  { target: 'books', method: 'applyFills', when: 'after' }, // applied, members' ends and settlement not recorded
  { target: 'store', method: 'markSettled', when: 'before' }, // everything but the settled mark
];

let db: LedgerDatabase;
let harness: BrokerHarness;
const teams = ['alpha', 'beta', 'gamma', 'delta'];

beforeAll(async () => {
  db = await openLedgerDatabase();
  for (const team of teams) await db.addTeam(team);
  harness = await startHarness({ prices: { SPY: 500 }, fillMode: 'partial' });
}, 60_000);

afterAll(async () => {
  await harness?.close();
  await db?.close();
});

function barAt(minute: number): Map<string, Bar> {
  return new Map([['SPY', { symbol: 'SPY', timestamp: minute, open: 500, high: 500, low: 500, close: 500, volume: 100 }]]);
}

describe('netted execution survives a kill between any two steps', () => {
  it('redoes each step with the same ids and allocation: one net order each minute, fills once, books = account', async () => {
    let pool: PgPool = db.openPool();
    const venueOn = (store: NetStore, books: NettedBooks, listen = true) => {
      const venue = new NettedVenue({ books, broker: harness.broker, store, limiter: { acquire: () => Promise.resolve() }, lookupAfterMs: 0 });
      if (listen) venue.listen();
      return venue;
    };
    const ref = { referencePrice: toMoney(500) };
    // Minute 0: everyone buys (no crash), so sells are possible after.
    let minute = MINUTE;
    await db.ledger.recordIntents(teams.map((team, index) => intentFor(team, 1, { ...ref, quantity: 40 + index }, minute)));
    let venue = venueOn(new PgNetStore(pool), db.ledger);
    await venue.submit(minute + 60_000);
    await waitFor(() => harness.fake.book.orders.size === 1 && [...harness.fake.book.orders.values()].every((o) => !harness.fake.book.isOpen(o)), 'first net order filled');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await venue.settle(minute + 60_000, barAt(minute + 60_000));
    await venue.close();

    for (const [index, point] of CRASH_POINTS.entries()) {
      minute = MINUTE + (index + 1) * 60_000;
      // Opposite sides in the same minute: alpha and beta buy, gamma and delta sell (net sell or buy by turns).
      const sides = index % 2 === 0 ? (['buy', 'buy', 'sell', 'sell'] as const) : (['sell', 'buy', 'sell', 'buy'] as const);
      await db.ledger.recordIntents(teams.map((team, t) => intentFor(team, 1, { ...ref, side: sides[t]!, quantity: 3 + t * 2 + index }, minute)));
      const armed = { on: true };
      const store = new PgNetStore(pool);
      const crashingStore = point.target === 'store' ? crashing<NetStore>(store, point.method, point.when, armed) : store;
      const crashingBooks = point.target === 'books' ? crashing<NettedBooks>(db.ledger, point.method, point.when, armed) : db.ledger;
      // Killed right after Alpaca answered: the stream's copy of the answer dies with the process too.
      venue = venueOn(crashingStore, crashingBooks, point.method !== 'recordNetState');
      const now = minute + 60_000;
      const next = barAt(minute + 60_000);
      const attempt = async (current: NettedVenue) => {
        await current.submit(now);
        await waitFor(() => [...harness.fake.book.orders.values()].every((o) => !harness.fake.book.isOpen(o)), 'net orders ended');
        await new Promise((resolve) => setTimeout(resolve, 100));
        await current.settle(now, next);
      };
      const crashed = await attempt(venue).then(
        () => null,
        (error: unknown) => error,
      );
      expect(crashed, `${point.when} ${point.method}`).toBeInstanceOf(Crash);
      expect(armed.on, `${point.method} reached`).toBe(false);
      await venue.close();
      // The restarted worker: new connections, new venue, same database.
      pool = db.openPool();
      venue = venueOn(new PgNetStore(pool), db.ledger);
      await attempt(venue);
      // A second pass changes nothing.
      await venue.settle(now + 60_000, barAt(now + 60_000));
      await venue.close();
    }

    const store = new PgNetStore(pool);
    const records = await store.all();
    expect(records.every((record) => record.settled)).toBe(true);
    for (const record of records) {
      if (record.group.netClientOrderId !== null) expect(harness.fake.ordersWithClientId(record.group.netClientOrderId)).toHaveLength(1);
    }
    const members = records.flatMap((record) => record.group.members);
    const [{ count }] = (await db.pool.query<{ count: string }>('SELECT count(*) FROM fills')).rows as [{ count: string }];
    expect(Number(count)).toBe(members.length);
    for (const member of members) {
      const order = await db.ledger.getOrder(member.clientOrderId);
      expect(order?.status, member.clientOrderId).toBe('filled');
    }
    expect(await db.ledger.openOrders()).toEqual([]);
    expect(await db.ledger.auditBooks()).toEqual([]);
    const books = new Map<string, number>();
    for (const book of await db.ledger.loadBooks()) for (const [symbol, p] of Object.entries(book.positions)) books.set(symbol, (books.get(symbol) ?? 0) + p.quantity);
    const account = new Map((await harness.broker.positions()).map((p) => [p.symbol, p.quantity]));
    expect(books.get('SPY')).toBe(account.get('SPY'));
  }, 120_000);
});
