import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger, LedgerError } from '../../../server/ledger/ledger.ts';
import type { BrokerOrderState, OrderIntent } from '../../../server/trading/types.ts';
import { DOLLAR, fillFor, intentFor, MINUTE, openLedgerDatabase, STARTING_CASH, type LedgerDatabase } from './support.ts';

let db: LedgerDatabase;

beforeAll(async () => {
  db = await openLedgerDatabase();
});
afterAll(async () => {
  await db.close();
});

function stateOf(intent: OrderIntent, overrides: Partial<BrokerOrderState> = {}): BrokerOrderState {
  return {
    clientOrderId: intent.clientOrderId,
    brokerOrderId: `b-${intent.clientOrderId}`,
    symbol: intent.symbol,
    side: intent.side,
    quantity: intent.quantity,
    status: 'accepted',
    filledQuantity: 0,
    filledAvgPrice: null,
    reason: null,
    updatedAt: intent.minute + 1_000,
    ...overrides,
  };
}

async function reservedQuantityOf(clientOrderId: string): Promise<number> {
  const order = await db.ledger.getOrder(clientOrderId);
  if (!order) throw new Error(`no order ${clientOrderId}`);
  return order.reservedQuantity;
}

describe('team books', () => {
  it('creates a book once with the starting cash; a second call changes nothing', async () => {
    await db.pool.query("INSERT INTO teams (id, name, repo) VALUES ('books', 'Books', 'file:///r')");
    const book = await db.ledger.ensureTeamBook('books', STARTING_CASH);
    expect(book).toEqual({ teamId: 'books', cash: 1_000_000_000, reservedCash: 0, positions: {}, realizedPnl: 0, pendingSell: {} });
    expect(await db.ledger.ensureTeamBook('books', 5 * DOLLAR)).toEqual(book);
    const { rows } = await db.pool.query<{ cash: string; starting_cash: string }>("SELECT cash, starting_cash FROM team_books WHERE team_id = 'books'");
    expect(rows).toEqual([{ cash: '100000.0000', starting_cash: '100000.0000' }]);
  });

  it('openMissingBooks opens only the books that are missing and leaves the others as they stand', async () => {
    await db.pool.query("INSERT INTO teams (id, name, repo) VALUES ('open-a', 'A', 'file:///r'), ('open-b', 'B', 'file:///r'), ('open-c', 'C', 'file:///r')");
    await db.ledger.ensureTeamBook('open-a', STARTING_CASH);
    await db.pool.query("UPDATE team_books SET cash = 12.5 WHERE team_id = 'open-a'");
    await db.ledger.openMissingBooks(['open-a', 'open-b', 'open-c'], 5 * DOLLAR);
    await db.ledger.openMissingBooks(['open-b'], STARTING_CASH);
    await db.ledger.openMissingBooks([], STARTING_CASH);
    const { rows } = await db.pool.query<{ team_id: string; cash: string; starting_cash: string }>(
      "SELECT team_id, cash, starting_cash FROM team_books WHERE team_id LIKE 'open-%' ORDER BY team_id",
    );
    expect(rows).toEqual([
      { team_id: 'open-a', cash: '12.5000', starting_cash: '100000.0000' },
      { team_id: 'open-b', cash: '5.0000', starting_cash: '5.0000' },
      { team_id: 'open-c', cash: '5.0000', starting_cash: '5.0000' },
    ]);
    await expect(db.ledger.openMissingBooks(['open-a', 'ghost'], STARTING_CASH)).rejects.toMatchObject({ name: 'LedgerError', kind: 'unknown_team' });
  });

  it('refuses a book for a team that is not registered, and orders for a team without a book', async () => {
    await expect(db.ledger.ensureTeamBook('ghost', STARTING_CASH)).rejects.toMatchObject({ name: 'LedgerError', kind: 'unknown_team' });
    await db.pool.query("INSERT INTO teams (id, name, repo) VALUES ('bookless', 'Bookless', 'file:///r')");
    await expect(db.ledger.recordIntents([intentFor('bookless', 1)])).rejects.toMatchObject({ kind: 'no_book' });
  });
});

