/**
 * Netted execution through the fake Alpaca: a season where teams trade opposite sides of the same
 * symbols in the same minutes. No order may be refused as a wash trade, every accepted team order ends
 * filled exactly once by its allocation, the books equal the fills, and the account's positions equal
 * the sum of the team positions (plus what the net orders filled that is not allocated yet) every minute.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bookPositions, closingBars, runSeason, SEASON_START, type Season } from '../../fixtures/fakeAlpaca/nettingSeason.ts';
import { waitFor } from '../alpaca/support.ts';

let season: Season | undefined;
afterEach(async () => {
  await season?.venue.close();
  await season?.broker.close();
  await season?.fake.close();
  season = undefined;
});

async function accountPositions(current: Season): Promise<Map<string, number>> {
  return new Map((await current.broker.positions()).map((position) => [position.symbol, position.quantity]));
}

async function expectBooksMatchAccount(current: Season): Promise<void> {
  const books = await bookPositions(current.books);
  // Net orders filled at the broker whose group is not settled yet are in the account, not yet in the books.
  for (const record of current.store.all()) {
    if (record.settled || record.state === null || record.group.side === null) continue;
    const signed = record.group.side === 'buy' ? record.state.filledQuantity : -record.state.filledQuantity;
    books.set(record.group.symbol, (books.get(record.group.symbol) ?? 0) + signed);
  }
  const account = await accountPositions(current);
  for (const symbol of current.symbols) expect(books.get(symbol) ?? 0, symbol).toBe(account.get(symbol) ?? 0);
}

describe('netted execution through the fake Alpaca', () => {
  it('a season of 60 teams on 3 symbols: 0 wash-trade refusals, fills applied once, books = fills = account', async () => {
    season = await runSeason({
      teams: 60,
      symbols: 3,
      minutes: 12,
      activity: 0.6,
      minuteMs: 150,
      afterMinute: async (current) => expectBooksMatchAccount(current),
    });
    const { fake, books, store } = season;

    // Nothing refused by Alpaca at all, in particular no wash trade; one order per (minute, symbol, side) at most.
    const posts = fake.exchanges.filter((exchange) => exchange.operation === 'postOrder');
    expect(posts.filter((post) => post.status !== 200)).toEqual([]);
    const records = store.all();
    expect(records.length).toBeGreaterThan(0);
    expect(posts.length).toBe(records.filter((record) => record.group.side !== null).length);
    expect(records.some((record) => record.group.members.some((m) => m.side === 'buy') && record.group.members.some((m) => m.side === 'sell'))).toBe(true);
    for (const record of records)
      expect(fake.book.orders.size === 0 || record.group.netClientOrderId === null || fake.ordersWithClientId(record.group.netClientOrderId).length === 1).toBe(true);

    // Every group settled, every member filled in full (the fake fills market orders in full), each once.
    expect(records.every((record) => record.settled)).toBe(true);
    const orders = await books.openOrders();
    expect(orders).toEqual([]);
    const members = records.flatMap((record) => record.group.members);
    for (const member of members) {
      const order = await books.getOrder(member.clientOrderId);
      expect(order?.status, member.clientOrderId).toBe('filled');
      expect(order?.filledQuantity).toBe(member.quantity);
    }
    const executions = records.flatMap((record) => record.allocation ?? []).map((fill) => fill.executionId);
    expect(new Set(executions).size).toBe(executions.length);
    expect(executions.length).toBe(members.length);

    // One price per group.
    for (const record of records) expect(new Set((record.allocation ?? []).map((fill) => fill.price)).size).toBeLessThanOrEqual(1);

    // Books = fills: each team's position is the sum of its allocations; the account = the books.
    const fromFills = new Map<string, number>();
    for (const fill of records.flatMap((record) => record.allocation ?? [])) {
      const teamId = /^t-(.+)-\d{12}-\d+$/.exec(fill.clientOrderId)![1]!;
      const key = `${teamId}|${fill.symbol}`;
      fromFills.set(key, (fromFills.get(key) ?? 0) + (fill.side === 'buy' ? fill.quantity : -fill.quantity));
    }
    for (const book of await books.loadBooks()) {
      for (const [symbol, position] of Object.entries(book.positions)) expect(position.quantity, `${book.teamId} ${symbol}`).toBe(fromFills.get(`${book.teamId}|${symbol}`) ?? 0);
    }
    await expectBooksMatchAccount(season);
  }, 60_000);

  it('partial fills, canceled remainders and net orders still open into the next minute: allocated pro rata, never a wash trade', async () => {
    const carried = new Set<string>();
    const minutes = 10;
    season = await runSeason({
      teams: 40,
      symbols: 2,
      minutes,
      activity: 0.7,
      minuteMs: 250,
      seed: 7,
      fillMode: 'manual',
      afterMinute: async (current, index) => {
        const { fake } = current;
        const ended: string[] = [];
        for (const order of [...fake.book.orders.values()]) {
          if (!fake.book.isOpen(order)) continue;
          const hash = [...order.clientOrderId].reduce((sum, char) => sum + char.charCodeAt(0), 0);
          if (carried.has(order.id) || index >= minutes - 1) {
            fake.book.fill(order.id); // the rest, a minute late
          } else if (hash % 3 === 0) {
            carried.add(order.id); // stays open into the next minute
            continue;
          } else {
            const part = Math.floor(order.qty * 0.6);
            if (part > 0) fake.book.fill(order.id, { qty: part });
            fake.book.cancel(order.id);
          }
          ended.push(order.clientOrderId);
        }
        await waitFor(
          () =>
            current.store
              .all()
              .every((record) => !ended.includes(record.group.netClientOrderId ?? '') || (record.state !== null && ['filled', 'canceled'].includes(record.state.status))),
          'the ended net orders on the stream',
        );
        await current.venue.idle();
        await expectBooksMatchAccount(current);
      },
    });
    // Whatever waited for an opposite open order is sent and settled now.
    for (let extra = 1; extra <= 3; extra += 1) {
      const minute = SEASON_START + (minutes + extra) * 60_000;
      await season.venue.settle(minute, closingBars(season, minute));
      for (const order of [...season.fake.book.orders.values()]) if (season.fake.book.isOpen(order)) season.fake.book.fill(order.id);
      await waitFor(
        () => season!.store.all().every((record) => record.state === null || !['accepted', 'partially_filled', 'pending_submit'].includes(record.state.status)),
        'net orders ended',
      );
      await season.venue.settle(minute, closingBars(season, minute));
    }
    const { fake, books, store } = season;
    const posts = fake.exchanges.filter((exchange) => exchange.operation === 'postOrder');
    expect(posts.filter((post) => post.status !== 200).map((post) => JSON.stringify(post.body))).toEqual([]);
    const records = store.all();
    expect(records.every((record) => record.settled)).toBe(true);
    expect(records.some((record) => record.state !== null && record.state.filledQuantity > 0 && record.state.filledQuantity < record.group.netQuantity)).toBe(true);
    expect(await books.openOrders()).toEqual([]);
    for (const record of records) {
      const allocation = record.allocation ?? [];
      const signed = allocation.reduce((sum, fill) => sum + (fill.side === 'buy' ? fill.quantity : -fill.quantity), 0);
      const filled = record.state?.filledQuantity ?? 0;
      expect(signed).toBe(record.group.side === 'sell' ? -filled : filled);
      for (const fill of allocation) {
        const order = await books.getOrder(fill.clientOrderId);
        expect(order?.filledQuantity).toBe(fill.quantity);
      }
    }
    await expectBooksMatchAccount(season);
  }, 60_000);
});
