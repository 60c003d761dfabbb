/**
 * The latest reconciliation on `/metrics`, read from Postgres at each scrape so every process (an API
 * replica that runs no reconciliation included) shows the same numbers.
 */
import { Gauge, type Registry } from 'prom-client';
import { selectLatestReconciliationReport } from '../ledger/reconciliationReports.ts';
import type { Queryable } from '../../data/postgres/transaction.ts';

export function registerReconciliationMetrics(registry: Registry, db: Queryable): void {
  let pending: ReturnType<typeof selectLatestReconciliationReport> | null = null;
  // One query serves the three series of a scrape; a failure leaves them out (/health reports Postgres).
  const latest = () => (pending ??= selectLatestReconciliationReport(db).finally(() => setTimeout(() => (pending = null), 0)));
  const read = () => latest().catch(() => undefined);

  new Gauge({
    name: 'qtc_reconciliation_mismatched_symbols',
    help: 'Symbols on which the broker account and the sum of the team books differed at the latest reconciliation',
    labelNames: ['broker'],
    registers: [registry],
    async collect() {
      const report = await read();
      this.reset();
      if (report) this.set({ broker: report.broker }, report.discrepancies.length);
    },
  });
  new Gauge({
    name: 'qtc_reconciliation_alert_symbols',
    help: 'Of those, symbols that differed in several consecutive reconciliations (an alert)',
    labelNames: ['broker'],
    registers: [registry],
    async collect() {
      const report = await read();
      this.reset();
      if (report) this.set({ broker: report.broker }, report.discrepancies.filter((d) => d.alert === true).length);
    },
  });
  new Gauge({
    name: 'qtc_reconciliation_last_run_timestamp_seconds',
    help: 'When the latest reconciliation compared the account with the books (unix seconds); a stale value means reconciliation stopped',
    labelNames: ['broker'],
    registers: [registry],
    async collect() {
      const report = await read();
      this.reset();
      if (report) this.set({ broker: report.broker }, Math.floor(report.checkedAt / 1_000));
    },
  });
}