describe('recordIntents', () => {
  it('makes intents durable as pending_submit and reserves their cash in the same transaction', async () => {
    await db.addTeam('intents');
    const buy = intentFor('intents', 1, { quantity: 7, referencePrice: 123_4567 });
    const limit = intentFor('intents', 2, { type: 'limit', quantity: 3, limitPrice: 99 * DOLLAR });
    expect(await db.ledger.recordIntents([buy, limit])).toEqual([
      { clientOrderId: buy.clientOrderId, outcome: 'recorded', reason: null },
      { clientOrderId: limit.clientOrderId, outcome: 'recorded', reason: null },
    ]);
    const book = await db.ledger.loadBook('intents');
    expect(book?.reservedCash).toBe(7 * 123_4567 + 3 * 99 * DOLLAR);
    expect(book?.cash).toBe(STARTING_CASH);
    const stored = await db.ledger.getOrder(buy.clientOrderId);
    expect(stored).toMatchObject({ intent: buy, status: 'pending_submit', reservedQuantity: 7, appliedQuantity: 0, filledQuantity: 0 });
    expect(await db.ledger.getOrder(limit.clientOrderId)).toMatchObject({ intent: limit });
    const pending = await db.ledger.pendingSubmissions();
    expect(pending.filter((p) => p.intent.teamId === 'intents').map((p) => p.intent)).toEqual([buy, limit]);
  });

  it('a retried tick recording the same intents changes nothing', async () => {
    await db.addTeam('retry');
    const intents = [intentFor('retry', 1), intentFor('retry', 2, { quantity: 5 })];
    await db.ledger.recordIntents(intents);
    const before = await db.ledger.loadBook('retry');
    const again = await db.ledger.recordIntents(intents);
    expect(again.map((r) => r.outcome)).toEqual(['already_recorded', 'already_recorded']);
    expect(await db.ledger.loadBook('retry')).toEqual(before);
    expect(before?.reservedCash).toBe(15 * 100 * DOLLAR);
    const { rows } = await db.pool.query("SELECT 1 FROM orders WHERE team_id = 'retry'");
    expect(rows).toHaveLength(2);
  });

  it('retried concurrently from two pools, the intents are stored and reserved once', async () => {
    await db.addTeam('race-intents');
    const other = createLedger(db.openPool());
    const intents = [1, 2, 3].map((seq) => intentFor('race-intents', seq));
    const [a, b] = await Promise.all([db.ledger.recordIntents(intents), other.recordIntents(intents)]);
    const outcomes = [...a, ...b].map((r) => r.outcome).sort();
    expect(outcomes).toEqual(['already_recorded', 'already_recorded', 'already_recorded', 'recorded', 'recorded', 'recorded']);
    expect((await db.ledger.loadBook('race-intents'))?.reservedCash).toBe(30 * 100 * DOLLAR);
  });

  it('reports an id reused with different terms as a conflict and keeps the stored order', async () => {
    await db.addTeam('conflict');
    const original = intentFor('conflict', 1);
    await db.ledger.recordIntents([original]);
    const [result] = await db.ledger.recordIntents([{ ...original, quantity: 99 }]);
    expect(result?.outcome).toBe('conflict');
    expect(result?.reason).toMatch(/quantity \(10 ≠ 99\)/);
    expect((await db.ledger.getOrder(original.clientOrderId))?.intent.quantity).toBe(10);
    expect((await db.ledger.loadBook('conflict'))?.reservedCash).toBe(10 * 100 * DOLLAR);
  });

  it('stores an intent the book cannot cover as rejected, reserving nothing, without failing the batch', async () => {
    await db.addTeam('poor');
    const tooBig = intentFor('poor', 1, { quantity: 1_001, referencePrice: 100 * DOLLAR });
    const fits = intentFor('poor', 2, { quantity: 1_000 });
    const sellUnheld = intentFor('poor', 3, { side: 'sell', symbol: 'QQQ', quantity: 1 });
    const results = await db.ledger.recordIntents([tooBig, fits, sellUnheld]);
    expect(results.map((r) => r.outcome)).toEqual(['refused', 'recorded', 'refused']);
    expect(results[0]?.reason).toMatch(/not reserved: .*needs 1001000000 reserved/);
    expect(await db.ledger.getOrder(tooBig.clientOrderId)).toMatchObject({ status: 'rejected', reservedQuantity: 0 });
    expect((await db.ledger.loadBook('poor'))?.reservedCash).toBe(STARTING_CASH);
    const pending = await db.ledger.pendingSubmissions();
    expect(pending.map((p) => p.intent.clientOrderId)).not.toContain(tooBig.clientOrderId);
  });

  it('refuses intents that do not carry their own client order id', async () => {
    await db.addTeam('ids');
    await expect(db.ledger.recordIntents([{ ...intentFor('ids', 1), clientOrderId: 'manual-order-1' }])).rejects.toBeInstanceOf(LedgerError);
    await expect(db.ledger.recordIntents([{ ...intentFor('ids', 1), seq: 2 }])).rejects.toMatchObject({ kind: 'invalid_intent' });
    const { rows } = await db.pool.query("SELECT 1 FROM orders WHERE team_id = 'ids'");
    expect(rows).toHaveLength(0);
  });
});

