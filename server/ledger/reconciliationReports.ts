/** Reconciliation reports: what the broker held, what the books held, and every difference. Append-only. */
import type { PositionDiscrepancy } from '../trading/reconcile/classify.ts';
import { query } from '../../data/postgres/query.ts';
import { type Queryable } from '../../data/postgres/transaction.ts';

export interface ReconciliationReport {
  broker: string;
  /** Epoch ms of the comparison. */
  checkedAt: number;
  discrepancies: PositionDiscrepancy[];
  /** Shares per symbol in the broker account and summed over the team books, as compared. */
  brokerPositions: Record<string, number>;
  booksPositions: Record<string, number>;
}

export interface StoredReconciliationReport extends ReconciliationReport {
  id: number;
}

export async function insertReconciliationReport(db: Queryable, report: ReconciliationReport): Promise<number> {
  const [row] = await query<{ id: string }>(
    db,
    `INSERT INTO reconciliation_reports (broker, checked_at, discrepancies, discrepancy_count, broker_positions, books_positions)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [
      report.broker,
      new Date(report.checkedAt),
      JSON.stringify(report.discrepancies),
      report.discrepancies.length,
      JSON.stringify(report.brokerPositions),
      JSON.stringify(report.booksPositions),
    ],
  );
  if (!row) throw new Error('reconciliation report insert returned no id');
  return Number(row.id);
}

export async function selectLatestReconciliationReport(db: Queryable): Promise<StoredReconciliationReport | null> {
  const [row] = await query<{
    id: string;
    broker: string;
    checked_at: Date;
    discrepancies: PositionDiscrepancy[];
    broker_positions: Record<string, number>;
    books_positions: Record<string, number>;
  }>(db, 'SELECT id, broker, checked_at, discrepancies, broker_positions, books_positions FROM reconciliation_reports ORDER BY id DESC LIMIT 1');
  if (!row) return null;
  return {
    id: Number(row.id),
    broker: row.broker,
    checkedAt: row.checked_at.getTime(),
    discrepancies: row.discrepancies,
    brokerPositions: row.broker_positions,
    booksPositions: row.books_positions,
  };
}
