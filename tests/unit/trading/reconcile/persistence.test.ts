import { describe, expect, it } from 'vitest';
import { isNews, withPersistence } from '../../../../server/reconciliation/persistence.ts';
import type { PositionDiscrepancy } from '../../../../server/trading/reconcile/classify.ts';

const spy: PositionDiscrepancy = { symbol: 'SPY', kind: 'quantity_mismatch', brokerQuantity: 8, booksQuantity: 7 };
const tlt: PositionDiscrepancy = { symbol: 'TLT', kind: 'missing_locally', brokerQuantity: 5, booksQuantity: 0 };

describe('how long a difference has lasted', () => {
  it('counts consecutive passes per symbol and flags an alert at the threshold; a symbol that agreed once starts again', () => {
    const first = withPersistence([spy], null, 3);
    expect(first).toEqual([{ ...spy, consecutiveRuns: 1, alert: false }]);
    const second = withPersistence([spy, tlt], first, 3);
    expect(second.map((d) => [d.symbol, d.consecutiveRuns, d.alert])).toEqual([
      ['SPY', 2, false],
      ['TLT', 1, false],
    ]);
    const third = withPersistence([spy, tlt], second, 3);
    expect(third.map((d) => [d.symbol, d.consecutiveRuns, d.alert])).toEqual([
      ['SPY', 3, true],
      ['TLT', 2, false],
    ]);
    // SPY agreed in between: its count starts over.
    expect(withPersistence([spy], withPersistence([tlt], third, 3), 3)).toEqual([{ ...spy, consecutiveRuns: 1, alert: false }]);
  });

  it('a previous report stored before persistence existed counts as one pass', () => {
    expect(withPersistence([spy], [spy], 2)).toEqual([{ ...spy, consecutiveRuns: 2, alert: true }]);
  });
});

describe('what is news for the activity stream', () => {
  it('differences that appear, change, or turn into an alert; not the same ones again, and never agreement', () => {
    const first = withPersistence([spy], null, 3);
    expect(isNews(first, null)).toBe(true);
    expect(isNews(first, [])).toBe(true);
    const second = withPersistence([spy], first, 3);
    expect(isNews(second, first)).toBe(false);
    const third = withPersistence([spy], second, 3);
    expect(isNews(third, second)).toBe(true); // now an alert
    expect(isNews(withPersistence([spy], third, 3), third)).toBe(false);
    expect(isNews(withPersistence([{ ...spy, brokerQuantity: 9 }], third, 3), third)).toBe(true); // other quantities
    expect(isNews([], third)).toBe(false);
  });
});