describe('recordBrokerState', () => {
  it('moves forward only, and a cancel releases the unfilled reservation exactly once', async () => {
    await db.addTeam('cancel');
    const buy = intentFor('cancel', 1);
    await db.ledger.recordIntents([buy]);
    expect(await db.ledger.recordBrokerState(stateOf(buy))).toMatchObject({ outcome: 'advanced', status: 'accepted', released: 0 });
    const canceled = stateOf(buy, { status: 'canceled', reason: 'canceled by user', updatedAt: buy.minute + 5_000 });
    expect(await db.ledger.recordBrokerState(canceled)).toMatchObject({ outcome: 'advanced', status: 'canceled', released: 10 });
    expect((await db.ledger.loadBook('cancel'))?.reservedCash).toBe(0);
    expect(await db.ledger.recordBrokerState(canceled)).toMatchObject({ outcome: 'stale', released: 0 });
    expect(await db.ledger.recordBrokerState(stateOf(buy, { status: 'accepted' }))).toMatchObject({ outcome: 'stale', status: 'canceled' });
    expect((await db.ledger.loadBook('cancel'))?.reservedCash).toBe(0);
    expect(await db.ledger.getOrder(buy.clientOrderId)).toMatchObject({
      status: 'canceled',
      brokerOrderId: `b-${buy.clientOrderId}`,
      brokerReason: 'canceled by user',
      reservedQuantity: 0,
    });
  });

  it('releases exactly once when the same cancel arrives from two pools at once', async () => {
    await db.addTeam('cancel-race');
    const buy = intentFor('cancel-race', 1, { quantity: 4 });
    const keep = intentFor('cancel-race', 2, { quantity: 6 });
    await db.ledger.recordIntents([buy, keep]);
    const other = createLedger(db.openPool());
    const canceled = stateOf(buy, { status: 'canceled' });
    const results = await Promise.all([db.ledger.recordBrokerState(canceled), other.recordBrokerState(canceled), db.ledger.recordBrokerState(canceled)]);
    expect(results.map((r) => r.released).sort()).toEqual([0, 0, 4]);
    expect((await db.ledger.loadBook('cancel-race'))?.reservedCash).toBe(6 * 100 * DOLLAR);
  });

  it('a rejection releases the reservation; a sell rejection releases the pending shares', async () => {
    await db.addTeam('rejects');
    const buy = intentFor('rejects', 1);
    await db.ledger.recordIntents([buy]);
    await db.ledger.applyFill(fillFor(buy, 'rej-x1', 10, 100 * DOLLAR));
    const sell = intentFor('rejects', 1, { side: 'sell', quantity: 4 }, MINUTE + 60_000);
    await db.ledger.recordIntents([sell]);
    expect((await db.ledger.loadBook('rejects'))?.pendingSell).toEqual({ SPY: 4 });
    await db.ledger.recordBrokerState(stateOf(sell, { status: 'rejected', reason: 'wash_trade: potential wash trade detected' }));
    const book = await db.ledger.loadBook('rejects');
    expect(book?.pendingSell).toEqual({});
    expect(book?.reservedCash).toBe(0);
    expect(await db.ledger.getOrder(sell.clientOrderId)).toMatchObject({ status: 'rejected', brokerReason: 'wash_trade: potential wash trade detected' });
  });

  it('partial fills then a cancel: the reservation nets to zero whichever arrives first', async () => {
    await db.addTeam('partial');
    const first = intentFor('partial', 1);
    const second = intentFor('partial', 2);
    await db.ledger.recordIntents([first, second]);
    // Order 1: fills before the cancel.
    await db.ledger.applyFill(fillFor(first, 'p1-a', 3, 101 * DOLLAR));
    await db.ledger.recordBrokerState(stateOf(first, { status: 'canceled', filledQuantity: 3 }));
    // Order 2: the cancel (reporting 4 filled) overtakes its fills.
    expect(await db.ledger.recordBrokerState(stateOf(second, { status: 'canceled', filledQuantity: 4 }))).toMatchObject({ released: 6 });
    expect(await reservedQuantityOf(second.clientOrderId)).toBe(4);
    await db.ledger.applyFill(fillFor(second, 'p2-a', 1, 99 * DOLLAR));
    await db.ledger.applyFill(fillFor(second, 'p2-b', 3, 99 * DOLLAR));
    const book = await db.ledger.loadBook('partial');
    expect(book?.reservedCash).toBe(0);
    expect(book?.cash).toBe(STARTING_CASH - 3 * 101 * DOLLAR - 4 * 99 * DOLLAR);
    expect(book?.positions.SPY).toEqual({ quantity: 7, costBasis: 3 * 101 * DOLLAR + 4 * 99 * DOLLAR, realizedPnl: 0 });
    expect(await db.ledger.getOrder(second.clientOrderId)).toMatchObject({ status: 'canceled', appliedQuantity: 4, filledQuantity: 4, reservedQuantity: 0 });
  });

  it('flags a state for a client id that is not ours, or that contradicts our intent, and applies neither', async () => {
    const foreign = await db.ledger.recordBrokerState({ ...stateOf(intentFor('nobody', 1)), clientOrderId: 'web-order-7f3a' });
    expect(foreign).toMatchObject({ outcome: 'unattributed', teamId: null, reason: 'client order id was not issued by this server' });
    const ourFormat = await db.ledger.recordBrokerState(stateOf(intentFor('nobody', 1)));
    expect(ourFormat).toMatchObject({ outcome: 'unattributed', reason: 'client order id has our format but no intent was recorded for it' });
    await db.addTeam('contradict');
    const buy = intentFor('contradict', 1);
    await db.ledger.recordIntents([buy]);
    const flagged = await db.ledger.recordBrokerState(stateOf(buy, { symbol: 'QQQ', status: 'canceled' }));
    expect(flagged).toMatchObject({ outcome: 'flagged', teamId: 'contradict' });
    expect(await db.ledger.getOrder(buy.clientOrderId)).toMatchObject({ status: 'pending_submit', reservedQuantity: 10 });
    const events = await db.ledger.listUnattributed();
    expect(events.map((e) => e.clientOrderId)).toEqual(expect.arrayContaining(['web-order-7f3a', buy.clientOrderId]));
  });
});

