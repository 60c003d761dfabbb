import { describe, expect, it } from 'vitest';
import { newTeamBook } from '../../../../server/trading/portfolio/book.ts';
import { classifyPositions, sumTeamPositions } from '../../../../server/trading/reconcile/classify.ts';
import type { BrokerPosition, TeamBook } from '../../../../server/trading/types.ts';

function book(teamId: string, quantities: Record<string, number>): TeamBook {
  const positions = Object.fromEntries(Object.entries(quantities).map(([symbol, quantity]) => [symbol, { quantity, costBasis: quantity * 1_000_000, realizedPnl: 0 }]));
  return { ...newTeamBook(teamId, 0), positions };
}

function broker(quantities: Record<string, number>): BrokerPosition[] {
  return Object.entries(quantities).map(([symbol, quantity]) => ({ symbol, quantity, avgEntryPrice: 1_000_000 }));
}

describe('sumTeamPositions', () => {
  it('adds every team, leaving closed positions out', () => {
    const totals = sumTeamPositions([book('alpha', { SPY: 3, QQQ: 0 }), book('beta', { SPY: 4, IWM: 2 })]);
    expect(Object.fromEntries(totals)).toEqual({ SPY: 7, IWM: 2 });
  });
});

describe('classifyPositions', () => {
  it('reports nothing when the account equals the sum of the books', () => {
    expect(classifyPositions(broker({ SPY: 7, IWM: 2 }), [book('alpha', { SPY: 3 }), book('beta', { SPY: 4, IWM: 2, QQQ: 0 })])).toEqual([]);
  });

  it('classifies each kind of difference, sorted by symbol', () => {
    const discrepancies = classifyPositions(broker({ SPY: 8, TLT: 5, GLD: 0 }), [book('alpha', { SPY: 3, IWM: 2 }), book('beta', { SPY: 4 })]);
    expect(discrepancies).toEqual([
      { symbol: 'IWM', kind: 'missing_at_broker', brokerQuantity: 0, booksQuantity: 2 },
      { symbol: 'SPY', kind: 'quantity_mismatch', brokerQuantity: 8, booksQuantity: 7 },
      { symbol: 'TLT', kind: 'missing_locally', brokerQuantity: 5, booksQuantity: 0 },
    ]);
  });

  it('treats a short at the broker (impossible in our books) as a mismatch or a missing-locally position', () => {
    expect(classifyPositions(broker({ SPY: -2, QQQ: -1 }), [book('alpha', { SPY: 3 })])).toEqual([
      { symbol: 'QQQ', kind: 'missing_locally', brokerQuantity: -1, booksQuantity: 0 },
      { symbol: 'SPY', kind: 'quantity_mismatch', brokerQuantity: -2, booksQuantity: 3 },
    ]);
  });

  it('with no books at all, every broker position is missing locally', () => {
    expect(classifyPositions(broker({ SPY: 1 }), [])).toEqual([{ symbol: 'SPY', kind: 'missing_locally', brokerQuantity: 1, booksQuantity: 0 }]);
  });
});
