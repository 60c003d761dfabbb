import { afterAll, beforeAll, expect, it } from 'vitest';
import { reconcilePositions } from '../../../server/trading/reconcile/reconcile.ts';
import { MemoryBroker } from './memoryBroker.ts';
import { DOLLAR, fillFor, intentFor, MINUTE, openLedgerDatabase, type LedgerDatabase } from './support.ts';

let db: LedgerDatabase;

beforeAll(async () => {
  db = await openLedgerDatabase();
  await db.addTeam('alpha');
  await db.addTeam('beta');
  const alphaSpy = intentFor('alpha', 1, { quantity: 3 });
  const alphaIwm = intentFor('alpha', 2, { symbol: 'IWM', quantity: 2 });
  const betaSpy = intentFor('beta', 1, { quantity: 4 });
  await db.ledger.recordIntents([alphaSpy, alphaIwm, betaSpy]);
  await db.ledger.applyFill(fillFor(alphaSpy, 'a-1', 3, 100 * DOLLAR));
  await db.ledger.applyFill(fillFor(alphaIwm, 'a-2', 2, 100 * DOLLAR));
  await db.ledger.applyFill(fillFor(betaSpy, 'b-1', 4, 100 * DOLLAR));
});
afterAll(async () => {
  await db.close();
});

it('reports and stores every difference between the account and the sum of the books, changing no book', async () => {
  const broker = new MemoryBroker();
  broker.heldPositions = [
    { symbol: 'SPY', quantity: 8, avgEntryPrice: 100 * DOLLAR },
    { symbol: 'TLT', quantity: 5, avgEntryPrice: 90 * DOLLAR },
  ];
  const booksBefore = await db.ledger.loadBooks();
  const result = await reconcilePositions(broker, db.ledger, () => MINUTE);
  expect(result).toEqual({
    id: result.id,
    broker: 'memory',
    checkedAt: MINUTE,
    discrepancies: [
      { symbol: 'IWM', kind: 'missing_at_broker', brokerQuantity: 0, booksQuantity: 2 },
      { symbol: 'SPY', kind: 'quantity_mismatch', brokerQuantity: 8, booksQuantity: 7 },
      { symbol: 'TLT', kind: 'missing_locally', brokerQuantity: 5, booksQuantity: 0 },
    ],
    brokerPositions: { SPY: 8, TLT: 5 },
    booksPositions: { IWM: 2, SPY: 7 },
  });
  expect(await db.ledger.latestReconciliation()).toEqual(result);
  expect(await db.ledger.loadBooks()).toEqual(booksBefore);
});

it('an account that matches the books gives an empty report', async () => {
  const broker = new MemoryBroker();
  broker.heldPositions = [
    { symbol: 'IWM', quantity: 2, avgEntryPrice: 100 * DOLLAR },
    { symbol: 'SPY', quantity: 7, avgEntryPrice: 100 * DOLLAR },
  ];
  const result = await reconcilePositions(broker, db.ledger, () => MINUTE + 60_000);
  expect(result.discrepancies).toEqual([]);
  const { rows } = await db.pool.query<{ discrepancy_count: number }>('SELECT discrepancy_count FROM reconciliation_reports ORDER BY id');
  expect(rows).toEqual([{ discrepancy_count: 3 }, { discrepancy_count: 0 }]);
});
