/**
 * One reconciliation pass: read the broker account's positions and every team book, classify the
 * differences, store the report. It reports; it never edits a book.
 */
import type { Ledger } from '../../ledger/ledger.ts';
import type { ReconciliationReport } from '../../ledger/reconciliationReports.ts';
import type { Broker } from '../types.ts';
import { classifyPositions, sumTeamPositions } from './classify.ts';

export interface ReconciliationResult extends ReconciliationReport {
  /** Id of the stored report. */
  id: number;
}

/** Reads the account and the books and compares them; stores nothing. */
export async function compareAccount(broker: Pick<Broker, 'name' | 'positions'>, ledger: Pick<Ledger, 'loadBooks'>, now: () => number = Date.now): Promise<ReconciliationReport> {
  // Broker first, books second: a fill landing in between shows up as a transient mismatch that the
  // next pass clears, rather than being hidden.
  const brokerPositions = await broker.positions();
  const books = await ledger.loadBooks();
  const brokerBySymbol: Record<string, number> = {};
  for (const position of brokerPositions) brokerBySymbol[position.symbol] = (brokerBySymbol[position.symbol] ?? 0) + position.quantity;
  return {
    broker: broker.name,
    checkedAt: now(),
    discrepancies: classifyPositions(brokerPositions, books),
    brokerPositions: brokerBySymbol,
    booksPositions: Object.fromEntries([...sumTeamPositions(books)].sort(([a], [b]) => a.localeCompare(b))),
  };
}

export async function reconcilePositions(
  broker: Pick<Broker, 'name' | 'positions'>,
  ledger: Pick<Ledger, 'loadBooks' | 'recordReconciliation'>,
  now: () => number = Date.now,
): Promise<ReconciliationResult> {
  const report = await compareAccount(broker, ledger, now);
  const id = await ledger.recordReconciliation(report);
  return { id, ...report };
}