describe('applyFill', () => {
  it('applies a buy and a sell with average cost, realised P&L and the book after each fill on record', async () => {
    await db.addTeam('fills');
    const buy = intentFor('fills', 1, { quantity: 3 });
    await db.ledger.recordIntents([buy]);
    expect(await db.ledger.applyFill(fillFor(buy, 'f-1', 3, 100 * DOLLAR))).toEqual({
      executionId: 'f-1',
      outcome: 'applied',
      teamId: 'fills',
      closedTradePnl: null,
      reason: null,
    });
    const more = intentFor('fills', 2, { quantity: 1, referencePrice: 110 * DOLLAR });
    await db.ledger.recordIntents([more]);
    await db.ledger.applyFill(fillFor(more, 'f-2', 1, 110_0001));
    const sell = intentFor('fills', 1, { side: 'sell', quantity: 1 }, MINUTE + 60_000);
    await db.ledger.recordIntents([sell]);
    const sold = await db.ledger.applyFill(fillFor(sell, 'f-3', 1, 105 * DOLLAR));
    expect(sold).toMatchObject({ outcome: 'applied', closedTradePnl: 25_000 });
    const book = await db.ledger.loadBook('fills');
    expect(book).toEqual({
      teamId: 'fills',
      cash: STARTING_CASH - 300 * DOLLAR - 110_0001 + 105 * DOLLAR,
      reservedCash: 0,
      positions: { SPY: { quantity: 3, costBasis: 3_075_001, realizedPnl: 25_000 } },
      realizedPnl: 25_000,
      pendingSell: {},
    });
    const fills = await db.ledger.listFills('fills');
    expect(fills.map((f) => [f.executionId, f.applied, f.cashAfter, f.positionAfter, f.realizedPnl])).toEqual([
      ['f-1', true, STARTING_CASH - 300 * DOLLAR, 3, null],
      ['f-2', true, STARTING_CASH - 300 * DOLLAR - 110_0001, 4, null],
      ['f-3', true, book?.cash, 3, 25_000],
    ]);
    expect(await db.ledger.getOrder(sell.clientOrderId)).toMatchObject({ status: 'filled', appliedQuantity: 1 });
  });

  it('the same fill delivered twice is applied once', async () => {
    await db.addTeam('twice');
    const buy = intentFor('twice', 1);
    await db.ledger.recordIntents([buy]);
    const fill = fillFor(buy, 'tw-1', 10, 100 * DOLLAR);
    expect((await db.ledger.applyFill(fill)).outcome).toBe('applied');
    expect((await db.ledger.applyFill(fill)).outcome).toBe('duplicate');
    const book = await db.ledger.loadBook('twice');
    expect(book?.cash).toBe(STARTING_CASH - 1_000 * DOLLAR);
    expect(book?.positions.SPY?.quantity).toBe(10);
  });

  it('the same fills delivered concurrently through two pools are applied once each', async () => {
    await db.addTeam('concurrent');
    const buy = intentFor('concurrent', 1, { quantity: 20 });
    await db.ledger.recordIntents([buy]);
    const other = createLedger(db.openPool());
    const fills = [1, 2, 3, 4].map((n) => fillFor(buy, `cc-${n}`, 5, (100 + n) * DOLLAR));
    const deliveries = fills.flatMap((fill) => [db.ledger.applyFill(fill), other.applyFill(fill), other.applyFill(fill)]);
    const results = await Promise.all(deliveries);
    expect(results.filter((r) => r.outcome === 'applied')).toHaveLength(4);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(8);
    const book = await db.ledger.loadBook('concurrent');
    const spent = 5 * (101 + 102 + 103 + 104) * DOLLAR;
    expect(book).toMatchObject({ cash: STARTING_CASH - spent, reservedCash: 0, positions: { SPY: { quantity: 20, costBasis: spent, realizedPnl: 0 } } });
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM fills WHERE team_id = 'concurrent'");
    expect(rows).toEqual([{ n: 4 }]);
  });

  it('a fill for a foreign client id is flagged, stored once, and attributed to nobody', async () => {
    const foreign = { ...fillFor(intentFor('alpha', 1), 'foreign-1', 5, 100 * DOLLAR), clientOrderId: 'dashboard-4411' };
    expect(await db.ledger.applyFill(foreign)).toMatchObject({ outcome: 'unattributed', teamId: null });
    expect(await db.ledger.applyFill(foreign)).toMatchObject({ outcome: 'unattributed' });
    const { rows } = await db.pool.query<{ kind: string; reason: string }>("SELECT kind, reason FROM unattributed_broker_events WHERE execution_id = 'foreign-1'");
    expect(rows).toEqual([{ kind: 'fill', reason: 'client order id was not issued by this server' }]);
    const { rows: attributed } = await db.pool.query("SELECT 1 FROM fills WHERE execution_id = 'foreign-1'");
    expect(attributed).toHaveLength(0);
  });

  it('a fill contradicting its order is flagged; an overfill or a fill the book cannot take is kept but not applied', async () => {
    await db.addTeam('odd-fills');
    const buy = intentFor('odd-fills', 1, { quantity: 5 });
    await db.ledger.recordIntents([buy]);
    expect(await db.ledger.applyFill({ ...fillFor(buy, 'odd-1', 5, DOLLAR), side: 'sell' })).toMatchObject({ outcome: 'flagged' });
    const overfill = await db.ledger.applyFill(fillFor(buy, 'odd-2', 6, DOLLAR));
    expect(overfill.outcome).toBe('refused');
    expect(overfill.reason).toMatch(/overfill/);
    // $1,000,000 a share: far beyond the team's cash; the broker did it, our book cannot.
    const tooDear = await db.ledger.applyFill(fillFor(buy, 'odd-3', 1, 1_000_000 * DOLLAR));
    expect(tooDear.outcome).toBe('refused');
    expect(tooDear.reason).toMatch(/exceeds cash/);
    expect(await db.ledger.applyFill(fillFor(buy, 'odd-3', 1, 1_000_000 * DOLLAR))).toMatchObject({ outcome: 'duplicate' });
    const fills = await db.ledger.listFills('odd-fills');
    expect(fills.map((f) => [f.executionId, f.applied])).toEqual([
      ['odd-2', false],
      ['odd-3', false],
    ]);
    const book = await db.ledger.loadBook('odd-fills');
    expect(book).toMatchObject({ cash: STARTING_CASH, reservedCash: 5 * 100 * DOLLAR, positions: {} });
  });
});

