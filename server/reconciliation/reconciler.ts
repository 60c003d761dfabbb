/**
 * Reconciliation on a schedule: after each minute's books (and once when a worker starts), compare the
 * broker account with the sum of the team books, store the report with how long each difference has
 * lasted, and say so on the activity stream when that is news. It reports; it never edits a book.
 *
 * A pass waits for the broker events received so far to be recorded first (`settled`), so a fill the
 * stream already delivered is never counted as a difference. Passes never overlap in a process: a
 * request during one gets that one's result. A failing pass is logged and returns null; reconciliation
 * must never fail a tick.
 */
import type { Logger } from 'pino';
import type { Ledger } from '../ledger/ledger.ts';
import type { ActivityEvent } from '../live/events.ts';
import { compareAccount, type ReconciliationResult } from '../trading/reconcile/reconcile.ts';
import type { Broker } from '../trading/types.ts';
import { DEFAULT_ALERT_AFTER_RUNS, isNews, withPersistence } from './persistence.ts';

/** What the activity stream hears: symbols that differ, and those that differed in `alertAfterRuns` passes or more. */
export type ReconciliationNews = Extract<ActivityEvent, { type: 'reconciliation' }>;

export interface ReconcilerDeps {
  broker: Pick<Broker, 'name' | 'positions'>;
  ledger: Pick<Ledger, 'loadBooks' | 'recordReconciliation' | 'latestReconciliation'>;
  /** Resolves once every broker event received so far is recorded (the order router's `idle`). */
  settled: () => Promise<void>;
  announce: (news: ReconciliationNews) => Promise<unknown>;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Consecutive passes with a difference on a symbol before it is flagged as an alert. Default 3. */
  alertAfterRuns?: number;
  now?: () => number;
}

export interface Reconciler {
  /** One pass (or the one running); null when it failed (logged). */
  run(why: string): Promise<ReconciliationResult | null>;
  /** Starts no more passes and waits for the running one. */
  close(): Promise<void>;
}

export function createReconciler(deps: ReconcilerDeps): Reconciler {
  const alertAfterRuns = deps.alertAfterRuns ?? DEFAULT_ALERT_AFTER_RUNS;
  const now = deps.now ?? Date.now;
  let running: Promise<ReconciliationResult | null> | null = null;
  let closed = false;

  async function pass(why: string): Promise<ReconciliationResult> {
    await deps.settled();
    const latest = await deps.ledger.latestReconciliation();
    const previous = latest !== null && latest.broker === deps.broker.name ? latest.discrepancies : null;
    const compared = await compareAccount(deps.broker, deps.ledger, now);
    const report = { ...compared, discrepancies: withPersistence(compared.discrepancies, previous, alertAfterRuns) };
    const id = await deps.ledger.recordReconciliation(report);
    const symbols = report.discrepancies.map((d) => d.symbol);
    const alerts = report.discrepancies.filter((d) => d.alert === true).map((d) => d.symbol);
    if (alerts.length > 0) {
      deps.log.error(
        { reconciliation: id, broker: report.broker, alerts, discrepancies: report.discrepancies },
        `the broker account and the team books still differ after ${String(alertAfterRuns)} passes`,
      );
    } else if (symbols.length > 0) {
      deps.log.warn({ reconciliation: id, broker: report.broker, why, discrepancies: report.discrepancies }, 'the broker account and the team books differ');
    }
    if (isNews(report.discrepancies, previous)) await deps.announce({ type: 'reconciliation', at: report.checkedAt, broker: report.broker, symbols, alerts });
    return { id, ...report };
  }

  return {
    run(why) {
      if (closed) return Promise.resolve(null);
      running ??= pass(why)
        .catch((error: unknown) => {
          deps.log.warn({ err: error, why }, 'reconciliation pass failed; the next one retries');
          return null;
        })
        .finally(() => {
          running = null;
        });
      return running;
    },
    async close() {
      closed = true;
      await running;
    },
  };
}
