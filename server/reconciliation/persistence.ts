/**
 * How long each difference has lasted, and when it is worth an announcement: pure functions of this
 * pass's differences and the previous pass's report.
 *
 * With a broker that streams its fills, a pass can run while a fill is known to the account and not yet
 * to the books: a difference for one pass is normal. One that is still there after `alertAfterRuns`
 * consecutive passes is not, and is flagged as an alert in the stored report.
 */
import type { PositionDiscrepancy } from '../trading/reconcile/classify.ts';

export const DEFAULT_ALERT_AFTER_RUNS = 3;

/** This pass's differences with `consecutiveRuns` (counting the previous pass's for the same symbol) and `alert`. */
export function withPersistence(current: readonly PositionDiscrepancy[], previous: readonly PositionDiscrepancy[] | null, alertAfterRuns: number): PositionDiscrepancy[] {
  const before = new Map((previous ?? []).map((discrepancy) => [discrepancy.symbol, discrepancy.consecutiveRuns ?? 1]));
  return current.map((discrepancy) => {
    const consecutiveRuns = (before.get(discrepancy.symbol) ?? 0) + 1;
    return { ...discrepancy, consecutiveRuns, alert: consecutiveRuns >= alertAfterRuns };
  });
}

const signature = (discrepancies: readonly PositionDiscrepancy[]): string =>
  discrepancies.map((d) => `${d.symbol}:${d.kind}:${String(d.brokerQuantity)}:${String(d.booksQuantity)}`).join(',');

/**
 * Whether this pass is news for the activity stream: there are differences, and they are not the ones
 * already announced (another symbol, other quantities) or one has just become an alert. A difference
 * that stays is announced when it appears and when it turns into an alert, not every minute.
 */
export function isNews(current: readonly PositionDiscrepancy[], previous: readonly PositionDiscrepancy[] | null): boolean {
  if (current.length === 0) return false;
  if (previous === null || signature(current) !== signature(previous)) return true;
  const alertedBefore = new Set(previous.filter((d) => d.alert === true).map((d) => d.symbol));
  return current.some((d) => d.alert === true && !alertedBefore.has(d.symbol));
}