describe('equity snapshots', () => {
  it('marks every team to market, stores each (team, minute) once, and every number traces back to fills', async () => {
    await db.addTeam('trace');
    const buySpy = intentFor('trace', 1, { quantity: 12, referencePrice: 200 * DOLLAR });
    const buyQqq = intentFor('trace', 2, { symbol: 'QQQ', quantity: 5, referencePrice: 400 * DOLLAR });
    await db.ledger.recordIntents([buySpy, buyQqq]);
    await db.ledger.applyFill(fillFor(buySpy, 'tr-1', 12, 200_0100));
    await db.ledger.applyFill(fillFor(buyQqq, 'tr-2', 5, 399_9900));
    const sell = intentFor('trace', 1, { side: 'sell', quantity: 5, referencePrice: 201 * DOLLAR }, MINUTE + 60_000);
    await db.ledger.recordIntents([sell]);
    await db.ledger.applyFill(fillFor(sell, 'tr-3', 5, 201_5000));

    const minute = MINUTE + 2 * 60_000;
    const snapshots = await db.ledger.snapshotEquity(minute, { SPY: 202 * DOLLAR, QQQ: 401_2345 });
    const snapshot = snapshots.find((s) => s.teamId === 'trace');
    expect(snapshots.map((s) => s.teamId)).toEqual(expect.arrayContaining(['trace', 'fills', 'twice']));

    // Rebuild from the fills table alone.
    const fills = await db.ledger.listFills('trace');
    let cash = STARTING_CASH;
    const quantities: Record<string, number> = {};
    for (const fill of fills.filter((f) => f.applied)) {
      const sign = fill.side === 'buy' ? 1 : -1;
      cash -= sign * fill.quantity * fill.price;
      quantities[fill.symbol] = (quantities[fill.symbol] ?? 0) + sign * fill.quantity;
    }
    expect(quantities).toEqual({ SPY: 7, QQQ: 5 });
    const positionsValue = 7 * 202 * DOLLAR + 5 * 401_2345;
    expect(snapshot).toMatchObject({ minute, cash, positionsValue, equity: cash + positionsValue, reservedCash: 0, unpricedSymbols: [] });
    expect(snapshot?.positions).toEqual({
      QQQ: { quantity: 5, price: 401_2345, costBasis: 5 * 399_9900 },
      SPY: { quantity: 7, price: 202 * DOLLAR, costBasis: 12 * 200_0100 - Math.round((12 * 200_0100 * 5) / 12) },
    });
    const realized = 5 * 201_5000 - Math.round((12 * 200_0100 * 5) / 12);
    expect(snapshot?.realizedPnl).toBe(realized);
    expect(snapshot?.unrealizedPnl).toBe(positionsValue - snapshot!.positions.SPY!.costBasis - snapshot!.positions.QQQ!.costBasis);
    // Equity = starting cash + realised + unrealised: the leaderboard number reconciles.
    expect(snapshot?.equity).toBe(STARTING_CASH + realized + snapshot!.unrealizedPnl);

    // A retried tick with other prices keeps the first snapshot of the minute.
    const retried = await db.ledger.snapshotEquity(minute, { SPY: 1, QQQ: 1 });
    expect(retried.find((s) => s.teamId === 'trace')).toEqual(snapshot);
    expect(await db.ledger.listSnapshots('trace')).toEqual([snapshot]);
  });

  it('values a held symbol without a price at cost and records it as unpriced', async () => {
    await db.addTeam('unpriced');
    const buy = intentFor('unpriced', 1, { symbol: 'IWM', quantity: 2 });
    await db.ledger.recordIntents([buy]);
    await db.ledger.applyFill(fillFor(buy, 'up-1', 2, 100 * DOLLAR));
    const [snapshot] = (await db.ledger.snapshotEquity(MINUTE + 10 * 60_000, {})).filter((s) => s.teamId === 'unpriced');
    expect(snapshot).toMatchObject({ equity: STARTING_CASH, positionsValue: 200 * DOLLAR, unrealizedPnl: 0, unpricedSymbols: ['IWM'] });
    expect(snapshot?.positions.IWM?.price).toBeNull();
  });
});

describe('team memory and reconciliation reports', () => {
  it('team memory survives a restart (a new pool on the same database)', async () => {
    await db.addTeam('memory');
    expect(await db.ledger.loadTeamMemory('memory')).toBeNull();
    await db.ledger.saveTeamMemory('memory', { lastSignal: 'buy', streak: 3, nested: { a: [1, 2] } });
    await db.ledger.saveTeamMemory('memory', { lastSignal: 'sell', streak: 4, nested: { a: [1, 2] } });
    const restarted = createLedger(db.openPool());
    expect(await restarted.loadTeamMemory('memory')).toEqual({ lastSignal: 'sell', streak: 4, nested: { a: [1, 2] } });
    await expect(db.ledger.saveTeamMemory('memory', [1] as unknown as Record<string, unknown>)).rejects.toThrow(/JSON object/);
  });

  it('stores reconciliation reports as given', async () => {
    const report = {
      broker: 'sim',
      checkedAt: MINUTE,
      discrepancies: [{ symbol: 'SPY', kind: 'quantity_mismatch' as const, brokerQuantity: 8, booksQuantity: 7 }],
      brokerPositions: { SPY: 8 },
      booksPositions: { SPY: 7 },
    };
    const id = await db.ledger.recordReconciliation(report);
    expect(await db.ledger.latestReconciliation()).toEqual({ id, ...report });
  });
});
